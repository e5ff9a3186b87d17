import type { EngineEventKind } from '../events/events.js';
import { RULE_API_VERSION, type RulePack } from './rule-api.js';
import { RulePackError } from './rule-errors.js';

/** Every event kind a rule may ask for. */
export const ENGINE_EVENT_KINDS: readonly EngineEventKind[] = Object.freeze([
  'fill',
  'order',
  'position',
  'account',
  'quote',
  'contract',
  'connection',
  'timer',
  'reset',
]);

/** Rule and preset ids are kebab-case: `daily-loss-limit`, `topstep-50k`. */
const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** How a pack is named in messages: `"name@version"`, plus where it came from when loaded. */
export function describePack(
  pack: { readonly name?: unknown; readonly version?: unknown },
  source?: string,
): string {
  const name = typeof pack.name === 'string' ? pack.name : '(unnamed)';
  const version = typeof pack.version === 'string' ? `@${pack.version}` : '';
  return source !== undefined && source !== name ? `"${name}${version}" (${source})` : `"${name}${version}"`;
}

/**
 * Checks that `value` is a usable rule pack: the right shape (name, version, rules; each rule with
 * an id, title, description, object options schema with a description for every option, events,
 * `create`), and the supported rule API version. Throws a {@link RulePackError} listing every
 * problem (code `RULE_PACK_INVALID`), or naming both versions (code `RULE_PACK_API_VERSION`).
 * `source` is where it came from (a specifier or path), for the message.
 */
export function assertRulePack(value: unknown, source?: string): RulePack {
  if (!isRecord(value)) {
    throw new RulePackError('RULE_PACK_INVALID', source ?? '(unknown)', [
      `is not a rule pack object (got ${describeValue(value)})`,
    ]);
  }
  const label = describePack(value, source);
  // The API version is checked first: a pack written for another API may well look malformed.
  if (value['apiVersion'] !== RULE_API_VERSION) {
    throw new RulePackError('RULE_PACK_API_VERSION', label, [
      `was written for rule API version ${describeValue(value['apiVersion'])}; this Riskd supports rule API version ${RULE_API_VERSION}`,
    ]);
  }
  const problems: string[] = [];
  if (typeof value['name'] !== 'string' || value['name'].trim() === '')
    problems.push('"name" must be a non-empty string');
  if (typeof value['version'] !== 'string' || value['version'].trim() === '') {
    problems.push('"version" must be a non-empty string');
  }
  const rules = value['rules'];
  if (!Array.isArray(rules)) {
    problems.push('"rules" must be an array of rule definitions');
  } else {
    const seen = new Set<string>();
    rules.forEach((rule: unknown, index) => {
      checkRule(rule, `rules[${index}]`, problems);
      const id = isRecord(rule) ? rule['id'] : undefined;
      if (typeof id === 'string') {
        if (seen.has(id)) problems.push(`rules[${index}]: rule id "${id}" appears twice in the pack`);
        seen.add(id);
      }
    });
  }
  const presets = value['presets'];
  if (presets !== undefined) {
    if (!Array.isArray(presets)) {
      problems.push('"presets" must be an array when present');
    } else {
      presets.forEach((preset: unknown, index) => checkPreset(preset, `presets[${index}]`, problems));
    }
  }
  if (problems.length > 0) throw new RulePackError('RULE_PACK_INVALID', label, problems);
  return value as unknown as RulePack;
}

function checkRule(rule: unknown, path: string, problems: string[]): void {
  if (!isRecord(rule)) {
    problems.push(`${path}: must be a rule definition object (got ${describeValue(rule)})`);
    return;
  }
  const id = rule['id'];
  const at = typeof id === 'string' ? `${path} ("${id}")` : path;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    problems.push(`${at}: "id" must be a kebab-case string such as "daily-loss-limit"`);
  }
  if (typeof rule['title'] !== 'string' || rule['title'] === '')
    problems.push(`${at}: "title" must be a non-empty string`);
  if (typeof rule['description'] !== 'string') problems.push(`${at}: "description" must be a string`);
  if (typeof rule['create'] !== 'function')
    problems.push(`${at}: "create" must be a function returning an evaluator`);
  if (rule['compare'] !== undefined && typeof rule['compare'] !== 'function') {
    problems.push(`${at}: "compare" must be a function when present`);
  }
  const events = rule['events'];
  if (!Array.isArray(events) || events.length === 0) {
    problems.push(`${at}: "events" must be a non-empty array of event kinds`);
  } else {
    for (const kind of events) {
      if (!ENGINE_EVENT_KINDS.includes(kind as EngineEventKind)) {
        problems.push(
          `${at}: unknown event kind ${describeValue(kind)} (known: ${ENGINE_EVENT_KINDS.join(', ')})`,
        );
      }
    }
  }
  const schema = rule['optionsSchema'];
  if (!isRecord(schema)) {
    problems.push(`${at}: "optionsSchema" must be a JSON Schema object`);
    return;
  }
  if (schema['type'] !== 'object') problems.push(`${at}: "optionsSchema" must have type "object"`);
  const properties = schema['properties'];
  if (properties !== undefined) {
    if (!isRecord(properties)) {
      problems.push(`${at}: "optionsSchema.properties" must be an object`);
    } else {
      // RULES.md section 2: every option is described (the published config schema shows it in editors).
      for (const [name, property] of Object.entries(properties)) {
        if (
          !isRecord(property) ||
          typeof property['description'] !== 'string' ||
          property['description'] === ''
        ) {
          problems.push(`${at}: option "${name}" has no "description"`);
        }
      }
    }
  }
}

function checkPreset(preset: unknown, path: string, problems: string[]): void {
  if (!isRecord(preset)) {
    problems.push(`${path}: must be a preset object`);
    return;
  }
  const id = preset['id'];
  const at = typeof id === 'string' ? `${path} ("${id}")` : path;
  if (typeof id !== 'string' || !ID_PATTERN.test(id))
    problems.push(`${at}: "id" must be a kebab-case string`);
  if (typeof preset['description'] !== 'string') problems.push(`${at}: "description" must be a string`);
  if (!Array.isArray(preset['rules'])) problems.push(`${at}: "rules" must be an array of rule entries`);
}

/**
 * Refuses packs that collide: the same pack twice, or a rule or preset id defined by two packs
 * (code `RULE_PACK_CONFLICT`, naming both packs).
 */
export function assertNoPackConflicts(
  packs: readonly { readonly pack: RulePack; readonly source?: string }[],
): void {
  const packNames = new Map<string, string>();
  const ruleOwners = new Map<string, string>();
  const presetOwners = new Map<string, string>();
  for (const { pack, source } of packs) {
    const label = describePack(pack, source);
    const sameName = packNames.get(pack.name);
    if (sameName !== undefined) {
      throw new RulePackError('RULE_PACK_CONFLICT', label, [`is loaded twice (also as ${sameName})`]);
    }
    packNames.set(pack.name, label);
    for (const rule of pack.rules) {
      const owner = ruleOwners.get(rule.id);
      if (owner !== undefined) {
        throw new RulePackError('RULE_PACK_CONFLICT', label, [
          `rule id "${rule.id}" is already defined by rule pack ${owner}`,
        ]);
      }
      ruleOwners.set(rule.id, label);
    }
    for (const preset of pack.presets ?? []) {
      const owner = presetOwners.get(preset.id);
      if (owner !== undefined) {
        throw new RulePackError('RULE_PACK_CONFLICT', label, [
          `preset id "${preset.id}" is already defined by rule pack ${owner}`,
        ]);
      }
      presetOwners.set(preset.id, label);
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
