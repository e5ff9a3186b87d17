/**
 * Building blocks of the route schemas. The schemas use the keywords that JSON Schema draft-07
 * and 2020-12 (OpenAPI 3.1) read the same way — `type` (with `null` in a type array for nullable
 * values), `properties`, `required`, `additionalProperties`, `enum`, `const`, `pattern`,
 * `minimum`/`maximum`, `minLength`/`maxLength`, `items`, `anyOf`, `if`/`then` — and no `$ref`,
 * so one schema serves the server's validator, the response serializer and the OpenAPI document.
 * `format` is an annotation only; `pattern` carries the check.
 */

/** A JSON Schema object. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** ISO 8601 instant with a zone (`Z` or `+hh:mm`), seconds required, up to nine fraction digits. */
export const ISO_INSTANT_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
const ISO_INSTANT_PARTS =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * True when `text` matches {@link ISO_INSTANT_PATTERN} and names an instant that exists: month
 * 1-12, a day the month has (2026-02-30 does not), hour 0-23, minutes and seconds 0-59, offset
 * hours 0-23 (`Date.parse` alone accepts some impossible dates).
 */
export function isIsoInstant(text: string): boolean {
  const m = ISO_INSTANT_PARTS.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetOk
  );
}

/** A decimal amount of dollars with exactly two decimals. */
export const MONEY_PATTERN = '^-?\\d+\\.\\d{2}$';
/** `HH:MM`, 24 h. */
export const TIME_OF_DAY_PATTERN = '^([01]\\d|2[0-3]):[0-5]\\d$';
/** Not only white space. */
export const NOT_BLANK_PATTERN = '\\S';

/**
 * A closed object: every listed property, `additionalProperties: false`. `required` defaults to
 * every property (responses always carry every field, null when absent).
 */
export function closedObject(
  properties: Record<string, JsonSchema>,
  required: readonly string[] = Object.keys(properties),
  description?: string,
): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    ...(description === undefined ? {} : { description }),
    required: [...required],
    properties,
  };
}

/** Any JSON object (its properties are kept as they are). */
export function openObject(description?: string): JsonSchema {
  return {
    type: 'object',
    additionalProperties: true,
    ...(description === undefined ? {} : { description }),
  };
}

/** `schema` or null: a type array for simple types (an enum also lists null), else `anyOf`. */
export function nullable(schema: JsonSchema): JsonSchema {
  const type = schema['type'];
  const values = schema['enum'];
  if (Array.isArray(values)) {
    return {
      ...schema,
      ...(typeof type === 'string' ? { type: [type, 'null'] } : {}),
      enum: [...values, null],
    };
  }
  if (typeof type === 'string' && type !== 'object') return { ...schema, type: [type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

export function arrayOf(items: JsonSchema, extra: Record<string, unknown> = {}): JsonSchema {
  return { type: 'array', items, ...extra };
}

export function stringEnum(values: readonly string[], description?: string): JsonSchema {
  return { type: 'string', enum: [...values], ...(description === undefined ? {} : { description }) };
}

export function text(extra: Record<string, unknown> = {}): JsonSchema {
  return { type: 'string', ...extra };
}

export function integer(extra: Record<string, unknown> = {}): JsonSchema {
  return { type: 'integer', ...extra };
}

export function number(extra: Record<string, unknown> = {}): JsonSchema {
  return { type: 'number', ...extra };
}

export function boolean(extra: Record<string, unknown> = {}): JsonSchema {
  return { type: 'boolean', ...extra };
}

/** An ISO 8601 instant (responses always send UTC with milliseconds). */
export function instant(description?: string): JsonSchema {
  return {
    type: 'string',
    format: 'date-time',
    pattern: ISO_INSTANT_PATTERN,
    ...(description === undefined ? {} : { description }),
  };
}

/** Money: a decimal string of dollars with two decimals, e.g. `-512.50`. */
export function money(description?: string): JsonSchema {
  return {
    type: 'string',
    pattern: MONEY_PATTERN,
    description: description ?? 'Dollars with two decimals, as a string (e.g. "-512.50").',
  };
}
