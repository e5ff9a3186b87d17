import { isSecretKey, redactConfig, REDACTED } from './config-secrets.js';
import { isRecord, jsonEqual, pointerSegment } from './config-util.js';

/**
 * One change between two versions of the config file, addressed by a JSON Pointer (RFC 6901) in
 * the style of a JSON Patch (RFC 6902) operation: `{ op: "replace", path:
 * "/accounts/1/rules/0/options/limit", before: 500, after: 750 }`. Secrets are redacted.
 */
export interface ConfigDiffEntry {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path: string;
  /** The value before (absent for `add`). */
  readonly before?: unknown;
  /** The value after (absent for `remove`). */
  readonly after?: unknown;
}

/**
 * The changes from `before` to `after` (two config documents), deepest first-differing level:
 * objects compare key by key, arrays index by index (an array that grows or shrinks adds or
 * removes at its end). Secret values never appear: a changed secret shows as
 * `"[redacted]" -> "[redacted]"`. An empty list means the documents are equal.
 */
export function diffConfigDocuments(before: unknown, after: unknown): ConfigDiffEntry[] {
  const out: ConfigDiffEntry[] = [];
  walk(before, after, '', false, out);
  return out;
}

function walk(
  before: unknown,
  after: unknown,
  pointer: string,
  secret: boolean,
  out: ConfigDiffEntry[],
): void {
  if (jsonEqual(before, after)) return;
  if (isRecord(before) && isRecord(after) && !secret) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    for (const key of keys) {
      const at = `${pointer}/${pointerSegment(key)}`;
      const hasBefore = before[key] !== undefined;
      const hasAfter = after[key] !== undefined;
      if (hasBefore && !hasAfter) out.push({ op: 'remove', path: at, before: safe(before[key], key) });
      else if (!hasBefore && hasAfter) out.push({ op: 'add', path: at, after: safe(after[key], key) });
      else if (hasBefore && hasAfter) walk(before[key], after[key], at, isSecretKey(key), out);
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const shared = Math.min(before.length, after.length);
    for (let i = 0; i < shared; i++) walk(before[i], after[i], `${pointer}/${i}`, false, out);
    // Removals from the end first, so the list applies in order like a JSON Patch.
    for (let i = before.length - 1; i >= shared; i--) {
      out.push({ op: 'remove', path: `${pointer}/${i}`, before: redactConfig(before[i]) });
    }
    for (let i = shared; i < after.length; i++) {
      out.push({ op: 'add', path: `${pointer}/${i}`, after: redactConfig(after[i]) });
    }
    return;
  }
  out.push({
    op: 'replace',
    path: pointer,
    before: secret ? REDACTED : redactConfig(before),
    after: secret ? REDACTED : redactConfig(after),
  });
}

function safe(value: unknown, key: string): unknown {
  return isSecretKey(key) ? REDACTED : redactConfig(value);
}
