/**
 * Golden traces: each `tests/golden/*.jsonl` file is a scenario replayed through the real
 * RiskdEngine (state -> risk -> lockouts -> enforcement) on the FakeBroker and the FakeClock, with
 * the expected decisions, audit rows, broker requests, lockouts, alerts and positions written
 * next to the steps that cause them. A mismatch fails with a line diff (`-` expected, `+` actual)
 * and the actual items in the trace's own format, ready to paste.
 *
 * # Format (JSON Lines)
 *
 * One JSON object per line; blank lines and lines starting with `#` are comments.
 *
 * The first object is the header:
 *
 *     {"trace": {"title": "when ... then ...", "start": "2026-01-06T15:00:00.000Z",
 *                "accounts": [1, 2], "rules": [{"rule": "test-contracts-limit", "options": {"limit": 3}}],
 *                "enforcement": {"confirmTimeoutMs": 1000}}}
 *
 * `rules` are rule entries over the test rules (`test-contracts-limit`, `test-daily-loss`);
 * `enforcement` (optional) tunes the enforcement engine. The engine starts at `start`.
 *
 * Every other line is one step. Any step may carry `"at": "<ISO>"`: the clock is first set to that
 * instant (running every timer due on the way). Steps:
 *
 * - `{"broker": {"op": ...}}`: a FakeBroker action, then everything due at that instant runs.
 *   Contracts are named by symbol (`MNQ`, `NQ`, `ES`, `MES`), orders by the `ref` given when placed.
 *   - `{"op": "quote", "contract": "ES", "bid": 6000, "ask": 6000.25, "last": 6000}`
 *   - `{"op": "trade", "account": 1, "contract": "MNQ", "side": "buy", "size": 5, "price"?: 21000}`
 *   - `{"op": "order", "account": 1, "contract": "MNQ", "type": "limit|stop|stop-limit|market",
 *      "side": "sell", "size": 2, "limitPrice"?: ..., "stopPrice"?: ..., "ref": "stop1"}`
 *   - `{"op": "fill", "order": "stop1", "price"?: ..., "size"?: ...}` (a working order fills)
 *   - `{"op": "cancel", "order": "stop1"}` (the trader cancels)
 *   - `{"op": "canTrade", "account": 1, "value": false}`
 *   - `{"op": "reconcile", "account": 1}` (a reconnect: what was not delivered is replayed)
 *   - `{"op": "fault", "action": {...}}`: a FakeActionFault (`kinds`, `account`, `contract`, `times`,
 *     `effect`, `delayMs`), e.g. `{"kinds": ["close"], "times": 3, "effect": {"type": "reject",
 *     "code": "order-rejected"}}`
 *   - `{"op": "fault", "events": {...}, "when"?: "next-request"}`: a FakeEventFault (`kinds`,
 *     `account`, `contract`, `times`, `effect`: drop | delay `ms` | duplicate `count`). With
 *     `"when": "next-request"` it applies only to the events caused by Riskd's next broker request
 *     (a late, lost or duplicated confirmation), not to the trader's.
 * - `{"advance": 1500}`: moves the clock forward, running due timers (retries, timeouts, resets).
 * - `{"expect": {...}}`: compares, for each key given:
 *   - `decisions`: every decision of the outcomes since the last `decisions` expectation
 *     (`outcome.decisions`, covered ones included), in order;
 *   - `audit`: the audit rows appended since the last `audit` expectation;
 *   - `requests`: the broker requests since the last `requests` expectation;
 *   - `alerts`: the alerts since the last `alerts` expectation;
 *   - `lockouts`: the lockouts in the engine's state now (the whole set);
 *   - `positions`: the broker's open positions now, `{"1:MNQ": 3}` (signed; flat ones absent).
 *   Items are compared on the keys the expected item names, so a trace pins what matters and no
 *   more; the number of items must match. Keys: decisions `account code action reason rule
 *   contract reduceTo mode`; audit `kind code reason key account contract via to event at`;
 *   requests `kind account contract order size key result at` (result `ok`, `uncertain`,
 *   `rejected:<code>`); alerts `severity kind code account at`; lockouts `account scope code rule
 *   end startedAt` (scope `account` or `symbol:ES`; end an ISO instant or `condition:<name>`).
 *
 * The package README's "Golden traces" section has the same description.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  OrderType,
  type AccountId,
  type ContractId,
  type Decision,
  type EngineEvent,
  type EnforcementTuning,
  type Outcome,
  type RuleEntryConfig,
} from '../src/index.js';
import { FAKE_CONTRACTS, type FakeActionFault, type FakeEventFault } from '../src/testing.js';
import { EngineDesk } from './support/engine-desk.fake.js';

const GOLDEN_DIR = path.join(import.meta.dirname, 'golden');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Item = Record<string, Json>;

interface Header {
  readonly title: string;
  readonly start: string;
  readonly accounts: readonly AccountId[];
  readonly rules: readonly RuleEntryConfig[];
  readonly enforcement?: EnforcementTuning;
}

interface Line {
  readonly no: number;
  readonly value: JsonObject;
}

/** A trace that cannot be read: the file and line say where. */
class GoldenTraceError extends Error {
  readonly code = 'GOLDEN_TRACE_INVALID';
}

const SYMBOL_OF = new Map<ContractId, string>(
  Object.entries(FAKE_CONTRACTS).map(([symbol, c]) => [c.id, symbol]),
);

function contractId(symbol: Json | undefined, where: string): ContractId {
  const contract = FAKE_CONTRACTS[String(symbol) as keyof typeof FAKE_CONTRACTS];
  if (!contract) throw new GoldenTraceError(`${where}: unknown contract ${JSON.stringify(symbol)}`);
  return contract.id;
}

function symbolOf(id: ContractId | null | undefined): string | null {
  if (id === null || id === undefined) return null;
  return SYMBOL_OF.get(id) ?? id;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function readTrace(file: string): { header: Header; steps: Line[] } {
  const lines: Line[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch (err) {
        throw new GoldenTraceError(`${path.basename(file)}:${i + 1}: not JSON (${String(err)})`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new GoldenTraceError(`${path.basename(file)}:${i + 1}: each line must be a JSON object`);
      lines.push({ no: i + 1, value: value as JsonObject });
    });
  const [first, ...steps] = lines;
  const header = first?.value['trace'] as unknown as Header | undefined;
  if (!header || typeof header.title !== 'string' || typeof header.start !== 'string')
    throw new GoldenTraceError(
      `${path.basename(file)}: the first line must be {"trace": {"title", "start", ...}}`,
    );
  return { header, steps };
}

// ------------------------------------------------------------------------------ rendering actuals

function renderDecision(d: Decision): Item {
  return {
    account: d.accountId,
    code: d.code,
    action: d.action,
    reason: d.reason,
    rule: d.ruleId,
    contract: symbolOf(d.contractId),
    reduceTo: d.reduceTo ?? null,
    mode: d.mode,
  };
}

const DEFAULT_KEYS: Readonly<Record<string, readonly string[]>> = {
  decisions: ['code', 'action', 'reason'],
  audit: ['kind', 'code', 'reason'],
  requests: ['kind', 'account', 'contract', 'size', 'key', 'result'],
  alerts: ['severity', 'kind', 'code'],
  lockouts: ['account', 'scope', 'code', 'end'],
};

/** Projects actual items onto the keys the expected items name (extra items: the last one's keys). */
function project(kind: string, actual: readonly Item[], expected: readonly Item[]): Item[] {
  return actual.map((item, i) => {
    const shape = expected[i] ?? expected[expected.length - 1];
    const keys = shape ? Object.keys(shape) : (DEFAULT_KEYS[kind] ?? Object.keys(item));
    const out: Item = {};
    for (const key of keys) out[key] = item[key] ?? null;
    return out;
  });
}

/** A line diff of two lists of JSON lines (longest common subsequence). */
function diffLines(expected: readonly string[], actual: readonly string[]): string[] {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      (lcs[i] as number[])[j] =
        expected[i] === actual[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, (lcs[i] as number[])[j + 1] as number);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      out.push(`    ${expected[i]}`);
      i++;
      j++;
    } else if (
      j < m &&
      (i >= n || ((lcs[i] as number[])[j + 1] as number) >= ((lcs[i + 1] as number[])[j] as number))
    ) {
      out.push(`  + ${actual[j]}`);
      j++;
    } else {
      out.push(`  - ${expected[i]}`);
      i++;
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ the runner

class TraceRun {
  private readonly decisions: Item[] = [];
  private readonly cursors = { decisions: 0, audit: 0, requests: 0, alerts: 0 };
  private readonly orders = new Map<string, number>();
  private readonly refOf = new Map<number, string>();
  private nextRequestFault: FakeEventFault | undefined;
  readonly mismatches: string[] = [];

  private constructor(
    readonly file: string,
    readonly desk: EngineDesk,
    private readonly accounts: readonly AccountId[],
  ) {}

  static async open(file: string, header: Header): Promise<TraceRun> {
    const desk = new EngineDesk({
      start: Date.parse(header.start),
      accounts: header.accounts,
      rules: header.rules,
      ...(header.enforcement ? { enforcement: header.enforcement } : {}),
    });
    const run = new TraceRun(file, desk, header.accounts);
    // Every outcome the engine returns, whatever the event came from.
    const handle = desk.engine.handle.bind(desk.engine);
    desk.engine.handle = (event: EngineEvent): Outcome => {
      const outcome = handle(event);
      for (const d of outcome.decisions ?? []) run.decisions.push(renderDecision(d));
      return outcome;
    };
    desk.broker.onRequest(() => {
      const fault = run.nextRequestFault;
      if (!fault) return;
      run.nextRequestFault = undefined;
      const injected = desk.broker.injectEventFault(fault);
      // Only the events the request causes (sent while the broker acts on it).
      queueMicrotask(() => injected.remove());
    });
    await desk.start();
    return run;
  }

  async step(line: Line): Promise<void> {
    const where = `${path.basename(this.file)}:${line.no}`;
    const { at, broker, advance, expect: expectation, ...rest } = line.value;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new GoldenTraceError(`${where}: unknown step keys ${unknown.join(', ')}`);
    if (typeof at === 'string') {
      const target = Date.parse(at);
      if (!Number.isFinite(target)) throw new GoldenTraceError(`${where}: invalid "at" ${at}`);
      await this.desk.clock.set(target);
    }
    if (broker !== undefined) {
      this.brokerAction(broker as JsonObject, where);
      await this.desk.clock.runDue();
    }
    if (typeof advance === 'number') await this.desk.clock.advance(advance);
    if (expectation !== undefined) this.check(expectation as JsonObject, where);
  }

  private brokerAction(action: JsonObject, where: string): void {
    const broker = this.desk.broker;
    const account = (): AccountId => Number(action['account']);
    const contract = (): ContractId => contractId(action['contract'], where);
    const orderId = (): number => {
      const id = this.orders.get(String(action['order']));
      if (id === undefined)
        throw new GoldenTraceError(`${where}: unknown order ref ${JSON.stringify(action['order'])}`);
      return id;
    };
    const num = (key: string): number | undefined =>
      typeof action[key] === 'number' ? action[key] : undefined;
    switch (action['op']) {
      case 'quote':
        broker.setQuote(contract(), {
          ...(action['bid'] !== undefined ? { bid: action['bid'] as number | null } : {}),
          ...(action['ask'] !== undefined ? { ask: action['ask'] as number | null } : {}),
          ...(action['last'] !== undefined ? { last: action['last'] as number | null } : {}),
        });
        return;
      case 'trade':
        broker.trade(
          account(),
          contract(),
          action['side'] === 'sell' ? 'sell' : 'buy',
          Number(action['size']),
          num('price'),
        );
        return;
      case 'order': {
        const types: Record<string, OrderType> = {
          limit: OrderType.Limit,
          stop: OrderType.Stop,
          'stop-limit': OrderType.StopLimit,
          market: OrderType.Market,
        };
        const type = types[String(action['type'])];
        if (type === undefined)
          throw new GoldenTraceError(`${where}: unknown order type ${JSON.stringify(action['type'])}`);
        const limitPrice = num('limitPrice');
        const stopPrice = num('stopPrice');
        const order = broker.placeOrder(account(), contract(), {
          type,
          side: action['side'] === 'sell' ? 'sell' : 'buy',
          size: Number(action['size']),
          ...(limitPrice !== undefined ? { limitPrice } : {}),
          ...(stopPrice !== undefined ? { stopPrice } : {}),
        });
        if (typeof action['ref'] === 'string') {
          this.orders.set(action['ref'], order.id);
          this.refOf.set(order.id, action['ref']);
        }
        return;
      }
      case 'fill': {
        const price = num('price');
        const size = num('size');
        broker.fillOrder(orderId(), {
          ...(price !== undefined ? { price } : {}),
          ...(size !== undefined ? { size } : {}),
        });
        return;
      }
      case 'cancel':
        broker.traderCancel(orderId());
        return;
      case 'canTrade':
        broker.setCanTrade(account(), action['value'] === true);
        return;
      case 'reconcile':
        void broker.reconcile(account());
        return;
      case 'fault': {
        if (action['action'] !== undefined) {
          broker.injectActionFault(
            this.fault(action['action'] as JsonObject, where) as unknown as FakeActionFault,
          );
        } else if (action['events'] !== undefined) {
          const fault = this.fault(action['events'] as JsonObject, where) as unknown as FakeEventFault;
          if (action['when'] === 'next-request') this.nextRequestFault = fault;
          else broker.injectEventFault(fault);
        } else throw new GoldenTraceError(`${where}: a fault needs "action" or "events"`);
        return;
      }
      default:
        throw new GoldenTraceError(`${where}: unknown broker op ${JSON.stringify(action['op'])}`);
    }
  }

  /** A fault as FakeBroker takes it: `account` -> accountId, `contract` symbol -> contractId, times "Infinity". */
  private fault(spec: JsonObject, where: string): Record<string, unknown> {
    const { account, contract, times, ...rest } = spec;
    return {
      ...rest,
      ...(account !== undefined ? { accountId: Number(account) } : {}),
      ...(contract !== undefined ? { contractId: contractId(contract, where) } : {}),
      ...(times !== undefined
        ? { times: times === 'Infinity' ? Number.POSITIVE_INFINITY : Number(times) }
        : {}),
    };
  }

  private check(expectation: JsonObject, where: string): void {
    for (const [kind, expected] of Object.entries(expectation)) {
      switch (kind) {
        case 'decisions':
        case 'audit':
        case 'requests':
        case 'alerts': {
          const all = this.actual(kind);
          const since = all.slice(this.cursors[kind]);
          this.cursors[kind] = all.length;
          this.compare(kind, since, expected as Item[], where);
          break;
        }
        case 'lockouts':
          this.compare(kind, this.actual(kind), expected as Item[], where);
          break;
        case 'positions': {
          const actual: Item = {};
          for (const accountId of this.accounts)
            for (const [id, size] of this.desk.positionsAtBroker(accountId))
              actual[`${accountId}:${symbolOf(id)}`] = size;
          this.compare(kind, [actual], [expected as Item], where, true);
          break;
        }
        default:
          throw new GoldenTraceError(`${where}: unknown expectation ${kind}`);
      }
    }
  }

  private actual(kind: 'decisions' | 'audit' | 'requests' | 'alerts' | 'lockouts'): Item[] {
    const { desk } = this;
    switch (kind) {
      case 'decisions':
        return this.decisions;
      case 'audit':
        return desk.audit.entries.map((e) => {
          const data = (e.data ?? {}) as { via?: string; to?: string };
          const event = e.event as { kind?: string } | undefined;
          return {
            kind: e.kind,
            code: e.code ?? null,
            reason: e.reason ?? null,
            key: e.idempotencyKey ?? null,
            account: e.accountId ?? null,
            contract: symbolOf(e.contractId),
            via: data.via ?? null,
            to: data.to ?? null,
            event: event?.kind ?? null,
            at: iso(e.at),
          };
        });
      case 'requests':
        return desk.broker.requests.map((r) => ({
          kind: r.kind,
          account: r.accountId,
          contract: symbolOf(r.contractId),
          order: r.orderId === null ? null : (this.refOf.get(r.orderId) ?? r.orderId),
          size: r.size,
          key: r.idempotencyKey,
          result: r.result.status === 'rejected' ? `rejected:${r.result.code}` : r.result.status,
          at: iso(r.at),
        }));
      case 'alerts':
        return desk.notifier.alerts.map((a) => ({
          severity: a.severity,
          kind: a.kind,
          code: a.code ?? null,
          account: a.accountId ?? null,
          at: iso(a.at),
        }));
      case 'lockouts':
        return desk.engine.state.allLockouts().map((l) => ({
          account: l.accountId,
          scope: l.scope.kind === 'account' ? 'account' : `symbol:${l.scope.symbol}`,
          code: l.code,
          rule: l.ruleId,
          end: l.end.kind === 'at' ? iso(l.end.at) : `condition:${l.end.condition}`,
          startedAt: iso(l.startedAt),
        }));
    }
  }

  private compare(
    kind: string,
    actual: readonly Item[],
    expected: readonly Item[],
    where: string,
    whole = false,
  ): void {
    if (!Array.isArray(expected)) throw new GoldenTraceError(`${where}: expect.${kind} must be a list`);
    // A whole object (positions) is compared with its keys sorted.
    const sorted = (item: Item): Item =>
      Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)));
    if (whole) expected = expected.map(sorted);
    const shown = whole ? actual.map(sorted) : project(kind, actual, expected);
    const expectedLines = expected.map((e) => JSON.stringify(e));
    const actualLines = shown.map((a) => JSON.stringify(a));
    if (JSON.stringify(expectedLines) === JSON.stringify(actualLines)) return;
    this.mismatches.push(
      [
        `${where}: expect.${kind} differs (- expected, + actual)`,
        ...diffLines(expectedLines, actualLines),
        `  actual, as a trace line: {"expect": {"${kind}": ${whole ? (actualLines[0] ?? '{}') : `[${actualLines.join(', ')}]`}}}`,
      ].join('\n'),
    );
  }
}

const files = readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();

describe('golden traces', () => {
  it('when the golden folder is read then it holds at least six traces', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  for (const name of files) {
    const file = path.join(GOLDEN_DIR, name);
    const { header, steps } = readTrace(file);
    it(`${header.title} (${name})`, async () => {
      const run = await TraceRun.open(file, header);
      for (const line of steps) await run.step(line);
      // Time moves only when told: let the (zero) drain timer run.
      const stopping = run.desk.engine.stop({ drainMs: 0 });
      await run.desk.clock.runDue();
      await stopping;
      expect(run.mismatches.join('\n\n'), `golden trace ${name}`).toBe('');
    });
  }
});
