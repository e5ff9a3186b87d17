/**
 * core-engine hot-path benchmark: 20 accounts, each holding 3 of 4 shared contracts, 10 rule
 * instances per account (the two test rules with varied thresholds), a stream of about 50 quotes
 * per fill, through the state manager, the risk engine and the enforcement decision against the
 * fake broker. One event is one `RiskdEngine.handle()` call; latency is measured from the moment
 * the engine takes the event to the merged decision handed to enforcement.
 *
 * Usage: `npx nx run core-engine:bench` (or `-- --events N`).
 */
import 'reflect-metadata';
import {
  MarketCalendar,
  MemoryLogger,
  RiskdEngine,
  RuleRegistry,
  SystemClock,
  resolveRuleSet,
  type EngineEvent,
  type QuoteEvent,
  type RuleEntryConfig,
} from '../src/index.js';
import {
  FAKE_CONTRACTS,
  FakeBroker,
  InMemoryStateStore,
  MemoryAuditLog,
  MemoryNotifier,
  reportBench,
  TEST_RULE_PACK,
} from '../src/testing.js';

const ACCOUNTS = 20;
const QUOTES_PER_FILL = 50;
const argEvents = process.argv.indexOf('--events');
const TOTAL_EVENTS = argEvents > 0 ? Number(process.argv[argEvents + 1]) : 300_000;
const WARMUP_EVENTS = Math.min(50_000, Math.floor(TOTAL_EVENTS / 5));

const contracts = [FAKE_CONTRACTS.MNQ, FAKE_CONTRACTS.NQ, FAKE_CONTRACTS.ES, FAKE_CONTRACTS.MES];
const basePrice = new Map<string, number>([
  [FAKE_CONTRACTS.MNQ.id, 21000],
  [FAKE_CONTRACTS.NQ.id, 21000],
  [FAKE_CONTRACTS.ES.id, 6000],
  [FAKE_CONTRACTS.MES.id, 6000],
]);

/** A small deterministic PRNG (mulberry32), so every run sees the same stream. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ten instances per account with thresholds far enough apart that the steady state rarely breaches. */
const rules: RuleEntryConfig[] = [];
for (let i = 0; i < 5; i++) {
  rules.push({ rule: 'test-contracts-limit', id: `contracts-${i}`, options: { limit: 40 + i * 10 } });
  rules.push({
    rule: 'test-daily-loss',
    id: `loss-${i}`,
    options: { limit: 50_000 + i * 25_000 },
    warnAt: 0.9,
  });
}

async function main(): Promise<void> {
  const clock = new SystemClock();
  const random = prng(20260105);
  const broker = new FakeBroker({
    clock,
    accounts: Array.from({ length: ACCOUNTS }, (_, i) => ({ id: 101 + i, balance: 150_000_000_000 })),
    recordEvents: false,
  });
  const engine = new RiskdEngine({
    clock,
    logger: new MemoryLogger(),
    broker,
    store: new InMemoryStateStore(),
    audit: new MemoryAuditLog(),
    notifier: new MemoryNotifier(),
    calendar: new MarketCalendar(),
    ruleSet: resolveRuleSet(new RuleRegistry([TEST_RULE_PACK]), { rules }),
    persistIntervalMs: 1_000,
  });
  await engine.start();

  // Every account holds 3 of the 4 contracts (it skips contract i % 4), long or short, 1-5 lots.
  const holdings: Array<{ accountId: number; contractId: string; size: number }> = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    for (let c = 0; c < contracts.length; c++) {
      if (c === i % contracts.length) continue;
      const contract = contracts[c]!;
      const size = 1 + Math.floor(random() * 3);
      const side = random() < 0.5 ? 'buy' : 'sell';
      broker.trade(101 + i, contract.id, side, size, basePrice.get(contract.id));
      holdings.push({ accountId: 101 + i, contractId: contract.id, size: side === 'buy' ? size : -size });
    }
  }
  await new Promise((resolve) => setImmediate(resolve));

  // Time every event the engine takes, whatever its source (the fake broker's stream or direct).
  const latencies = new Float64Array(TOTAL_EVENTS + 10_000);
  let measured = 0;
  let measuring = false;
  const handle = engine.handle.bind(engine);
  engine.handle = (event: EngineEvent) => {
    const t0 = process.hrtime.bigint();
    const outcome = handle(event);
    if (measuring && measured < latencies.length)
      latencies[measured++] = Number(process.hrtime.bigint() - t0) / 1e6;
    return outcome;
  };

  const quote = (contractIndex: number): QuoteEvent => {
    const contract = contracts[contractIndex]!;
    const base = basePrice.get(contract.id)!;
    const bid = base + (Math.floor(random() * 9) - 4) * contract.tickSize;
    return {
      kind: 'quote',
      quote: { contractId: contract.id, bid, ask: bid + contract.tickSize, last: bid, time: clock.now() },
      brokerTime: clock.now(),
      receivedAt: clock.now(),
      receivedNs: clock.monotonicNs(),
      origin: 'stream',
    };
  };

  let events = 0;
  let fills = 0;
  const run = async (count: number): Promise<void> => {
    let done = 0;
    while (done < count) {
      for (let q = 0; q < QUOTES_PER_FILL && done < count; q++, done++) {
        engine.handle(quote(Math.floor(random() * contracts.length)));
      }
      // One trader fill: a held contract moves by one lot, staying between 1 and 5 lots.
      const h = holdings[Math.floor(random() * holdings.length)]!;
      const grow = Math.abs(h.size) < 5 && (Math.abs(h.size) === 1 || random() < 0.5);
      const buy = h.size > 0 === grow;
      broker.trade(h.accountId, h.contractId, buy ? 'buy' : 'sell', 1, basePrice.get(h.contractId));
      h.size += buy ? 1 : -1;
      fills++;
      // Let the fake broker's stream (fill, order, position, account events) reach the engine.
      await Promise.resolve();
    }
    events += count;
  };

  await run(WARMUP_EVENTS);
  measuring = true;
  const evaluationsBefore = engine.risk.evaluations;
  const eventsBefore = engine.counters.events;
  const t0 = process.hrtime.bigint();
  await run(TOTAL_EVENTS);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  measuring = false;
  const handled = engine.counters.events - eventsBefore;
  const evaluations = engine.risk.evaluations - evaluationsBefore;
  const sorted = latencies.slice(0, measured).sort();
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  await engine.stop({ drainMs: 1_000 });

  reportBench(
    'core-engine',
    {
      eventsPerSecond: Math.round(handled / seconds),
      evaluationsPerSecond: Math.round(evaluations / seconds),
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      maxMs: sorted[sorted.length - 1] ?? 0,
      events: handled,
      fills,
      accounts: ACCOUNTS,
      ruleInstancesPerAccount: rules.length,
    },
    [
      `${(events - WARMUP_EVENTS).toLocaleString('en-US')} quotes driven after ${WARMUP_EVENTS.toLocaleString('en-US')} ` +
        `warm-up; events also counts the broker's fill, order, position and account events.`,
      'Targets on 2 cores: >= 50,000 events/s, p99 <= 1 ms.',
    ],
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
