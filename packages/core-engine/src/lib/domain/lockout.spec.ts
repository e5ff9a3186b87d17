import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addLockoutHold,
  compareLockoutEnds,
  holdInForce,
  isLockoutHold,
  lockedSince,
  lockoutHolds,
  lockoutId,
  lockoutOfHold,
  lockoutSubsumes,
  nextLockoutInstant,
  primaryHold,
  releaseLockout,
  splitLockout,
  type Lockout,
  type LockoutCondition,
  type LockoutEnd,
  type LockoutHold,
} from './lockout.js';

/** Tuesday 2026-01-06 09:00 Chicago (15:00Z); the day's reset is 17:00 Chicago = 23:00Z. */
const T0 = Date.UTC(2026, 0, 6, 15, 0);
const RESET = Date.UTC(2026, 0, 6, 23, 0);
const MIN = 60_000;
const H = 60 * MIN;
const ACCOUNT = { kind: 'account' } as const;

const at = (instant: number): LockoutEnd => ({ kind: 'at', at: instant });
const until = (condition: LockoutCondition): LockoutEnd => ({ kind: 'condition', condition });

function hold(code: string, end: LockoutEnd, startedAt = T0): LockoutHold {
  return {
    ruleId: code.toLowerCase(),
    instanceId: code.toLowerCase(),
    code,
    reason: `reason of ${code}`,
    startedAt,
    end,
  };
}

function record(h: LockoutHold): Lockout {
  return { id: lockoutId(1, ACCOUNT), accountId: 1, scope: ACCOUNT, ...h };
}

/** The codes of the holds, primary first. */
const codes = (lockout: Lockout | undefined): string[] =>
  lockout ? lockoutHolds(lockout).map((h) => h.code) : [];

const DAILY = hold('DAILY_LOSS_LIMIT', at(RESET));
const FAILSAFE = hold('CONFIG_FAILSAFE', until('config-valid'), T0 + H);
const BROKER = hold('BROKER_TRADING_DISABLED', until('can-trade'), T0 + 2 * H);

describe('lockout holds', () => {
  it('when a condition is added to a lockout until an instant then the condition shows and the instant still holds', () => {
    const combined = addLockoutHold(record(DAILY), FAILSAFE, T0 + H);
    expect(combined).toEqual({
      id: '1:account',
      accountId: 1,
      scope: ACCOUNT,
      ...FAILSAFE,
      holds: [DAILY],
    });
    // The condition clears before the instant: the lockout continues until the instant, as DAILY.
    expect(releaseLockout(combined, { now: T0 + 90 * MIN, cleared: 'config-valid' })).toEqual(record(DAILY));
  });

  it('when an instant is added under a condition then it holds once the condition clears', () => {
    const combined = addLockoutHold(record(FAILSAFE), DAILY, T0 + 2 * H);
    expect(codes(combined)).toEqual(['CONFIG_FAILSAFE', 'DAILY_LOSS_LIMIT']);
    const split = splitLockout(combined, { now: T0 + 3 * H, cleared: 'config-valid' });
    expect(split.ended).toEqual([FAILSAFE]);
    expect(split.remaining).toEqual(record(DAILY));
    // After the instant the record is gone, never locked forever.
    expect(releaseLockout(split.remaining as Lockout, { now: RESET })).toBeUndefined();
  });

  it('when two conditions meet on one scope then both hold, the higher rank shows, and each clears alone', () => {
    const combined = addLockoutHold(addLockoutHold(record(BROKER), FAILSAFE, T0), DAILY, T0);
    expect(codes(combined)).toEqual(['CONFIG_FAILSAFE', 'BROKER_TRADING_DISABLED', 'DAILY_LOSS_LIMIT']);
    const afterBroker = releaseLockout(combined, { now: T0 + 3 * H, cleared: 'can-trade' });
    expect(codes(afterBroker)).toEqual(['CONFIG_FAILSAFE', 'DAILY_LOSS_LIMIT']);
    // The instant passes while the config is still broken: the fail-safe alone keeps the scope locked.
    const afterReset = releaseLockout(afterBroker as Lockout, { now: RESET });
    expect(afterReset).toEqual(record(FAILSAFE));
    expect(
      releaseLockout(afterReset as Lockout, { now: RESET + H, cleared: 'config-valid' }),
    ).toBeUndefined();
  });

  it('when an earlier or equal instant is added then it is subsumed and the record is returned unchanged', () => {
    const base = record(DAILY);
    expect(addLockoutHold(base, hold('SELF_LOCKOUT', at(T0 + H)), T0)).toBe(base);
    expect(addLockoutHold(base, hold('SELF_LOCKOUT', at(RESET)), T0)).toBe(base);
    const later = addLockoutHold(base, hold('SELF_LOCKOUT', at(RESET + H)), T0);
    // A later instant replaces the earlier one (at most one instant hold).
    expect(later).toEqual(record(hold('SELF_LOCKOUT', at(RESET + H))));
  });

  it('when a condition already held is asked for again then the first one stays with its start and reason', () => {
    const base = addLockoutHold(record(DAILY), FAILSAFE, T0 + H);
    const again = addLockoutHold(base, hold('OTHER', until('config-valid'), T0 + 2 * H), T0 + 2 * H);
    expect(again).toBe(base);
    expect(lockoutSubsumes(base, until('config-valid'))).toBe(true);
    expect(lockoutSubsumes(base, until('can-trade'))).toBe(false);
    expect(lockoutSubsumes(base, at(RESET))).toBe(true);
    expect(lockoutSubsumes(base, at(RESET + 1))).toBe(false);
  });

  it('when a hold has passed its instant then adding another drops it, and the record is in force only by what remains', () => {
    const short = record(hold('COOLDOWN', at(T0 + 5 * MIN)));
    const combined = addLockoutHold(short, BROKER, T0 + 10 * MIN);
    expect(combined).toEqual(record(BROKER));
    expect(holdInForce(short, T0 + 5 * MIN)).toBe(false);
    expect(holdInForce(short, T0 + 5 * MIN - 1)).toBe(true);
  });

  it('when nothing ended then release returns the same record; an admin clear ends every hold', () => {
    const combined = addLockoutHold(record(DAILY), FAILSAFE, T0 + H);
    expect(releaseLockout(combined, { now: T0 + 2 * H })).toBe(combined);
    expect(releaseLockout(combined, { now: T0 + 2 * H, cleared: 'can-trade' })).toBe(combined);
    const all = splitLockout(combined, { now: T0 + 2 * H, all: true });
    expect(all.remaining).toBeUndefined();
    expect(all.ended.map((h) => h.code)).toEqual(['CONFIG_FAILSAFE', 'DAILY_LOSS_LIMIT']);
  });

  it('when asked then the helpers name the timer instant, the start of the lock and one hold as a record', () => {
    const combined = addLockoutHold(record(DAILY), FAILSAFE, T0 + H);
    expect(nextLockoutInstant(combined)).toBe(RESET);
    expect(nextLockoutInstant(record(FAILSAFE))).toBeUndefined();
    // Locked since the daily loss (09:00), though the fail-safe (10:00) shows.
    expect(lockedSince(combined, T0 + 2 * H)).toBe(T0);
    expect(lockedSince(combined, RESET)).toBe(T0 + H);
    expect(lockedSince(record(DAILY), RESET)).toBeUndefined();
    expect(primaryHold(combined)).toEqual(FAILSAFE);
    expect(lockoutOfHold(combined, DAILY)).toEqual(record(DAILY));
  });

  it('when a stored hold is checked then only the shape of a hold passes', () => {
    expect(isLockoutHold(DAILY)).toBe(true);
    expect(isLockoutHold(FAILSAFE)).toBe(true);
    expect(isLockoutHold({ ...DAILY, end: { kind: 'condition', condition: 'moon-phase' } })).toBe(false);
    expect(isLockoutHold({ ...DAILY, end: { kind: 'at', at: '17:00' } })).toBe(false);
    expect(isLockoutHold({ ...DAILY, code: 7 })).toBe(false);
    expect(isLockoutHold(null)).toBe(false);
  });
});

type Op =
  | { readonly kind: 'add'; readonly instance: string; readonly end: LockoutEnd }
  | { readonly kind: 'clear'; readonly condition: LockoutCondition }
  | { readonly kind: 'advance'; readonly ms: number; readonly timer: boolean };

const CONDITIONS: readonly LockoutCondition[] = ['can-trade', 'config-valid', 'symbol-unblocked'];

/** Ops relative to the current time: instants are offsets from "now" when the hold is added. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      instance: fc.constantFrom('a', 'b', 'c'),
      end: fc.oneof(
        fc.integer({ min: 1, max: 6 * 60 }).map((m): LockoutEnd => ({ kind: 'at', at: m * MIN })),
        fc.constantFrom(...CONDITIONS).map(until),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('clear' as const), condition: fc.constantFrom(...CONDITIONS) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 3 * 60 }).map((m) => m * MIN),
      timer: fc.boolean(),
    }),
  },
);

describe('lockout holds properties', () => {
  it('when holds are added, conditions clear and time passes in any order then the scope is locked exactly while some requested end has not passed', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        let now = T0;
        let lockout: Lockout | undefined;
        // The model: every instant asked for (with who asked first), every condition not cleared since.
        const instants: { at: number; instance: string }[] = [];
        const conditions = new Map<LockoutCondition, string>();
        for (const op of ops) {
          if (op.kind === 'add') {
            const end: LockoutEnd = op.end.kind === 'at' ? { kind: 'at', at: now + op.end.at } : op.end;
            const h: LockoutHold = { ...hold(op.instance.toUpperCase(), end, now), instanceId: op.instance };
            lockout = lockout ? addLockoutHold(lockout, h, now) : record(h);
            if (end.kind === 'at') instants.push({ at: end.at, instance: op.instance });
            else if (!conditions.has(end.condition)) conditions.set(end.condition, op.instance);
          } else if (op.kind === 'clear') {
            if (lockout) lockout = releaseLockout(lockout, { now, cleared: op.condition });
            conditions.delete(op.condition);
          } else {
            now += op.ms;
            // The end timer may lag: sometimes the passed holds are released, sometimes not yet.
            if (op.timer && lockout) lockout = releaseLockout(lockout, { now });
          }

          const pending = instants.filter((i) => i.at > now);
          const latest = pending.reduce<{ at: number; instance: string } | undefined>(
            (best, i) => (best === undefined || i.at > best.at ? i : best),
            undefined,
          );
          const modelLocked = latest !== undefined || conditions.size > 0;
          const locked = lockout !== undefined && lockoutHolds(lockout).some((h) => holdInForce(h, now));
          // Never unlocked early, never locked after every end passed.
          expect(locked).toBe(modelLocked);

          const settled = lockout && releaseLockout(lockout, { now });
          expect(settled === undefined).toBe(!modelLocked);
          if (!settled) continue;
          // The minimal set: the latest pending instant (by whoever asked first) and each condition.
          const expected = [
            ...[...conditions].map(([condition, instance]) => `${condition}:${instance}`),
            ...(latest ? [`${latest.at}:${latest.instance}`] : []),
          ].sort();
          const actual = lockoutHolds(settled)
            .map((h) => `${h.end.kind === 'at' ? h.end.at : h.end.condition}:${h.instanceId}`)
            .sort();
          expect(actual).toEqual(expected);
          // The primary ends last; the other holds follow, latest end first.
          const ends = lockoutHolds(settled).map((h) => h.end);
          for (let i = 1; i < ends.length; i++)
            expect(compareLockoutEnds(ends[i - 1] as LockoutEnd, ends[i] as LockoutEnd)).toBeGreaterThan(0);
        }
      }),
    );
  });
});
