import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DaemonEvent } from '@riskd/api-client';
import { FakeClock, MemoryLogger, type AccountView, type Lockout } from '@riskd/core-engine';
import { MemoryAuditLog } from '@riskd/core-engine/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountMonitor } from './account-monitor.js';
import { AuditTee } from './audit-tee.js';
import { EventHub } from './event-hub.js';
import { LogAndStreamNotifier } from './log-notifier.js';
import { LatencyHistogram, PrometheusText } from './metrics.js';
import { RunMarker } from './run-marker.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('run marker', () => {
  it('when a run stops cleanly then the next start finds no marker; after a crash it finds the last heartbeat', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'riskd-marker-'));
    dirs.push(dir);
    const clock = new FakeClock('2026-01-06T16:00:00Z');
    const first = new RunMarker(dir, clock, 5_000);
    expect(first.previousRun()).toEqual({ clean: true });
    first.begin('boot-1');
    await clock.advance(12_000);
    first.end();
    expect(existsSync(first.file)).toBe(false);

    const second = new RunMarker(dir, clock, 5_000);
    expect(second.previousRun()).toEqual({ clean: true });
    second.begin('boot-2');
    await clock.advance(7_000);
    second.abandon(); // kill -9: the marker stays with its last heartbeat
    const third = new RunMarker(dir, clock, 5_000);
    const previous = third.previousRun();
    expect(previous).toMatchObject({
      clean: false,
      previous: { bootId: 'boot-2', aliveAt: Date.parse('2026-01-06T16:00:17Z') },
    });
    expect(JSON.parse(readFileSync(third.file, 'utf8')).pid).toBe(process.pid);
  });

  it('when the marker is garbage then the previous run counts as unclean with an unknown time', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'riskd-marker-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'riskd.run'), 'not json');
    expect(new RunMarker(dir, new FakeClock()).previousRun()).toEqual({ clean: false, previous: null });
  });
});

describe('audit tee and live events', () => {
  const lockout: Lockout = {
    id: '1:account',
    accountId: 1,
    scope: { kind: 'account' },
    ruleId: 'daily-loss-limit',
    instanceId: 'daily-loss-limit',
    code: 'DAILY_LOSS_LIMIT',
    reason: 'combined P&L -512.50 breached daily loss limit 500.00',
    startedAt: 1_000,
    end: { kind: 'at', at: 9_000 },
  };

  it('when enforcement rows are appended then the durable trail gets them first and the stream gets wire events', () => {
    const inner = new MemoryAuditLog();
    const hub = new EventHub(new MemoryLogger());
    const events: DaemonEvent[] = [];
    hub.subscribe((e) => events.push(e));
    const tee = new AuditTee(inner, hub, (id) => (id === 'CON.F.US.MNQ.Z26' ? 'MNQ' : undefined));
    tee.append({
      at: 1_000,
      kind: 'lockout-started',
      accountId: 1,
      code: 'DAILY_LOSS_LIMIT',
      data: { lockout, extended: false },
    });
    tee.append({
      at: 1_001,
      kind: 'decision',
      accountId: 1,
      contractId: 'CON.F.US.MNQ.Z26',
      ruleId: 'max-contracts',
      code: 'MAX_CONTRACTS',
      reason: 'weighted open contracts 4 over limit 2',
      mode: 'enforce',
      idempotencyKey: '1:CON.F.US.MNQ.Z26:reduce-to-2:e1',
      timings: { receivedAt: 1_000, decidedAt: 1_001 },
      data: { action: 'reduce-position' },
    });
    tee.append({
      at: 1_010,
      kind: 'action-confirmed',
      accountId: 1,
      contractId: 'CON.F.US.MNQ.Z26',
      idempotencyKey: '1:CON.F.US.MNQ.Z26:reduce-to-2:e1',
      timings: { receivedAt: 1_000, decidedAt: 1_001, sentAt: 1_002, confirmedAt: 1_008 },
    });
    tee.append({
      at: 9_000,
      kind: 'lockout-ended',
      accountId: 1,
      data: { lockout, clearedBy: { kind: 'admin', actor: 'admin' } },
    });
    expect(inner.entries.map((e) => e.kind)).toEqual([
      'lockout-started',
      'decision',
      'action-confirmed',
      'lockout-ended',
    ]);
    expect(events.map((e) => (e.type === 'lockout' ? `lockout:${e.change}` : e.type))).toEqual([
      'lockout:started',
      'enforcement',
      'enforcement',
      'lockout:cleared',
    ]);
    const decision = events[1] as Extract<DaemonEvent, { type: 'enforcement' }>;
    expect(decision.enforcement).toMatchObject({
      action: 'reduce',
      outcome: 'in-progress',
      symbol: 'MNQ',
      code: 'MAX_CONTRACTS',
    });
    const confirmed = events[2] as Extract<DaemonEvent, { type: 'enforcement' }>;
    expect(confirmed.enforcement).toMatchObject({ action: 'reduce', outcome: 'confirmed', latencyMs: 8 });
    expect(tee.latency.count).toBe(1);
    expect(tee.counts).toEqual({
      'lockout-started': 1,
      decision: 1,
      'action-confirmed': 1,
      'lockout-ended': 1,
    });
  });

  it('when one hold of a lockout ends and another still locks the scope then the stream says updated, with what continues', () => {
    const hub = new EventHub(new MemoryLogger());
    const events: DaemonEvent[] = [];
    hub.subscribe((e) => events.push(e));
    const tee = new AuditTee(new MemoryAuditLog(), hub, () => undefined);
    const failsafe: Lockout = {
      ...lockout,
      ruleId: 'riskd-control',
      instanceId: 'riskd.control',
      code: 'CONFIG_FAILSAFE',
      end: { kind: 'condition', condition: 'config-valid' },
    };
    tee.append({
      at: 5_000,
      kind: 'lockout-ended',
      accountId: 1,
      data: { lockout: failsafe, continuesAs: lockout },
    });
    expect(events).toEqual([
      { type: 'lockout', change: 'updated', lockout: expect.objectContaining({ code: 'DAILY_LOSS_LIMIT' }) },
    ]);
  });

  it('when a listener throws then the others still get the event and the error is logged', () => {
    const logger = new MemoryLogger();
    const hub = new EventHub(logger);
    const seen: string[] = [];
    hub.subscribe(() => {
      throw new Error('broken client');
    });
    hub.subscribe((e) => seen.push(e.type));
    const notifier = new LogAndStreamNotifier(logger, hub);
    notifier.notify({
      id: 'a1',
      at: 5,
      severity: 'critical',
      kind: 'enforcement-failed',
      title: 'Enforcement failed',
      message: 'close rejected 3 times',
    });
    expect(seen).toEqual(['alert']);
    expect(logger.lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'close rejected 3 times'],
      ['error', 'live event listener failed'],
    ]);
    expect(notifier.counts.critical).toBe(1);
  });
});

describe('metrics', () => {
  it('when latencies are observed then the histogram is cumulative and the text is Prometheus format', () => {
    const h = new LatencyHistogram();
    for (const ms of [0.5, 3, 3, 40, 9000]) h.observe(ms);
    const text = new PrometheusText()
      .metric('riskd_events_total', 'counter', 'Events.', [{ value: 7 }])
      .metric('riskd_alerts_total', 'counter', 'Alerts.', [{ labels: { severity: 'critical' }, value: 1 }])
      .histogram('riskd_enforcement_latency_ms', 'Latency.', h)
      .text();
    expect(text).toContain('# TYPE riskd_events_total counter\nriskd_events_total 7\n');
    expect(text).toContain('riskd_alerts_total{severity="critical"} 1');
    expect(text).toContain('riskd_enforcement_latency_ms_bucket{le="1"} 1\n');
    expect(text).toContain('riskd_enforcement_latency_ms_bucket{le="5"} 3\n');
    expect(text).toContain('riskd_enforcement_latency_ms_bucket{le="5000"} 4\n');
    expect(text).toContain('riskd_enforcement_latency_ms_bucket{le="+Inf"} 5\n');
    expect(text).toContain('riskd_enforcement_latency_ms_count 5\n');
  });
});

describe('account monitor', () => {
  it('when P&L moves then points are recorded once per change, thinned on request, and summaries published on change', async () => {
    const clock = new FakeClock('2026-01-06T16:00:00Z');
    const hub = new EventHub(new MemoryLogger());
    const published: number[] = [];
    hub.subscribe((e) => e.type === 'account' && published.push(clock.now()));
    const pnl = {
      realized: 0,
      unrealized: 0,
      combined: 0,
      fees: 0,
      stale: false,
      peakRealized: 0,
      peakCombined: 0,
    };
    const view = {
      accountId: 1,
      tradingDay: { id: '2026-01-07', start: 0, end: 1 },
      pnl,
    } as unknown as AccountView;
    const monitor = new AccountMonitor({
      clock,
      hub,
      accounts: () => [view],
      summary: () => ({ combined: pnl.combined }) as never,
      intervalMs: 1000,
    });
    monitor.start();
    for (let i = 1; i <= 10; i++) {
      pnl.unrealized = -i * 1_000_000;
      pnl.combined = pnl.unrealized;
      await clock.advance(1000);
    }
    await clock.advance(5000); // no change: no new point, no new summary
    monitor.stop();
    const all = monitor.points(1, 0, clock.now(), 1000);
    expect(all.map((p) => p.combined)).toEqual([
      '0.00',
      ...Array.from({ length: 10 }, (_, i) => `-${i + 1}.00`),
    ]);
    expect(monitor.points(1, 0, clock.now(), 3).map((p) => p.combined)).toEqual(['-2.00', '-6.00', '-10.00']);
    expect(published).toHaveLength(11);
  });
});
