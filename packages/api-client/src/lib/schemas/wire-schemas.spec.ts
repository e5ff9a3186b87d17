import { describe, expect, it } from 'vitest';
import { ISO_INSTANT_PATTERN, isIsoInstant, MONEY_PATTERN } from './schema-helpers.js';
import { LOCKOUT_HOLD_SCHEMA, LOCKOUT_SCHEMA, PNL_SCHEMA, STATUS_SCHEMA } from './wire-schemas.js';

describe('wire conventions', () => {
  it('when money is on the wire then it is a decimal string of dollars with exactly two decimals', () => {
    const money = new RegExp(MONEY_PATTERN);
    for (const ok of ['-512.50', '0.00', '1234.00', '-0.01']) expect(money.test(ok), ok).toBe(true);
    for (const bad of ['512.5', '512', '1,234.00', '-512.500', '1e3'])
      expect(money.test(bad), bad).toBe(false);
    const realized = (PNL_SCHEMA['properties'] as Record<string, Record<string, unknown>>)['realized']!;
    expect(realized).toMatchObject({ type: 'string', pattern: MONEY_PATTERN });
  });

  it('when an instant is on the wire then it is ISO 8601 with a zone, and responses use UTC with milliseconds', () => {
    const instant = new RegExp(ISO_INSTANT_PATTERN);
    for (const ok of ['2026-03-09T21:59:59.000Z', '2026-03-09T16:59:59-05:00', '2026-03-09T21:59:59Z']) {
      expect(instant.test(ok), ok).toBe(true);
    }
    for (const bad of ['2026-03-09', '2026-03-09T21:59', '1773093599000', '2026-03-09 21:59:59Z']) {
      expect(instant.test(bad), bad).toBe(false);
    }
    expect(instant.test(new Date(Date.UTC(2026, 2, 9, 21, 59, 59)).toISOString())).toBe(true);
  });

  it('when an instant matches the pattern but does not exist then isIsoInstant refuses it', () => {
    for (const ok of ['2028-02-29T00:00:00Z', '2026-12-31T23:59:59.999+14:00', '2026-03-08T02:30:00-06:00']) {
      expect(isIsoInstant(ok), ok).toBe(true);
    }
    for (const bad of [
      '2026-02-29T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-03-09T24:00:00Z',
      '2026-03-09T12:60:00Z',
      '2026-03-09T12:00:60Z',
      '2026-03-09T12:00:00+25:00',
      'soon',
    ]) {
      expect(isIsoInstant(bad), bad).toBe(false);
    }
  });

  it('when a response field may be absent then it is required and nullable, never missing', () => {
    const lockout = LOCKOUT_SCHEMA as {
      required: string[];
      properties: Record<string, { type?: unknown; enum?: unknown[] }>;
    };
    // `holds` alone may be missing: lockouts from a daemon older than holds have none.
    expect(lockout.required).toEqual(Object.keys(lockout.properties).filter((k) => k !== 'holds'));
    expect(lockout.properties['endsAt']!.type).toEqual(['string', 'null']);
    const hold = LOCKOUT_HOLD_SCHEMA as { required: string[]; properties: object };
    expect(hold.required).toEqual(Object.keys(hold.properties));
    expect(lockout.properties['endCondition']!.enum).toContain(null);
    const status = STATUS_SCHEMA as { required: string[]; properties: object };
    expect(status.required).toEqual(Object.keys(status.properties));
  });
});
