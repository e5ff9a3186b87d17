import type { WireQuote } from './wire.js';

/**
 * The SignalR JSON hub protocol (version 1): JSON records terminated by the record separator
 * 0x1E; several records may share one WebSocket frame.
 */
export const RECORD_SEPARATOR = '\u001e';

/** Hub message types used by the simulator. */
export const MessageType = {
  Invocation: 1,
  StreamItem: 2,
  Completion: 3,
  StreamInvocation: 4,
  CancelInvocation: 5,
  Ping: 6,
  Close: 7,
} as const;

/** An invocation from a client (`invoke` carries an invocationId, `send` does not). */
export interface InvocationMessage {
  type: 1;
  invocationId?: string;
  target: string;
  arguments: unknown[];
}

/** Any parsed hub message (the simulator reads `type` first). */
export type HubMessage = { type: number; [key: string]: unknown };

/** Serialises one record (JSON + separator). */
export function encodeRecord(message: object): string {
  return JSON.stringify(message) + RECORD_SEPARATOR;
}

/** A server-to-client invocation record (`{"type":1,"target":…,"arguments":…}` + separator). */
export function encodeInvocation(target: string, args: readonly unknown[]): string {
  return encodeRecord({ type: MessageType.Invocation, target, arguments: args });
}

/**
 * The GatewayQuote invocation record, written by hand: quotes are the hot path of the market hub
 * and this is several times cheaper than JSON.stringify. Produces exactly what encodeInvocation
 * produces for the same quote (pinned by a unit test).
 */
export function encodeQuoteInvocation(contractId: string, q: WireQuote): string {
  return (
    `{"type":1,"target":"GatewayQuote","arguments":[${JSON.stringify(contractId)},{"symbol":${JSON.stringify(q.symbol)},` +
    `"symbolName":${JSON.stringify(q.symbolName)},"lastPrice":${q.lastPrice},"bestBid":${q.bestBid},` +
    `"bestAsk":${q.bestAsk},"change":${q.change},"changePercent":${q.changePercent},"open":${q.open},` +
    `"high":${q.high},"low":${q.low},"volume":${q.volume},"lastUpdated":"${q.lastUpdated}",` +
    `"timestamp":"${q.timestamp}"}]}${RECORD_SEPARATOR}`
  );
}

/** The ping record, pre-encoded. */
export const PING_RECORD = encodeRecord({ type: MessageType.Ping });

/**
 * Splits buffered text into complete records; the tail after the last separator is returned as
 * `rest` (a record split across frames waits for the next frame).
 */
export function splitRecords(buffer: string): { records: string[]; rest: string } {
  const parts = buffer.split(RECORD_SEPARATOR);
  const rest = parts.pop() ?? '';
  return { records: parts.filter((p) => p.length > 0), rest };
}

/** Parses one record; returns null when it is not a JSON object with a numeric `type`. */
export function parseMessage(record: string): HubMessage | null {
  try {
    const value: unknown = JSON.parse(record);
    if (
      typeof value !== 'object' ||
      value === null ||
      typeof (value as { type?: unknown }).type !== 'number'
    ) {
      return null;
    }
    return value as HubMessage;
  } catch {
    return null;
  }
}
