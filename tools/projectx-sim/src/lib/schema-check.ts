import { ControlError } from './errors.js';

/**
 * The small JSON-schema subset the control routes use: `type` (one or several of object, array,
 * string, number, integer, boolean, null), `properties`, `required`, `additionalProperties: false`,
 * `enum`, `items`, `minItems`. Compiling it by hand keeps a simulator start at a few milliseconds
 * (tests start dozens), where a full JSON-schema compiler spends most of the start-up.
 */
export interface MiniSchema {
  type?: string | readonly string[];
  properties?: Readonly<Record<string, MiniSchema>>;
  required?: readonly string[];
  additionalProperties?: boolean;
  enum?: readonly unknown[];
  items?: MiniSchema;
  minItems?: number;
}

type Result = { value: unknown } | { error: Error };

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** Checks `value`; returns the (possibly coerced) value, pushing problems to `errors`. */
function check(value: unknown, schema: MiniSchema, path: string, coerce: boolean, errors: string[]): unknown {
  let v = value;
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((t) => matchesType(v, t))) {
      // Query strings are text: numbers and booleans arrive as strings.
      if (coerce && typeof v === 'string') {
        if (
          (types.includes('integer') || types.includes('number')) &&
          v.trim() !== '' &&
          Number.isFinite(Number(v))
        ) {
          v = Number(v);
        } else if (types.includes('boolean') && (v === 'true' || v === 'false')) {
          v = v === 'true';
        }
      }
      if (!types.some((t) => matchesType(v, t))) {
        errors.push(`${path} must be ${types.join(' or ')}`);
        return v;
      }
    }
  }
  if (schema.enum !== undefined && !schema.enum.includes(v)) {
    errors.push(`${path} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (Array.isArray(v)) {
    if (schema.minItems !== undefined && v.length < schema.minItems)
      errors.push(`${path} must have at least ${schema.minItems} items`);
    if (schema.items) {
      const items = schema.items;
      v = v.map((item, i) => check(item, items, `${path}/${i}`, coerce, errors));
    }
  } else if (typeof v === 'object' && v !== null) {
    const obj = v as Record<string, unknown>;
    const out: Record<string, unknown> = { ...obj };
    for (const key of schema.required ?? []) {
      if (!(key in obj)) errors.push(`${path} must have required property '${key}'`);
    }
    for (const [key, item] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) out[key] = check(item, sub, `${path}/${key}`, coerce, errors);
      else if (schema.additionalProperties === false) errors.push(`${path} must not have property '${key}'`);
    }
    v = out;
  }
  return v;
}

/**
 * A Fastify validator compiler for MiniSchema. An absent body (null) is accepted when the schema
 * requires nothing. Failures are ControlErrors (HTTP 400) naming every problem.
 */
export function miniValidatorCompiler({
  schema,
  httpPart,
}: {
  schema: unknown;
  httpPart?: string;
}): (data: unknown) => Result {
  const mini = schema as MiniSchema;
  const part = httpPart ?? 'body';
  const coerce = part === 'querystring' || part === 'params';
  return (data: unknown) => {
    if ((data === null || data === undefined) && (mini.required ?? []).length === 0)
      return { value: data ?? undefined };
    const errors: string[] = [];
    const value = check(data, mini, part, coerce, errors);
    if (errors.length > 0) return { error: new ControlError('CONTROL_INVALID', errors.join('; ')) };
    return { value };
  };
}
