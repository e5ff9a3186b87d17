// Benchmark: what chat delivery costs the caller (the engine's hot path) and how fast a burst drains.
//
// 1. notifyP50Us / notifyP99Us / notifyMaxUs: the time one `notify()` call takes while alerts are
//    raised as fast as possible for 20 accounts and written, coalesced and sent in the background
//    (a real ChatNotifier with the in-memory store, the system clock and a loopback Discord fake).
// 2. alertsPerSecond: alerts accepted, stored and delivered per second until the outbox is empty.
// 3. messagesPerAlert: messages sent per alert (coalescing: well under 1 in a burst).
import { performance } from 'node:perf_hooks';
import { MemoryLogger, SystemClock, type Alert } from '@riskd/core-engine';
import { reportBench } from '@riskd/core-engine/testing';
import { ChatNotifier } from '../src/index.js';
import { FakeDiscordServer, MemoryNotificationStore, pollUntil } from '../src/testing.js';

const ACCOUNTS = 20;
const ALERTS = 20_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function alert(i: number, at: number): Alert {
  const account = 1000 + (i % ACCOUNTS);
  return {
    id: `bench:${i}`,
    at,
    severity: 'warning',
    kind: 'enforcement',
    accountId: account,
    ruleId: 'max-contracts',
    code: 'MAX_CONTRACTS',
    title: `ACC-${account}: reducing MNQZ5 to 2`,
    message: `3 contracts exceed the limit of 2 (${i})`,
    fields: { action: 'reduce', account: `ACC-${account}`, contract: 'MNQZ5', position: 'long 3' },
  };
}

async function main(): Promise<void> {
  const server = await new FakeDiscordServer().start();
  const store = new MemoryNotificationStore();
  const clock = new SystemClock();
  const notifier = new ChatNotifier({
    store,
    clock,
    logger: new MemoryLogger(),
    channels: [
      {
        type: 'discord',
        id: 'desk',
        enabled: true,
        audience: 'all',
        minSeverity: 'info',
        webhookUrl: server.webhookUrl,
      },
    ],
    timeZone: 'America/Chicago',
  });
  await notifier.start();
  const durations: number[] = [];
  const started = performance.now();
  for (let i = 0; i < ALERTS; i++) {
    const t0 = performance.now();
    notifier.notify(alert(i, clock.now()));
    durations.push((performance.now() - t0) * 1000);
    // Yield now and then, as the engine does between events, so the writer and sender run.
    if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
  await pollUntil(async () => (await store.counts()).delivered === ALERTS, {
    timeoutMs: 120_000,
    intervalMs: 20,
    what: 'every alert delivered',
  });
  const seconds = (performance.now() - started) / 1000;
  await notifier.stop();
  await server.stop();
  durations.sort((a, b) => a - b);
  const stats = notifier.stats();
  reportBench(
    'notifier',
    {
      notifyP50Us: Number(percentile(durations, 50).toFixed(2)),
      notifyP99Us: Number(percentile(durations, 99).toFixed(2)),
      notifyMaxUs: Number((durations.at(-1) ?? 0).toFixed(1)),
      alertsPerSecond: Math.round(ALERTS / seconds),
      messagesPerAlert: Number((stats.messagesSent / ALERTS).toFixed(4)),
    },
    [
      `${ALERTS.toLocaleString('en-US')} alerts for ${ACCOUNTS} accounts to one Discord channel (loopback fake): ${stats.messagesSent.toLocaleString('en-US')} messages, ${stats.coalescedMessages.toLocaleString('en-US')} of them coalesced, all delivered in ${seconds.toFixed(1)} s`,
      'notify() only classifies, routes and buffers; storing and sending happen after it returned',
      'the max is a pause of the whole process (an incremental-marking step or a compilation, as --trace-gc shows), not work of notify()',
    ],
  );
}

await main();
