import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock/clock.js';
import { lockoutId, type Lockout, type LockoutScope } from '../domain/lockout.js';
import type { Contract } from '../domain/types.js';
import type { EngineEvent, QuoteEvent } from '../events/events.js';
import { MemoryLogger } from '../ports/logger.js';
import { DEFAULT_TRADING_DAY_CONFIG, MarketCalendar } from '../calendar/index.js';
import { InMemoryStateStore } from './in-memory-state-store.js';
import { createStateHarness, ES, MES, MNQ, StateEvents, usd } from './state-events.fake.js';
import { StateManager } from './state-manager.js';
import { StateValueError } from './state.errors.js';

function lockout(
  accountId: number,
  scope: LockoutScope,
  end: Lockout['end'],
  reason = 'daily loss',
): Lockout {
  return {
    id: lockoutId(accountId, scope),
    accountId,
    scope,
    ruleId: 'daily-loss-limit',
    instanceId: 'daily-loss-limit',
    code: 'DAILY_LOSS_LIMIT',
    reason,
    startedAt: 0,
    end,
  };
}

const calendar = new MarketCalendar(DEFAULT_TRADING_DAY_CONFIG);

function freshManager(clock: FakeClock, logger = new MemoryLogger()) {
  const timersSet: unknown[] = [];
  const state = new StateManager({
    clock,
    calendar,
    includeFees: true,
    logger,
    onRuleTimerSet: (t) => timersSet.push(t),
  });
  for (const c of [MNQ, ES, MES]) state.upsertContract(c);
  return { state, timersSet };
}

describe('StateManager lockouts', () => {
  it('when lockouts are set, replaced and removed then the views and records follow', () => {
    const { state, clock } = createStateHarness();
    const account = state.ensureAccount(1);
    const until = { kind: 'at', at: clock.now() + 60_000 } as const;
    state.setLockout(lockout(1, { kind: 'symbol', symbol: 'MNQ' }, until));
    expect(account.isLocked()).toBe(false);
    expect(account.isLocked('MNQ')).toBe(true);
    expect(account.isLocked('ES')).toBe(false);
    const accountLock = lockout(1, { kind: 'account' }, { kind: 'condition', condition: 'can-trade' });
    state.setLockout(accountLock);
    state.setLockout({ ...accountLock, reason: 'replaced' });
    expect(account.isLocked('ES')).toBe(true);
    expect(account.lockouts.get('1:account')?.reason).toBe('replaced');
    expect(state.allLockouts()).toHaveLength(2);
    expect(state.removeLockout('1:account')?.reason).toBe('replaced');
    expect(state.removeLockout('1:account')).toBeUndefined();
    expect(account.isLocked('ES')).toBe(false);
    const records = state.drainDirty().filter((r) => r.ns === 'lockout');
    expect(records).toEqual([
      { ns: 'lockout', key: '1:symbol:MNQ', value: lockout(1, { kind: 'symbol', symbol: 'MNQ' }, until) },
      { ns: 'lockout', key: '1:account', value: null },
    ]);
  });

  it('when a lockout end at an instant has passed then it no longer holds though it is still listed', async () => {
    const { state, clock } = createStateHarness();
    state.setLockout(lockout(1, { kind: 'account' }, { kind: 'at', at: clock.now() + 1_000 }));
    expect(state.account(1)?.isLocked()).toBe(true);
    await clock.advance(999);
    expect(state.account(1)?.isLocked()).toBe(true);
    await clock.advance(1);
    expect(state.account(1)?.isLocked()).toBe(false);
    expect(state.account(1)?.lockouts.size).toBe(1);
  });
});

describe('StateManager lockouts with holds', () => {
  it('when the primary instant has passed but a hold has not then the scope is still locked', async () => {
    const { state, clock } = createStateHarness();
    const primary = lockout(1, { kind: 'account' }, { kind: 'at', at: clock.now() + 1_000 });
    const {
      id: _id,
      accountId: _accountId,
      scope: _scope,
      ...hold
    } = lockout(
      1,
      { kind: 'account' },
      {
        kind: 'at',
        at: clock.now() + 5_000,
      },
    );
    state.setLockout({ ...primary, holds: [hold] });
    await clock.advance(1_000);
    expect(state.account(1)?.isLocked()).toBe(true);
    await clock.advance(4_000);
    expect(state.account(1)?.isLocked()).toBe(false);
  });

  it('when records with holds, without holds (written before holds existed) and with malformed holds are restored then every scope stays locked', () => {
    const clock = new FakeClock('2026-01-06T14:30:00Z');
    const logger = new MemoryLogger();
    const { state } = freshManager(clock, logger);
    const reset = Date.parse('2026-01-06T23:00:00Z');
    const failsafe = {
      ...lockout(1, { kind: 'account' }, { kind: 'condition', condition: 'config-valid' }),
      code: 'CONFIG_FAILSAFE',
    };
    const {
      id: _id,
      accountId: _accountId,
      scope: _scope,
      ...daily
    } = lockout(
      1,
      { kind: 'account' },
      {
        kind: 'at',
        at: reset,
      },
    );
    const withHolds: Lockout = { ...failsafe, holds: [daily] };
    const old = lockout(2, { kind: 'account' }, { kind: 'at', at: reset });
    const malformed = {
      ...lockout(3, { kind: 'account' }, { kind: 'at', at: reset }),
      holds: [{ end: 'soon' }],
    };
    state.restore([
      { ns: 'lockout', key: withHolds.id, value: JSON.parse(JSON.stringify(withHolds)) },
      { ns: 'lockout', key: old.id, value: JSON.parse(JSON.stringify(old)) },
      { ns: 'lockout', key: malformed.id, value: JSON.parse(JSON.stringify(malformed)) },
    ]);
    expect(state.account(1)?.lockouts.get('1:account')).toEqual(withHolds);
    expect(state.account(2)?.lockouts.get('2:account')).toEqual(old);
    expect(state.account(3)?.lockouts.get('3:account')).toEqual(
      lockout(3, { kind: 'account' }, { kind: 'at', at: reset }),
    );
    expect([1, 2, 3].map((id) => state.account(id)?.isLocked())).toEqual([true, true, true]);
    expect(logger.problems()).toHaveLength(1);
  });
});

describe('StateManager rule state and timers', () => {
  it('when a rule sets, changes and deletes state then each key is persisted by itself', () => {
    const { state } = createStateHarness();
    const s = state.ruleState(1, 'freq:a');
    expect(state.ruleState(1, 'freq:a')).toBe(s);
    s.set('count', 3);
    s.set('window', [1, 2]);
    s.set('count', 4);
    s.delete('window');
    s.set('nothing', undefined);
    expect(s.get('count')).toBe(4);
    expect(s.get('window')).toBeUndefined();
    expect(state.drainDirty()).toEqual([
      { ns: 'rule-state', key: '1:freq%3Aa:count', value: { value: 4 } },
      { ns: 'rule-state', key: '1:freq%3Aa:window', value: null },
    ]);
  });

  it('when a rule stores a value that is not JSON then it is refused with a StateValueError', () => {
    const { state } = createStateHarness();
    const s = state.ruleState(1, 'r');
    expect(() => s.set('f', () => 1)).toThrow(StateValueError);
    expect(() => s.set('n', { x: Number.NaN })).toThrow(/\$\.x is not a finite number/);
    expect(() => s.set('m', new Map())).toThrow(expect.objectContaining({ code: 'STATE_VALUE_INVALID' }));
    expect(s.get('f')).toBeUndefined();
  });

  it('when a rule sets, moves and cancels timers then the hooks are called and the records follow', () => {
    const { state, timersSet, timersCancelled, clock } = createStateHarness();
    const timers = state.ruleTimers(1, 'grace');
    const at = clock.now() + 10_000;
    timers.set('CON.A', at, { size: 2 });
    timers.set('CON.A', at + 5_000, { size: 2 });
    timers.set('CON.B', at);
    timers.cancel('CON.B');
    timers.cancel('missing');
    expect(timersSet).toEqual([
      { accountId: 1, instanceId: 'grace', key: 'CON.A', at, payload: { size: 2 } },
      { accountId: 1, instanceId: 'grace', key: 'CON.A', at: at + 5_000, payload: { size: 2 } },
      { accountId: 1, instanceId: 'grace', key: 'CON.B', at, payload: undefined },
    ]);
    expect(timersCancelled).toEqual([{ accountId: 1, instanceId: 'grace', key: 'CON.B' }]);
    expect(timers.get('CON.A')).toMatchObject({ at: at + 5_000, payload: { size: 2 } });
    expect(state.allRuleTimers()).toEqual([timersSet[1]]);
    expect(state.drainDirty()).toEqual([
      { ns: 'rule-timer', key: '1:grace:CON.A', value: timersSet[1] },
      { ns: 'rule-timer', key: '1:grace:CON.B', value: null },
    ]);
  });

  it('when a timer event arrives then the current timer is consumed and a moved one is a duplicate', () => {
    const { state, ev, clock } = createStateHarness();
    const timers = state.ruleTimers(1, 'grace');
    const at = clock.now() + 10_000;
    timers.set('k', at + 5_000);
    expect(state.apply(ev.timer(1, 'grace', 'k', at)).duplicate).toBe(true);
    expect(timers.get('k')).toBeDefined();
    const fired = state.apply(ev.timer(1, 'grace', 'k', at + 5_000));
    expect(fired).toMatchObject({ duplicate: false, accountIds: [1] });
    expect(timers.get('k')).toBeUndefined();
    expect(state.apply(ev.timer(1, 'grace', 'k', at + 5_000)).duplicate).toBe(true);
  });
});

describe('StateManager drainDirty and restore', () => {
  it('when records are restored then lockouts, rule state, timers, peaks, marks and the trading day come back', async () => {
    const { state, ev, clock } = createStateHarness();
    const store = new InMemoryStateStore();
    state.apply(ev.account({ id: 1, balance: usd(50000) }));
    state.setLockout(
      lockout(1, { kind: 'symbol', symbol: 'ES' }, { kind: 'condition', condition: 'symbol-unblocked' }),
    );
    state.ruleState(1, 'cooldown').set('streak', 2);
    state.ruleTimers(1, 'grace').set('k', Date.parse('2026-01-07T10:00:00Z'), 'p');
    state.apply(ev.fill({ side: 'buy', size: 3, price: 21000, fees: 1.11 }));
    state.apply(ev.quote(21004, 21004.25));
    const reset = Date.parse('2026-01-06T23:00:00Z');
    await clock.set(reset);
    state.apply(ev.reset(reset));
    await clock.advance(60_000);
    const close = ev.fill({ side: 'sell', size: 1, price: 21008, pnl: 16, fees: 0.37 });
    state.apply(close);
    state.apply(ev.quote(21010, 21010.25));
    await store.write(state.drainDirty(), { durable: false });

    const { state: restored, timersSet } = freshManager(clock);
    restored.restore(await store.load());
    expect(timersSet).toEqual([]);
    expect(restored.tradingDay).toEqual(state.tradingDay);
    expect(restored.lastResetAt).toBe(reset);
    expect(restored.allLockouts()).toEqual(state.allLockouts());
    expect(restored.ruleState(1, 'cooldown').get('streak')).toBe(2);
    expect(restored.allRuleTimers()).toEqual(state.allRuleTimers());
    const before = restored.account(1);
    expect(before?.balanceAtReset).toBe(usd(50000));
    expect(before?.pnl).toMatchObject({ peakRealized: state.account(1)?.pnl.peakRealized });
    // The position carried into the day is back at its size at the reset, from its mark.
    expect(before?.positions.get(MNQ.id)).toMatchObject({
      size: 3,
      carried: true,
      basisPrice: 21004,
      epoch: 1,
    });
    // Today's fills replayed from the broker rebuild the rest.
    restored.apply(ev.again(close, {}));
    restored.apply(ev.quote(21010, 21010.25));
    const a = state.account(1);
    const b = restored.account(1);
    expect(b?.positions.get(MNQ.id)).toMatchObject({
      size: 2,
      epoch: 1,
      unrealized: a?.positions.get(MNQ.id)?.unrealized,
    });
    expect(b?.pnl).toEqual(expect.objectContaining({ realized: a?.pnl.realized, combined: a?.pnl.combined }));
    expect(b?.pnl.peakCombined).toBe(a?.pnl.peakCombined);
  });

  it('when a record is malformed then it is skipped with a warning and the rest restores', () => {
    const clock = new FakeClock('2026-01-06T14:30:00Z');
    const logger = new MemoryLogger();
    const { state } = freshManager(clock, logger);
    state.restore([
      { ns: 'lockout', key: 'x', value: 'garbage' },
      { ns: 'rule-state', key: '1:r:k', value: { value: 'ok' } },
    ]);
    expect(state.ruleState(1, 'r').get('k')).toBe('ok');
    expect(logger.problems()).toHaveLength(1);
  });

  it('when persisted peaks are higher than the rebuilt ones then the persisted ones win', () => {
    const clock = new FakeClock('2026-01-06T14:30:00Z');
    const { state } = freshManager(clock);
    state.restore([
      { ns: 'peak', key: '1', value: { day: '2026-01-06', realized: usd(300), combined: usd(450) } },
    ]);
    state.apply(new StateEvents(clock).fill({ side: 'buy', size: 1, price: 21000 }));
    expect(state.account(1)?.pnl).toMatchObject({ peakRealized: usd(300), peakCombined: usd(450) });
    // Peaks of another trading day are not restored.
    const other = freshManager(clock).state;
    other.restore([
      { ns: 'peak', key: '1', value: { day: '2026-01-05', realized: usd(300), combined: usd(450) } },
    ]);
    expect(other.ensureAccount(1).pnl.peakRealized).toBe(0);
  });
});

// -----------------------------------------------------------------------------------------------
// Property: restore(records) + replaying the trading day's events reproduces the state.

const CONTRACTS: readonly Contract[] = [MNQ, ES, MES];
const BASE = [21000, 6000, 6000];

type Step =
  | {
      readonly kind: 'fill';
      readonly account: number;
      readonly contract: number;
      readonly buy: boolean;
      readonly size: number;
      readonly offset: number;
      readonly fees: number;
      readonly pnlCents: number;
      readonly ms: number;
    }
  | {
      readonly kind: 'quote';
      readonly contract: number;
      readonly offset: number;
      readonly spread: number;
      readonly ms: number;
    }
  | { readonly kind: 'drain' }
  | { readonly kind: 'reset' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      account: fc.integer({ min: 1, max: 2 }),
      contract: fc.integer({ min: 0, max: 2 }),
      buy: fc.boolean(),
      size: fc.integer({ min: 1, max: 3 }),
      offset: fc.integer({ min: -12, max: 12 }),
      fees: fc.integer({ min: 0, max: 3 }),
      pnlCents: fc.integer({ min: -5_000, max: 5_000 }),
      ms: fc.integer({ min: 1, max: 120_000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('quote' as const),
      contract: fc.integer({ min: 0, max: 2 }),
      offset: fc.integer({ min: -12, max: 12 }),
      spread: fc.integer({ min: 1, max: 2 }),
      ms: fc.integer({ min: 1, max: 120_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
);

const scenarioArb = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 40 }),
  resetAt: fc.option(fc.nat({ max: 40 }), { nil: undefined }),
});

function snapshotOf(state: StateManager) {
  return [...state.accounts.all()]
    .map((a) => ({
      accountId: a.accountId,
      pnl: [
        a.pnl.realized,
        a.pnl.unrealized,
        a.pnl.combined,
        a.pnl.fees,
        a.pnl.stale,
        a.pnl.peakRealized,
        a.pnl.peakCombined,
      ],
      positions: [...a.positions.values()]
        .map((p) => ({
          contractId: p.contractId,
          side: p.side,
          size: p.size,
          averagePrice: p.averagePrice,
          basisPrice: p.basisPrice,
          carried: p.carried,
          epoch: p.epoch,
          mark: p.mark,
          markStale: p.markStale,
          unrealized: p.unrealized,
        }))
        .sort((x, y) => x.contractId.localeCompare(y.contractId)),
      roundTrips: a.roundTrips,
    }))
    .filter(
      (a) => a.positions.length > 0 || a.roundTrips.length > 0 || a.pnl.some((v) => v !== 0 && v !== false),
    )
    .sort((x, y) => x.accountId - y.accountId);
}

describe('StateManager restore property', () => {
  it('when the records are restored and the trading day is replayed then positions, P&L, peaks and epochs are the same', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ steps, resetAt }) => {
        const clock = new FakeClock('2026-01-06T14:30:00Z');
        const ev = new StateEvents(clock);
        const { state } = freshManager(clock);
        const store = new InMemoryStateStore();
        const nets = new Map<string, number>();
        let dayEvents: EngineEvent[] = [];
        const lastQuotes = new Map<string, QuoteEvent>();
        let quotesAtReset: QuoteEvent[] = [];
        const all: (Step | { kind: 'reset' })[] = [...steps];
        if (resetAt !== undefined) all.splice(Math.min(resetAt, all.length), 0, { kind: 'reset' });

        for (const step of all) {
          if (step.kind === 'drain') {
            await store.write(state.drainDirty(), { durable: false });
            continue;
          }
          if (step.kind === 'reset') {
            const at = calendar.nextReset(clock.now());
            await clock.set(at);
            state.apply(ev.reset(at));
            quotesAtReset = [...lastQuotes.values()];
            dayEvents = [];
            continue;
          }
          await clock.advance(step.ms);
          const contract = CONTRACTS[step.contract] as Contract;
          const price = (BASE[step.contract] as number) + step.offset * contract.tickSize;
          if (step.kind === 'quote') {
            const quote = ev.quote(price, price + step.spread * contract.tickSize, price, contract);
            lastQuotes.set(contract.id, quote);
            state.apply(quote);
            dayEvents.push(quote);
            continue;
          }
          const key = `${step.account}:${contract.id}`;
          const net = nets.get(key) ?? 0;
          const signed = step.buy ? step.size : -step.size;
          const closing = net !== 0 && net > 0 !== signed > 0;
          nets.set(key, net + signed);
          const fill = ev.fill({
            accountId: step.account,
            contract,
            side: step.buy ? 'buy' : 'sell',
            size: step.size,
            price,
            pnl: closing ? step.pnlCents / 100 : null,
            fees: step.fees * 0.37,
          });
          state.apply(fill);
          dayEvents.push(fill);
        }
        await store.write(state.drainDirty(), { durable: false });

        const { state: restored } = freshManager(clock);
        restored.restore(await store.load());
        for (const q of quotesAtReset) restored.apply(q);
        for (const e of dayEvents) restored.apply(e);

        expect(snapshotOf(restored)).toEqual(snapshotOf(state));
        for (const a of state.accounts.all()) {
          for (const p of a.positions.values()) {
            expect(restored.account(a.accountId)?.positions.get(p.contractId)?.epoch).toBe(p.epoch);
          }
        }
      }),
    );
  });
});
