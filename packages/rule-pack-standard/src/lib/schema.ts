import { DURATION_PATTERN } from '@riskd/core-engine';
import { WEEKDAYS } from './intervals.js';
import { SYMBOL_PATTERN } from './symbols.js';

/**
 * Small builders for the options' JSON Schemas, so that every rule states its options the same
 * way: a type, a default and a description (the admin rule editor shows it as help text).
 */
type Schema = Readonly<Record<string, unknown>>;

export const TIME_OF_DAY_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
export const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';

/** The options object of a rule. */
export function optionsObject(properties: Record<string, Schema>): Schema {
  return { type: 'object', additionalProperties: false, properties };
}

/** A positive dollar amount. */
export function dollars(description: string, defaultValue: number): Schema {
  return { type: 'number', exclusiveMinimum: 0, default: defaultValue, description };
}

/** A dollar amount that may be absent (null). */
export function optionalDollars(description: string, minimum = 0): Schema {
  return { type: 'number', nullable: true, minimum, default: null, description };
}

export function integer(description: string, defaultValue: number, minimum = 0): Schema {
  return { type: 'integer', minimum, default: defaultValue, description };
}

export function boolean(description: string, defaultValue: boolean): Schema {
  return { type: 'boolean', default: defaultValue, description };
}

export function oneOf(description: string, values: readonly string[], defaultValue: string): Schema {
  return { type: 'string', enum: values, default: defaultValue, description };
}

export function duration(description: string, defaultValue: string): Schema {
  return { type: 'string', pattern: DURATION_PATTERN, default: defaultValue, description };
}

/** A map from symbol (`MNQ`) to a value. */
export function perSymbol(description: string, valueSchema: Schema): Schema {
  return {
    type: 'object',
    propertyNames: { pattern: SYMBOL_PATTERN },
    additionalProperties: valueSchema,
    default: {},
    description,
  };
}

/** One `HH:MM`-`HH:MM` window. */
const sessionWindowSchema: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['start', 'end'],
  properties: {
    start: {
      type: 'string',
      pattern: TIME_OF_DAY_PATTERN,
      description: 'Start, "HH:MM" (24 h) in the trading-day time zone.',
    },
    end: {
      type: 'string',
      pattern: TIME_OF_DAY_PATTERN,
      description: 'End, "HH:MM"; at or before the start means the next day (17:00 -> 15:10).',
    },
  },
};

/** Windows per weekday (`sun`..`sat`), keyed by the day each window starts. */
export function weeklyWindows(description: string, defaultValue: 'null' | 'none'): Schema {
  const properties: Record<string, Schema> = {};
  for (const day of WEEKDAYS) {
    properties[day] = {
      type: 'array',
      items: sessionWindowSchema,
      description: `Windows starting on ${day}; an empty list means none that day.`,
    };
  }
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    ...(defaultValue === 'null' ? { nullable: true, default: null } : {}),
    description,
  };
}
