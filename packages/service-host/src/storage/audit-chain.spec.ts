import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditRowColumns,
  AUDIT_HASHED_COLUMNS,
  auditRowHash,
  canonicalJson,
  GENESIS_HASH,
} from './audit-chain.mjs';

const row: AuditRowColumns = {
  seq: 1,
  at: 1_767_627_000_000,
  kind: 'decision',
  accountId: 7,
  contractId: 'CON.F.US.MNQ.H26',
  ruleId: 'daily-loss',
  instanceId: 'daily-loss#1',
  code: 'DAILY_LOSS_LIMIT',
  reason: 'loss 512.50 over 500.00',
  mode: 'enforce',
  idempotencyKey: '7:CON.F.US.MNQ.H26:close:1',
  event: '{"kind":"quote"}',
  timings: '{"decidedAt":2,"receivedAt":1}',
  data: null,
  prevHash: GENESIS_HASH,
  createdAt: 1_767_627_000_001,
};

describe('canonicalJson', () => {
  it('when objects have keys in any order then the text is the same, keys sorted at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value) ?? 'null')).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('when a key is "__proto__" then it is kept as an ordinary key', () => {
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1},"b":1}');
  });

  it('when values JSON cannot hold appear then JSON.stringify rules apply and bigints become strings', () => {
    expect(canonicalJson({ u: undefined, n: Number.NaN, d: new Date(0), b: 10n })).toBe(
      '{"b":"10","d":"1970-01-01T00:00:00.000Z","n":null}',
    );
    expect(canonicalJson(undefined)).toBeUndefined();
  });
});

describe('auditRowHash', () => {
  it('when computed then it is sha256 of prevHash followed by the canonical JSON of every column but hash', () => {
    const expected = createHash('sha256')
      .update(GENESIS_HASH + canonicalJson(Object.fromEntries(AUDIT_HASHED_COLUMNS.map((c) => [c, row[c]]))))
      .digest('hex');
    expect(auditRowHash(row)).toBe(expected);
    expect(AUDIT_HASHED_COLUMNS).not.toContain('hash');
    expect(AUDIT_HASHED_COLUMNS).toHaveLength(Object.keys(row).length);
  });

  it('when any hashed column changes then the hash changes', () => {
    const base = auditRowHash(row);
    for (const column of AUDIT_HASHED_COLUMNS) {
      const value = row[column];
      const changed = typeof value === 'number' ? value + 1 : value === null ? 'x' : `${value}x`;
      expect(auditRowHash({ ...row, [column]: changed }), column).not.toBe(base);
    }
  });
});
