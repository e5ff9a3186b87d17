import {
  FakeClock,
  MarketCalendar,
  MemoryLogger,
  OrderType,
  RiskdEngine,
  RuleRegistry,
  resolveRuleSet,
} from '@riskd/core-engine';
import {
  FAKE_CONTRACTS,
  FakeBroker,
  InMemoryStateStore,
  MemoryAuditLog,
  MemoryNotifier,
} from '@riskd/core-engine/testing';
import { describe, expect, it } from 'vitest';
import {
  CONTROL_CODES,
  CONTROL_RULE_ENTRY,
  controlRulePack,
  issueControlCommand,
  type ControlSwitches,
} from './control-rule.js';

const MNQ = FAKE_CONTRACTS.MNQ.id;
// Tuesday 2026-01-06 10:00 CST; the next reset is 17:00 CST = 23:00Z.
const START = '2026-01-06T16:00:00Z';
const NEXT_RESET = Date.parse('2026-01-06T23:00:00Z');

async function desk() {
  const clock = new FakeClock(START);
  const broker = new FakeBroker({ clock, accounts: [{ id: 1 }, { id: 2 }] });
  const store = new InMemoryStateStore();
  const audit = new MemoryAuditLog();
  const switches: ControlSwitches = { failsafe: null };
  const registry = new RuleRegistry([controlRulePack(switches)]);
  const engine = new RiskdEngine({
    clock,
    logger: new MemoryLogger(),
    broker,
    store,
    audit,
    notifier: new MemoryNotifier(),
    calendar: new MarketCalendar(),
    ruleSet: resolveRuleSet(registry, { rules: [CONTROL_RULE_ENTRY] }),
  });
  await engine.start();
  broker.setQuote(MNQ, { bid: 21000, ask: 21000.25, last: 21000 });
  await clock.advance(0);
  return { clock, broker, store, audit, switches, engine };
}

describe('control rule', () => {
  it('when the trader locks until the reset then the lockout is persisted, entry orders are cancelled and a later fill is closed', async () => {
    const { clock, broker, store, audit, engine } = await desk();
    const entry = broker.placeOrder(1, MNQ, {
      type: OrderType.Limit,
      side: 'buy',
      size: 1,
      limitPrice: 20990,
    });
    await clock.advance(0);
    issueControlCommand(engine, clock, 1, {
      code: CONTROL_CODES.selfLockout,
      reason: 'the trader locked this account until the next trading-day reset',
      lockout: { kind: 'reset' },
    });
    await clock.advance(10);
    await engine.enforcement.idle();
    const lockout = engine.state.account(1)?.lockouts.get('1:account');
    expect(lockout).toMatchObject({
      code: 'SELF_LOCKOUT',
      ruleId: 'riskd-control',
      end: { kind: 'at', at: NEXT_RESET },
    });
    const persisted = (await store.load()).find((r) => r.ns === 'lockout' && r.key === '1:account');
    expect(persisted?.value).toMatchObject({ code: 'SELF_LOCKOUT' });
    expect(broker.requestsOf('cancel', 1).map((r) => r.orderId)).toEqual([entry.id]);
    expect(audit.entries.filter((e) => e.kind === 'lockout-started').map((e) => e.code)).toEqual([
      'SELF_LOCKOUT',
    ]);
    // A fill during the lockout is closed at once.
    broker.trade(1, MNQ, 'buy', 2);
    await clock.advance(10);
    await engine.enforcement.idle();
    expect(broker.netSize(1, MNQ)).toBe(0);
    // The other account is untouched.
    expect(engine.state.account(2)?.lockouts.size).toBe(0);
    await engine.stop();
  });

  it('when the trader asks again for a shorter lockout then the longer one stays (irreversible)', async () => {
    const { clock, engine } = await desk();
    issueControlCommand(engine, clock, 1, {
      code: 'SELF_LOCKOUT',
      reason: 'until the reset',
      lockout: { kind: 'reset' },
    });
    const shorter = issueControlCommand(engine, clock, 1, {
      code: 'SELF_LOCKOUT',
      reason: 'ten minutes',
      lockout: { kind: 'at', at: clock.now() + 600_000 },
    });
    expect(shorter.accounts.get(1)?.lockouts ?? []).toEqual([]);
    expect(engine.state.account(1)?.lockouts.get('1:account')?.end).toEqual({ kind: 'at', at: NEXT_RESET });
    await engine.stop();
  });

  it('when the lockout time comes then it ends on the Clock, to the second', async () => {
    const { clock, engine } = await desk();
    const until = clock.now() + 90_000;
    issueControlCommand(engine, clock, 1, {
      code: 'SELF_LOCKOUT',
      reason: '90 s',
      lockout: { kind: 'at', at: until },
    });
    await clock.set(until - 1);
    expect(engine.state.account(1)?.lockouts.size).toBe(1);
    await clock.set(until);
    expect(engine.state.account(1)?.lockouts.size).toBe(0);
    await engine.stop();
  });

  it('when the fail-safe is on then unlocked accounts get a config-valid lockout and a locked one keeps its own', async () => {
    const { clock, engine, switches } = await desk();
    issueControlCommand(engine, clock, 2, {
      code: 'SELF_LOCKOUT',
      reason: 'until the reset',
      lockout: { kind: 'reset' },
    });
    switches.failsafe = { reason: 'rules[0].options.limit: must be number' };
    for (const id of [1, 2]) {
      issueControlCommand(engine, clock, id, {
        code: CONTROL_CODES.configFailsafe,
        reason: 'config invalid',
        lockout: { kind: 'condition', condition: 'config-valid' },
        onlyIfUnlocked: true,
      });
    }
    expect(engine.state.account(1)?.lockouts.get('1:account')?.end).toEqual({
      kind: 'condition',
      condition: 'config-valid',
    });
    expect(engine.state.account(2)?.lockouts.get('2:account')?.code).toBe('SELF_LOCKOUT');
    await engine.stop();
  });

  it('when an account event arrives during the fail-safe then an unlocked account is locked (new accounts too)', async () => {
    const { clock, broker, engine, switches } = await desk();
    switches.failsafe = { reason: 'unreadable' };
    broker.setBalance(1, 49_000_000_000);
    await clock.advance(10);
    expect(engine.state.account(1)?.lockouts.get('1:account')?.code).toBe('CONFIG_FAILSAFE');
    await engine.stop();
  });

  it('when the admin flattens then every position is closed', async () => {
    const { clock, broker, engine } = await desk();
    broker.trade(1, MNQ, 'buy', 2);
    await clock.advance(10);
    issueControlCommand(engine, clock, 1, {
      code: CONTROL_CODES.adminFlatten,
      reason: 'admin stop',
      flatten: true,
    });
    await clock.advance(10);
    await engine.enforcement.idle();
    expect(broker.netSize(1, MNQ)).toBe(0);
    expect(engine.state.account(1)?.lockouts.size).toBe(0);
    await engine.stop();
  });
});
