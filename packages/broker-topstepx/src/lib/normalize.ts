import {
  OrderStatus,
  type OrderType,
  symbolFromContractName,
  toMicros,
  type Account,
  type BrokerPosition,
  type Contract,
  type ContractId,
  type Fill,
  type Instant,
  type Order,
  type PositionSide,
  type Quote,
  type Side,
} from '@riskd/core-engine';
import { TopstepXMalformedPayloadError } from './errors.js';

/**
 * Wire -> core normalization. Every function validates the documented shape and throws
 * {@link TopstepXMalformedPayloadError} naming the first bad field; callers log the raw frame and
 * skip it. Enums are mapped exactly as PROJECTX-GATEWAY.md section 4.1 documents them.
 */

type Raw = Record<string, unknown>;

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, what: string): Raw {
  if (!isRecord(value)) throw new TopstepXMalformedPayloadError(what, '(payload)', 'is not an object');
  return value;
}

function int(raw: Raw, key: string, what: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new TopstepXMalformedPayloadError(what, key, `must be an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function finite(raw: Raw, key: string, what: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TopstepXMalformedPayloadError(what, key, `must be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optFinite(raw: Raw, key: string, what: string): number | null {
  const v = raw[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TopstepXMalformedPayloadError(what, key, `must be a number or null, got ${JSON.stringify(v)}`);
  }
  return v;
}

function str(raw: Raw, key: string, what: string): string {
  const v = raw[key];
  if (typeof v !== 'string' || v.length === 0) {
    throw new TopstepXMalformedPayloadError(
      what,
      key,
      `must be a non-empty string, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function optStr(raw: Raw, key: string, what: string): string | null {
  const v = raw[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string')
    throw new TopstepXMalformedPayloadError(what, key, `must be a string or null, got ${JSON.stringify(v)}`);
  return v;
}

function bool(raw: Raw, key: string, what: string, fallback?: boolean): boolean {
  const v = raw[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'boolean')
    throw new TopstepXMalformedPayloadError(what, key, `must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

const HAS_ZONE = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

/**
 * Parses a gateway timestamp. Both `+00:00` (with up to 7 fractional digits) and `Z` forms occur;
 * a timestamp without a zone is read as UTC (the gateway's clock), never as local time.
 */
export function parseBrokerTime(value: string): Instant | null {
  const text = HAS_ZONE.test(value) ? value : `${value}Z`;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

function instant(raw: Raw, key: string, what: string): Instant {
  const v = raw[key];
  const ms = typeof v === 'string' ? parseBrokerTime(v) : null;
  if (ms === null)
    throw new TopstepXMalformedPayloadError(
      what,
      key,
      `must be an ISO-8601 timestamp, got ${JSON.stringify(v)}`,
    );
  return ms;
}

function optInstant(raw: Raw, key: string, what: string): Instant | null {
  const v = raw[key];
  if (v === undefined || v === null) return null;
  return instant(raw, key, what);
}

function money(raw: Raw, key: string, what: string): number {
  return toMicros(finite(raw, key, what));
}

/** OrderSide: 0 Bid (buy), 1 Ask (sell). */
export function sideFromWire(value: number): Side | null {
  if (value === 0) return 'buy';
  if (value === 1) return 'sell';
  return null;
}

/** PositionType: 1 Long, 2 Short (0 Undefined is only acceptable on a close, size 0). */
export function positionSideFromWire(value: number): PositionSide | null {
  if (value === 1) return 'long';
  if (value === 2) return 'short';
  return null;
}

function side(raw: Raw, what: string): Side {
  const s = sideFromWire(int(raw, 'side', what));
  if (s === null)
    throw new TopstepXMalformedPayloadError(
      what,
      'side',
      `must be 0 (buy) or 1 (sell), got ${JSON.stringify(raw['side'])}`,
    );
  return s;
}

export function normalizeAccount(value: unknown): Account {
  const what = 'account';
  const raw = record(value, what);
  return {
    id: int(raw, 'id', what),
    name: str(raw, 'name', what),
    balance: money(raw, 'balance', what),
    canTrade: bool(raw, 'canTrade', what),
    // Documentation examples omit these two; an account is visible unless told otherwise, and is
    // treated as live (not simulated) unless the gateway says it is a practice account.
    isVisible: bool(raw, 'isVisible', what, true),
    simulated: bool(raw, 'simulated', what, false),
  };
}

export function normalizeContract(value: unknown): Contract {
  const what = 'contract';
  const raw = record(value, what);
  const name = str(raw, 'name', what);
  const tickSize = finite(raw, 'tickSize', what);
  if (tickSize <= 0) throw new TopstepXMalformedPayloadError(what, 'tickSize', 'must be positive');
  const tickValue = money(raw, 'tickValue', what);
  if (tickValue <= 0) throw new TopstepXMalformedPayloadError(what, 'tickValue', 'must be positive');
  const id = str(raw, 'id', what);
  return {
    id,
    name,
    description: optStr(raw, 'description', what) ?? '',
    tickSize,
    tickValue,
    symbol: symbolFromContractName(name),
    symbolId: optStr(raw, 'symbolId', what) ?? symbolIdFromContractId(id),
    active: bool(raw, 'activeContract', what, true),
  };
}

/** `CON.F.US.MNQ.Z25` -> `F.US.MNQ` (the documented relation; used only when `symbolId` is absent). */
export function symbolIdFromContractId(contractId: ContractId): string {
  const parts = contractId.split('.');
  if (parts.length >= 3 && parts[0] === 'CON') return parts.slice(1, -1).join('.');
  return contractId;
}

/**
 * A position snapshot. Size 0 is a close; its `type` may then be 0 (Undefined), in which case the
 * side is `closedSide` (the side of the position that closed, when known) or `long`.
 */
export function normalizePosition(value: unknown, closedSide?: PositionSide): BrokerPosition {
  const what = 'position';
  const raw = record(value, what);
  const size = int(raw, 'size', what);
  if (size < 0) throw new TopstepXMalformedPayloadError(what, 'size', `must not be negative, got ${size}`);
  const type = int(raw, 'type', what);
  let positionSide = positionSideFromWire(type);
  if (positionSide === null) {
    if (size !== 0 || type !== 0) {
      throw new TopstepXMalformedPayloadError(
        what,
        'type',
        `must be 1 (long) or 2 (short), got ${JSON.stringify(raw['type'])}`,
      );
    }
    positionSide = closedSide ?? 'long';
  }
  return {
    id: int(raw, 'id', what),
    accountId: int(raw, 'accountId', what),
    contractId: str(raw, 'contractId', what),
    side: positionSide,
    size,
    averagePrice:
      size === 0 ? (optFinite(raw, 'averagePrice', what) ?? 0) : finite(raw, 'averagePrice', what),
    openedAt: instant(raw, 'creationTimestamp', what),
  };
}

export function normalizeOrder(value: unknown): Order {
  const what = 'order';
  const raw = record(value, what);
  const status = int(raw, 'status', what);
  if (status < 0 || status > 8) {
    throw new TopstepXMalformedPayloadError(what, 'status', `must be an OrderStatus 0..8, got ${status}`);
  }
  const type = int(raw, 'type', what);
  if (type < 0 || type > 7)
    throw new TopstepXMalformedPayloadError(what, 'type', `must be an OrderType 0..7, got ${type}`);
  const size = int(raw, 'size', what);
  if (size < 0) throw new TopstepXMalformedPayloadError(what, 'size', `must not be negative, got ${size}`);
  const fillVolume =
    raw['fillVolume'] === undefined || raw['fillVolume'] === null ? 0 : int(raw, 'fillVolume', what);
  return {
    id: int(raw, 'id', what),
    accountId: int(raw, 'accountId', what),
    contractId: str(raw, 'contractId', what),
    type: type as OrderType,
    side: side(raw, what),
    size,
    status: status as OrderStatus,
    limitPrice: optFinite(raw, 'limitPrice', what),
    stopPrice: optFinite(raw, 'stopPrice', what),
    fillVolume,
    filledPrice: optFinite(raw, 'filledPrice', what),
    customTag: optStr(raw, 'customTag', what),
    createdAt: instant(raw, 'creationTimestamp', what),
    updatedAt: optInstant(raw, 'updateTimestamp', what),
  };
}

export function normalizeFill(value: unknown): Fill {
  const what = 'trade';
  const raw = record(value, what);
  const size = int(raw, 'size', what);
  if (size <= 0) throw new TopstepXMalformedPayloadError(what, 'size', `must be positive, got ${size}`);
  const pnl = optFinite(raw, 'profitAndLoss', what);
  const fees = optFinite(raw, 'fees', what);
  return {
    id: int(raw, 'id', what),
    accountId: int(raw, 'accountId', what),
    contractId: str(raw, 'contractId', what),
    orderId: int(raw, 'orderId', what),
    side: side(raw, what),
    size,
    price: finite(raw, 'price', what),
    profitAndLoss: pnl === null ? null : toMicros(pnl),
    fees: fees === null ? 0 : toMicros(fees),
    voided: bool(raw, 'voided', what, false),
    time: instant(raw, 'creationTimestamp', what),
  };
}

/**
 * A quote. Fields the frame leaves out keep their previous value (`previous`), so a partial
 * update never blanks a side. The time is `timestamp`, else `lastUpdated`, else `receivedAt`.
 */
export function normalizeQuote(
  contractId: ContractId,
  value: unknown,
  previous: Quote | undefined,
  receivedAt: Instant,
): Quote {
  const what = 'quote';
  const raw = record(value, what);
  const pick = (key: string, prior: number | null | undefined): number | null =>
    raw[key] === undefined ? (prior ?? null) : optFinite(raw, key, what);
  const time = optInstant(raw, 'timestamp', what) ?? optInstant(raw, 'lastUpdated', what) ?? receivedAt;
  return {
    contractId,
    bid: pick('bestBid', previous?.bid),
    ask: pick('bestAsk', previous?.ask),
    last: pick('lastPrice', previous?.last),
    time,
  };
}

/**
 * The payloads of one user-hub invocation. The gateway documents one bare object per event;
 * project-x-py also sees `{action, data}` wrappers and lists, so every one of these is accepted:
 * `[obj]`, `[{action, data: obj}]`, `[{action, data: [obj, ...]}]`, `[[obj, ...]]`, and
 * `[id, obj]`. Anything that does not reduce to objects throws.
 */
export function unwrapUserPayloads(args: readonly unknown[], what: string): unknown[] {
  if (args.length === 0) throw new TopstepXMalformedPayloadError(what, '(arguments)', 'are empty');
  const last =
    args.length >= 2 && (typeof args[0] === 'number' || typeof args[0] === 'string') ? args[1] : args[0];
  const out: unknown[] = [];
  collect(last, what, out, 0);
  return out;
}

function isWrapper(value: Raw): boolean {
  return 'data' in value && ('action' in value || Object.keys(value).length === 1);
}

function collect(value: unknown, what: string, out: unknown[], depth: number): void {
  if (depth > 3) throw new TopstepXMalformedPayloadError(what, '(payload)', 'is nested too deeply');
  if (Array.isArray(value)) {
    for (const item of value) collect(item, what, out, depth + 1);
    return;
  }
  if (!isRecord(value))
    throw new TopstepXMalformedPayloadError(what, '(payload)', `is not an object: ${JSON.stringify(value)}`);
  if (isWrapper(value)) {
    collect(value['data'], what, out, depth + 1);
    return;
  }
  out.push(value);
}

/** A market-hub payload resolved to the contract it concerns. */
export interface MarketPayload {
  readonly contractId: ContractId;
  readonly data: unknown;
}

/**
 * The payload of one market-hub invocation. Documented: two arguments `(contractId, data)`.
 * Also accepted: `data` wrapped as `{action, data}`, a single `[contractId, data]` argument, and a
 * single object naming its contract by `contractId` or by `symbol`/`symbolId` (resolved through
 * `contractForSymbol`, the subscribed contract of that symbol id).
 */
export function unwrapMarketPayload(
  args: readonly unknown[],
  what: string,
  contractForSymbol: (symbolId: string) => ContractId | undefined,
): MarketPayload {
  let list: readonly unknown[] = args;
  if (list.length === 1 && Array.isArray(list[0])) list = list[0] as unknown[];
  if (list.length === 1 && isRecord(list[0]) && isWrapper(list[0])) {
    const inner = list[0]['data'];
    list = Array.isArray(inner) ? inner : [inner];
  }
  let contractId: ContractId | undefined;
  let data: unknown;
  if (list.length >= 2 && typeof list[0] === 'string') {
    contractId = list[0];
    data = list[1];
  } else if (list.length === 1 && isRecord(list[0])) {
    data = list[0];
    const own = list[0]['contractId'];
    const symbol = list[0]['symbolId'] ?? list[0]['symbol'];
    contractId =
      typeof own === 'string' ? own : typeof symbol === 'string' ? contractForSymbol(symbol) : undefined;
  }
  if (isRecord(data) && isWrapper(data)) data = data['data'];
  if (contractId === undefined || contractId.length === 0) {
    throw new TopstepXMalformedPayloadError(what, 'contractId', 'is missing or unknown');
  }
  if (!isRecord(data)) throw new TopstepXMalformedPayloadError(what, '(payload)', 'is not an object');
  return { contractId, data };
}

/** Statuses from which an order never comes back to a working state. */
export function isTerminalStatus(status: OrderStatus): boolean {
  return (
    status === OrderStatus.Filled ||
    status === OrderStatus.Cancelled ||
    status === OrderStatus.Expired ||
    status === OrderStatus.Rejected
  );
}
