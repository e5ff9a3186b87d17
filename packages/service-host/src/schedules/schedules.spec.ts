import {
  FakeClock,
  MarketCalendar,
  MemoryLogger,
  RiskdEngine,
  RuleRegistry,
  resolveRuleSet,
  type Clock,
  type Instant,
  type TimerHandle,
} from '@riskd/core-engine';
import { FakeBroker, InMemoryStateStore, MemoryAuditLog, MemoryNotifier } from '@riskd/core-engine/testing';
import { getTasks } from 'node-cron';
import { afterEach, describe, expect, it } from 'vitest';
import { CRON_JOBS } from './cron-jobs.js';
import { Housekeeping } from './housekeeping.js';
import { ResetCatchUp } from './reset-catch-up.js';
import { RiskdScheduler } from './riskd-scheduler.js';
import { SessionWatch } from './session-watch.js';

/** A Clock that silently loses the timers scheduled for chosen instants (a suspended machine). */
class LossyClock implements Clock {
  readonly lost = new Set<Instant>();
  constructor(readonly inner: FakeClock) {}
  now(): Instant {
    return this.inner.now();
  }
  monotonicNs(): bigint {
    return this.inner.monotonicNs();
  }
  scheduleAt(at: Instant, callback: () => void): TimerHandle {
    return this.inner.scheduleAt(at, this.lost.has(at) ? () => undefined : callback);
  }
  scheduleIn(delayMs: number, callback: () => void): TimerHandle {
    return this.scheduleAt(this.inner.now() + delayMs, callback);
  }
  cancel(handle: TimerHandle): void {
    this.inner.cancel(handle);
  }
}

const calendar = new MarketCalendar();
// Tuesday 2026-01-06 16:00 CST; the next reset is 17:00 CST = 23:00Z.
const START = '2026-01-06T22:00:00Z';
const RESET = Date.parse('2026-01-06T23:00:00Z');

async function engineOn(clock: Clock) {
  const fake = clock instanceof LossyClock ? clock.inner : (clock as FakeClock);
  const broker = new FakeBroker({ clock: fake, accounts: [{ id: 1 }] });
  const audit = new MemoryAuditLog();
  const engine = new RiskdEngine({
    clock,
    logger: new MemoryLogger(),
    broker,
    store: new InMemoryStateStore(),
    audit,
    notifier: new MemoryNotifier(),
    calendar,
    ruleSet: resolveRuleSet(new RuleRegistry([]), {}),
  });
  await engine.start();
  return { engine, audit };
}

describe('reset safety net', () => {
  it('when the Clock timer of a reset is lost then the reset check applies it once, late by at most a check', async () => {
    const fake = new FakeClock(START);
    const clock = new LossyClock(fake);
    clock.lost.add(RESET);
    const { engine } = await engineOn(clock);
    const applied: Instant[] = [];
    const logger = new MemoryLogger();
    const catchUp = new ResetCatchUp({
      clock,
      calendar,
      lastResetAt: () => engine.state.lastResetAt,
      applyReset: (at) => {
        applied.push(at);
        engine.handle({
          kind: 'reset',
          at,
          weekStart: calendar.weekStartAt(at) === at,
          brokerTime: null,
          receivedAt: clock.now(),
          receivedNs: clock.monotonicNs(),
          origin: 'engine',
        });
      },
      logger,
    });
    const before = engine.state.lastResetAt;
    await fake.set(RESET + 60_000);
    expect(engine.state.lastResetAt).toBe(before); // the engine's own timer was lost
    expect(catchUp.check()).toEqual([RESET]);
    expect(engine.state.lastResetAt).toBe(RESET);
    expect(engine.state.tradingDay.start).toBe(RESET);
    expect(catchUp.check()).toEqual([]);
    expect(applied).toEqual([RESET]);
    expect(logger.problems().map((l) => l.msg)).toEqual([
      'a due trading-day reset had not been applied: applying it now',
    ]);
    await engine.stop();
  });

  it('when the engine applied the reset on time then the check finds nothing to do', async () => {
    const clock = new FakeClock(START);
    const { engine } = await engineOn(clock);
    const applied: Instant[] = [];
    const catchUp = new ResetCatchUp({
      clock,
      calendar,
      lastResetAt: () => engine.state.lastResetAt,
      applyReset: (at) => applied.push(at),
      logger: new MemoryLogger(),
    });
    await clock.set(RESET + 60_000);
    expect(engine.state.lastResetAt).toBe(RESET);
    expect(catchUp.check()).toEqual([]);
    expect(applied).toEqual([]);
    await engine.stop();
  });

  it('when a reset is only moments old then it is left to the engine timer (grace period)', () => {
    const clock = new FakeClock(RESET + 2_000);
    const applied: Instant[] = [];
    const catchUp = new ResetCatchUp({
      clock,
      calendar,
      lastResetAt: () => RESET - 86_400_000,
      applyReset: (at) => applied.push(at),
      logger: new MemoryLogger(),
      graceMs: 5_000,
    });
    expect(catchUp.check()).toEqual([]);
    expect(applied).toEqual([]);
  });

  it('when the engine has not started (no reset known) then the check does nothing', () => {
    const catchUp = new ResetCatchUp({
      clock: new FakeClock(START),
      calendar,
      lastResetAt: () => null,
      applyReset: () => {
        throw new Error('must not be called');
      },
      logger: new MemoryLogger(),
    });
    expect(catchUp.check()).toEqual([]);
  });
});

describe('session watch', () => {
  it('when the market closes at 15:10 CT and reopens at 17:00 then each change is reported once', async () => {
    // Friday 2026-01-09 15:00 CST = 21:00Z: open; 15:10 the weekly close; Sunday 17:00 reopens.
    const clock = new FakeClock('2026-01-09T21:00:00Z');
    const seen: { open: boolean; next: string | null }[] = [];
    const watch = new SessionWatch({
      clock,
      calendar,
      logger: new MemoryLogger(),
      onTransition: (t) =>
        seen.push({ open: t.open, next: t.next === null ? null : new Date(t.next).toISOString() }),
    });
    watch.check();
    await clock.advance(60_000);
    expect(watch.check()).toBeUndefined();
    await clock.set('2026-01-09T21:11:00Z');
    watch.check();
    await clock.set('2026-01-11T23:00:30Z');
    watch.check();
    expect(seen).toEqual([
      { open: true, next: '2026-01-09T21:10:00.000Z' },
      { open: false, next: '2026-01-11T23:00:00.000Z' },
      { open: true, next: '2026-01-12T21:10:00.000Z' },
    ]);
  });
});

describe('housekeeping', () => {
  it('when one chore fails then the others still run and the failure is reported', async () => {
    const clock = new FakeClock(START);
    const logger = new MemoryLogger();
    const ran: string[] = [];
    const report = await new Housekeeping(clock, logger)
      .add({ name: 'storage', run: () => void ran.push('storage') })
      .add({
        name: 'broken',
        run: () => {
          throw new Error('disk full');
        },
      })
      .add({ name: 'logs', run: async () => void ran.push('logs') })
      .run();
    expect(ran).toEqual(['storage', 'logs']);
    expect(report.failed).toEqual([{ name: 'broken', error: 'disk full' }]);
    expect(logger.problems().map((l) => l.msg)).toEqual(['housekeeping task failed']);
  });
});

describe('scheduler', () => {
  let scheduler: RiskdScheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
  });

  it('when started then every listed job runs under node-cron with its expression, delegating to its target', async () => {
    const calls: string[] = [];
    const logger = new MemoryLogger();
    const before = getTasks().size;
    scheduler = new RiskdScheduler({
      clock: new FakeClock(START),
      timezone: 'America/Chicago',
      logger,
      targets: {
        resetCheck: () => calls.push('reset'),
        sessionCheck: () => calls.push('session'),
        housekeeping: () => {
          throw new Error('housekeeping broke');
        },
      },
    });
    scheduler.start();
    expect(getTasks().size - before).toBe(3);
    const jobs = scheduler.jobs();
    expect(jobs.map((j) => [j.name, j.expression])).toEqual(
      Object.values(CRON_JOBS).map((j) => [j.name, j.expression]),
    );
    for (const job of jobs) expect(job.nextRun).not.toBeNull();
    await scheduler.runNow('reset-check');
    await scheduler.runNow('session-check');
    await scheduler.runNow('housekeeping');
    expect(calls).toEqual(['reset', 'session']);
    expect(logger.problems()).toHaveLength(1);
    expect(logger.problems()[0]?.obj).toMatchObject({ job: 'housekeeping' });
    expect(scheduler.jobs().find((j) => j.name === 'reset-check')?.lastRun).toBe('2026-01-06T22:00:00.000Z');
    await scheduler.stop();
    expect(getTasks().size).toBe(before);
  });

  it('when the housekeeping job is zoned then its next run is 04:10 in the trading-day zone', () => {
    scheduler = new RiskdScheduler({
      clock: new FakeClock(START),
      timezone: 'America/Chicago',
      logger: new MemoryLogger(),
      targets: { resetCheck: () => 0, sessionCheck: () => 0, housekeeping: () => 0 },
    });
    scheduler.start();
    const next = scheduler.jobs().find((j) => j.name === 'housekeeping')?.nextRun;
    const local = new Date(next as string).toLocaleTimeString('en-GB', { timeZone: 'America/Chicago' });
    expect(local).toBe('04:10:00');
  });
});
