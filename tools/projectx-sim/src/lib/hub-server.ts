import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Session, TokenService } from './auth.js';
import type { FaultController } from './faults.js';
import {
  MessageType,
  PING_RECORD,
  encodeInvocation,
  encodeQuoteInvocation,
  encodeRecord,
  parseMessage,
  splitRecords,
  type HubMessage,
} from './hub-protocol.js';
import type { ContractState, MarketData, Print } from './market-data.js';
import type { Recorder } from './recorder.js';
import type { TradingEngine } from './trading-engine.js';
import type { Variants } from './variants.js';
import type { UserEventName } from './wire.js';

/** The two hubs of the gateway. */
export type HubName = 'user' | 'market';

/** Hub timing settings. */
export interface HubOptions {
  /** How often the server sends a SignalR ping (type 6). Default 10 s (client timeout is 30 s). */
  pingIntervalMs?: number;
  /** Close a connection that sent nothing for this long (the client pings every 15 s). Default 30 s. */
  clientTimeoutMs?: number;
}

/** A hub connection as the control API shows it. */
export interface ConnectionInfo {
  id: string;
  hub: HubName;
  userName: string;
  negotiated: boolean;
  openedAt: string;
  subscriptions: {
    accounts: boolean;
    orders: number[];
    positions: number[];
    trades: number[];
    quotes: string[];
    marketTrades: string[];
    depth: string[];
  };
}

/** Which connections to drop and how. */
export interface DropSpec {
  /** `user`, `market` or both (default). */
  hub?: HubName | 'all';
  /** One connection only. */
  connectionId?: string;
  /**
   * `terminate` (default): the TCP connection is cut without a close frame (an abnormal closure;
   * clients with automatic reconnect reconnect). `close`: a SignalR close message with an error
   * and `allowReconnect: true`, then a WebSocket close.
   */
  mode?: 'terminate' | 'close';
}

interface Connection {
  id: string;
  hub: HubName;
  ws: WebSocket;
  session: Session;
  negotiated: boolean;
  openedAtMs: number;
  lastReceivedMs: number;
  handshaken: boolean;
  closed: boolean;
  buffer: string;
  outbox: string[];
  scheduled: boolean;
  accounts: boolean;
  orders: Set<number>;
  positions: Set<number>;
  trades: Set<number>;
  quotes: Set<string>;
  marketTrades: Set<string>;
  depth: Set<string>;
}

interface PendingEvent {
  hub: HubName;
  name: string;
  args: unknown[];
  connections: Connection[];
  /** The encoded record when the publisher already has it (quotes). */
  record?: string;
}

type MarketKind = 'quotes' | 'marketTrades' | 'depth';

const USER_SUBSCRIPTIONS: Record<string, { set: 'orders' | 'positions' | 'trades'; add: boolean }> = {
  SubscribeOrders: { set: 'orders', add: true },
  SubscribePositions: { set: 'positions', add: true },
  SubscribeTrades: { set: 'trades', add: true },
  UnsubscribeOrders: { set: 'orders', add: false },
  UnsubscribePositions: { set: 'positions', add: false },
  UnsubscribeTrades: { set: 'trades', add: false },
};

const MARKET_SUBSCRIPTIONS: Record<string, { kind: MarketKind; add: boolean }> = {
  SubscribeContractQuotes: { kind: 'quotes', add: true },
  SubscribeContractTrades: { kind: 'marketTrades', add: true },
  SubscribeContractMarketDepth: { kind: 'depth', add: true },
  UnsubscribeContractQuotes: { kind: 'quotes', add: false },
  UnsubscribeContractTrades: { kind: 'marketTrades', add: false },
  UnsubscribeContractMarketDepth: { kind: 'depth', add: false },
};

const USER_EVENT_SET: Record<UserEventName, 'orders' | 'positions' | 'trades' | null> = {
  GatewayUserAccount: null,
  GatewayUserOrder: 'orders',
  GatewayUserPosition: 'positions',
  GatewayUserTrade: 'trades',
};

/** How long a reordered event waits for a successor before it is sent anyway. */
const REORDER_HOLD_MS = 200;

/**
 * The `/hubs/user` and `/hubs/market` SignalR hubs over `ws` (noServer, on the HTTP server's
 * `upgrade`): JSON hub protocol handshake, invocations with completions, server pings, close
 * messages; the negotiate endpoint and skipNegotiation clients. Subscriptions belong to a
 * connection and die with it. Records queued in one turn of the event loop share a frame.
 */
export class HubServer {
  private readonly connections = new Map<string, Connection>();
  private readonly pending = new Map<string, { hub: HubName; connectionId: string }>();
  private readonly marketIndex: Record<MarketKind, Map<string, Set<Connection>>> = {
    quotes: new Map(),
    marketTrades: new Map(),
    depth: new Map(),
  };
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly dirty: Connection[] = [];
  private flushScheduled = false;
  private held: PendingEvent | null = null;
  private heldTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private counter = 0;
  private readonly pingIntervalMs: number;
  private readonly clientTimeoutMs: number;

  constructor(
    private readonly deps: {
      tokens: TokenService;
      engine: TradingEngine;
      market: MarketData;
      recorder: Recorder;
      faults: FaultController;
      variants: () => Variants;
      options?: HubOptions;
    },
  ) {
    this.pingIntervalMs = deps.options?.pingIntervalMs ?? 10_000;
    this.clientTimeoutMs = deps.options?.clientTimeoutMs ?? 30_000;
    this.pingTimer = setInterval(() => this.pingAll(), this.pingIntervalMs);
    this.pingTimer.unref();
  }

  // ---- connection setup ---------------------------------------------------------------------------

  /** POST `/hubs/{hub}/negotiate`: answers the negotiate document, or a status code on failure. */
  negotiate(hub: HubName, token: string | null, negotiateVersion: number): { status: number; body?: object } {
    const lookup = this.deps.tokens.lookup(token);
    if (lookup.status !== 'valid') return { status: 401 };
    const connectionId = this.nextConnectionId();
    // Negotiations never followed by a connect must not pile up: keep the newest 1,000.
    if (this.pending.size >= 1000) this.pending.delete(this.pending.keys().next().value as string);
    const availableTransports = [{ transport: 'WebSockets', transferFormats: ['Text', 'Binary'] }];
    if (negotiateVersion >= 1) {
      const connectionToken = crypto.randomBytes(16).toString('base64url');
      this.pending.set(connectionToken, { hub, connectionId });
      return {
        status: 200,
        body: { negotiateVersion: 1, connectionId, connectionToken, availableTransports },
      };
    }
    this.pending.set(connectionId, { hub, connectionId });
    return { status: 200, body: { connectionId, availableTransports } };
  }

  /** The HTTP server's `upgrade` handler. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/hubs\/(user|market)\/?$/i.exec(url.pathname); // ASP.NET paths are case-insensitive
    if (!match) return refuse(socket, 404, 'Not Found');
    const hub = (match[1] as string).toLowerCase() as HubName;
    const token = url.searchParams.get('access_token') ?? bearer(req.headers.authorization);
    const lookup = this.deps.tokens.lookup(token);
    if (lookup.status !== 'valid') return refuse(socket, 401, 'Unauthorized');
    let connectionId: string;
    let negotiated = false;
    const id = url.searchParams.get('id');
    if (id !== null) {
      const pending = this.pending.get(id);
      if (!pending || pending.hub !== hub) return refuse(socket, 404, 'Not Found');
      this.pending.delete(id);
      connectionId = pending.connectionId;
      negotiated = true;
    } else {
      connectionId = this.nextConnectionId();
    }
    this.wss.handleUpgrade(req, socket, head, (ws) =>
      this.open(ws, hub, lookup.session, connectionId, negotiated),
    );
  }

  private nextConnectionId(): string {
    return `conn-${++this.counter}-${crypto.randomBytes(4).toString('hex')}`;
  }

  private open(ws: WebSocket, hub: HubName, session: Session, id: string, negotiated: boolean): void {
    const now = Date.now();
    const conn: Connection = {
      id,
      hub,
      ws,
      session,
      negotiated,
      openedAtMs: now,
      lastReceivedMs: now,
      handshaken: false,
      closed: false,
      buffer: '',
      outbox: [],
      scheduled: false,
      accounts: false,
      orders: new Set(),
      positions: new Set(),
      trades: new Set(),
      quotes: new Set(),
      marketTrades: new Set(),
      depth: new Set(),
    };
    this.connections.set(id, conn);
    this.record(conn, 'request', 'CONNECT', null, { negotiated, userName: session.userName });
    ws.on('message', (data: RawData) => this.receive(conn, data));
    ws.on('close', () => this.closed(conn));
    ws.on('error', () => undefined); // a reset socket also emits 'close'
  }

  private closed(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.connections.delete(conn.id);
    for (const kind of ['quotes', 'marketTrades', 'depth'] as const) {
      for (const contractId of conn[kind]) this.marketIndex[kind].get(contractId)?.delete(conn);
    }
    this.record(conn, 'event', 'DISCONNECT', null, null);
  }

  // ---- receiving ------------------------------------------------------------------------------------

  private receive(conn: Connection, data: RawData): void {
    conn.lastReceivedMs = Date.now();
    conn.buffer += Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
    const { records, rest } = splitRecords(conn.buffer);
    conn.buffer = rest;
    for (const record of records) {
      if (conn.closed) return;
      if (!conn.handshaken) {
        this.handshake(conn, record);
        continue;
      }
      const message = parseMessage(record);
      if (!message) {
        this.closeWithError(conn, 'Connection closed with an error. InvalidDataException: invalid message.');
        return;
      }
      this.dispatchMessage(conn, message);
    }
  }

  private handshake(conn: Connection, record: string): void {
    let request: { protocol?: unknown; version?: unknown } | null = null;
    try {
      request = JSON.parse(record) as { protocol?: unknown; version?: unknown };
    } catch {
      request = null;
    }
    if (!request || request.protocol !== 'json' || request.version !== 1) {
      const protocol = request && typeof request.protocol === 'string' ? request.protocol : String(record);
      const error = `The protocol '${protocol}' is not supported.`;
      this.sendNow(conn, encodeRecord({ error }));
      conn.ws.close(1000);
      return;
    }
    conn.handshaken = true;
    this.enqueue(conn, encodeRecord({}));
  }

  private dispatchMessage(conn: Connection, message: HubMessage): void {
    switch (message.type) {
      case MessageType.Invocation:
        this.invoke(conn, message);
        return;
      case MessageType.StreamInvocation:
        this.complete(
          conn,
          String(message['target'] ?? ''),
          message['invocationId'],
          'Streaming is not supported.',
        );
        return;
      case MessageType.Ping:
      case MessageType.CancelInvocation:
        return;
      case MessageType.Close:
        conn.ws.close(1000);
        return;
      default:
        this.closeWithError(conn, `Connection closed with an error. Unknown message type ${message.type}.`);
    }
  }

  private invoke(conn: Connection, message: HubMessage): void {
    const target = typeof message['target'] === 'string' ? message['target'] : '';
    const args = Array.isArray(message['arguments']) ? (message['arguments'] as unknown[]) : [];
    const invocationId = message['invocationId'];
    this.record(conn, 'request', 'INVOKE', target, args);
    const error =
      conn.hub === 'user' ? this.invokeUser(conn, target, args) : this.invokeMarket(conn, target, args);
    this.complete(conn, target, invocationId, error);
    if (
      error === null &&
      target === 'SubscribeContractQuotes' &&
      this.deps.variants().quoteSnapshotOnSubscribe
    ) {
      const state = this.deps.market.get(args[0] as string);
      if (state && !state.frozen) {
        this.dispatch({
          hub: 'market',
          name: 'GatewayQuote',
          args: [state.contract.id, this.deps.market.quote(state)],
          connections: [conn],
        });
      }
    }
  }

  /** Runs a user-hub method; returns an error text, or null on success. */
  private invokeUser(conn: Connection, target: string, args: unknown[]): string | null {
    if (target === 'SubscribeAccounts' || target === 'UnsubscribeAccounts') {
      if (args.length !== 0) return arityError(target, args.length, 0);
      conn.accounts = target === 'SubscribeAccounts';
      return null;
    }
    const sub = USER_SUBSCRIPTIONS[target];
    if (!sub)
      return `Failed to invoke '${target}' due to an error on the server. HubException: Method does not exist.`;
    if (args.length !== 1) return arityError(target, args.length, 1);
    const accountId = args[0];
    if (typeof accountId !== 'number' || !Number.isInteger(accountId)) {
      return `Failed to invoke '${target}' due to an error on the server. InvalidDataException: Error binding arguments.`;
    }
    if (sub.add && !this.deps.engine.ownsAccount(conn.session.userName, accountId)) {
      return `An unexpected error occurred invoking '${target}' on the server. HubException: Account not found.`;
    }
    if (sub.add) conn[sub.set].add(accountId);
    else conn[sub.set].delete(accountId);
    return null;
  }

  /** Runs a market-hub method; returns an error text, or null on success. */
  private invokeMarket(conn: Connection, target: string, args: unknown[]): string | null {
    const sub = MARKET_SUBSCRIPTIONS[target];
    if (!sub)
      return `Failed to invoke '${target}' due to an error on the server. HubException: Method does not exist.`;
    if (args.length !== 1) return arityError(target, args.length, 1);
    const contractId = args[0];
    if (typeof contractId !== 'string') {
      return `Failed to invoke '${target}' due to an error on the server. InvalidDataException: Error binding arguments.`;
    }
    if (sub.add && !this.deps.market.get(contractId)) {
      return `An unexpected error occurred invoking '${target}' on the server. HubException: Contract not found.`;
    }
    const index = this.marketIndex[sub.kind];
    if (sub.add) {
      conn[sub.kind].add(contractId);
      let set = index.get(contractId);
      if (!set) {
        set = new Set();
        index.set(contractId, set);
      }
      set.add(conn);
    } else {
      conn[sub.kind].delete(contractId);
      index.get(contractId)?.delete(conn);
    }
    return null;
  }

  private complete(conn: Connection, target: string, invocationId: unknown, error: string | null): void {
    if (typeof invocationId !== 'string') return; // `send`: no completion expected
    const message =
      error === null
        ? { type: MessageType.Completion, invocationId }
        : { type: MessageType.Completion, invocationId, error };
    this.enqueue(conn, encodeRecord(message));
    this.record(
      conn,
      'response',
      'COMPLETION',
      target,
      error === null ? { invocationId } : { invocationId, error },
    );
  }

  // ---- publishing -----------------------------------------------------------------------------------

  /** Sends a user event to the connections subscribed to it for that account. */
  publishUser(accountId: number, name: UserEventName, payload: object): void {
    const set = USER_EVENT_SET[name];
    const targets: Connection[] = [];
    for (const conn of this.connections.values()) {
      if (conn.hub !== 'user' || !conn.handshaken) continue;
      if (set === null) {
        if (conn.accounts && this.deps.engine.ownsAccount(conn.session.userName, accountId))
          targets.push(conn);
      } else if (conn[set].has(accountId)) {
        targets.push(conn);
      }
    }
    if (targets.length === 0) return;
    const data = this.deps.variants().wrappedUserEvents ? { action: 1, data: payload } : payload;
    this.dispatch({ hub: 'user', name, args: [data], connections: targets });
  }

  /** Sends GatewayQuote (and GatewayTrade for a print, GatewayDepth) unless the stream is frozen. */
  publishMarket(state: ContractState, print: Print | null): void {
    if (state.frozen) return;
    const id = state.contract.id;
    const quoteSubs = this.marketIndex.quotes.get(id);
    if (quoteSubs && quoteSubs.size > 0) {
      const quote = this.deps.market.quote(state);
      this.dispatch({
        hub: 'market',
        name: 'GatewayQuote',
        args: [id, quote],
        connections: [...quoteSubs],
        record: encodeQuoteInvocation(id, quote),
      });
    }
    const tradeSubs = this.marketIndex.marketTrades.get(id);
    if (print && tradeSubs && tradeSubs.size > 0) {
      this.dispatch({
        hub: 'market',
        name: 'GatewayTrade',
        args: [id, this.deps.market.marketTrade(state, print)],
        connections: [...tradeSubs],
      });
    }
    const depthSubs = this.marketIndex.depth.get(id);
    if (depthSubs && depthSubs.size > 0) {
      for (const entry of this.deps.market.depth(state)) {
        this.dispatch({
          hub: 'market',
          name: 'GatewayDepth',
          args: [id, entry],
          connections: [...depthSubs],
        });
      }
    }
  }

  /** Applies the duplicate / reorder faults, then delivers. */
  private dispatch(event: PendingEvent): void {
    const held = this.held;
    if (held && held.hub === event.hub) {
      this.releaseHeld(false);
      this.deliverWithDuplicates(event);
      this.deliver(held);
      return;
    }
    if (this.deps.faults.takeReorder(event.name)) {
      if (held) this.releaseHeld(true);
      this.held = event;
      this.heldTimer = setTimeout(() => this.releaseHeld(true), REORDER_HOLD_MS);
      this.heldTimer.unref();
      return;
    }
    this.deliverWithDuplicates(event);
  }

  private releaseHeld(deliver: boolean): void {
    const held = this.held;
    this.held = null;
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = null;
    if (held && deliver) this.deliver(held);
  }

  private deliverWithDuplicates(event: PendingEvent): void {
    this.deliver(event);
    if (this.deps.faults.takeDuplicate(event.name)) this.deliver(event);
  }

  private deliver(event: PendingEvent): void {
    const record = event.record ?? encodeInvocation(event.name, event.args);
    for (const conn of event.connections) {
      if (conn.closed) continue;
      this.enqueue(conn, record);
      this.record(conn, 'event', 'SEND', event.name, event.args);
    }
  }

  private enqueue(conn: Connection, record: string): void {
    conn.outbox.push(record);
    if (conn.scheduled) return;
    conn.scheduled = true;
    this.dirty.push(conn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** One WebSocket frame per connection with everything queued since the last flush. */
  private flush(): void {
    this.flushScheduled = false;
    const dirty = this.dirty.splice(0);
    for (const conn of dirty) {
      conn.scheduled = false;
      const frame = conn.outbox.length === 1 ? (conn.outbox[0] as string) : conn.outbox.join('');
      conn.outbox = [];
      this.sendNow(conn, frame);
    }
  }

  private sendNow(conn: Connection, frame: string): void {
    if (conn.closed || conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(frame);
  }

  private pingAll(): void {
    const now = Date.now();
    for (const conn of this.connections.values()) {
      if (!conn.handshaken) continue;
      if (now - conn.lastReceivedMs > this.clientTimeoutMs) {
        this.closeWithError(conn, 'Server timeout elapsed without receiving a message from the client.');
        continue;
      }
      this.enqueue(conn, PING_RECORD);
    }
  }

  private closeWithError(conn: Connection, error: string): void {
    this.flushConnection(conn);
    this.sendNow(conn, encodeRecord({ type: MessageType.Close, error, allowReconnect: true }));
    conn.ws.close(1000);
  }

  private flushConnection(conn: Connection): void {
    if (conn.outbox.length === 0) return;
    const frame = conn.outbox.join('');
    conn.outbox = [];
    this.sendNow(conn, frame);
  }

  private record(
    conn: Connection,
    kind: 'request' | 'response' | 'event',
    method: string,
    target: string | null,
    body: unknown,
  ): void {
    this.deps.recorder.record({
      kind,
      method,
      path: `/hubs/${conn.hub}`,
      target,
      connectionId: conn.id,
      status: null,
      authorization: null,
      body,
    });
  }

  // ---- control ----------------------------------------------------------------------------------------

  /** Drops hub connections; returns how many. */
  drop(spec: DropSpec = {}): number {
    const hub = spec.hub ?? 'all';
    let count = 0;
    for (const conn of [...this.connections.values()]) {
      if (hub !== 'all' && conn.hub !== hub) continue;
      if (spec.connectionId !== undefined && conn.id !== spec.connectionId) continue;
      count++;
      if ((spec.mode ?? 'terminate') === 'close') {
        this.closeWithError(conn, 'Connection dropped by the simulator.');
      } else {
        conn.ws.terminate();
      }
      this.closed(conn);
    }
    return count;
  }

  list(): ConnectionInfo[] {
    return [...this.connections.values()].map((c) => ({
      id: c.id,
      hub: c.hub,
      userName: c.session.userName,
      negotiated: c.negotiated,
      openedAt: new Date(c.openedAtMs).toISOString(),
      subscriptions: {
        accounts: c.accounts,
        orders: [...c.orders],
        positions: [...c.positions],
        trades: [...c.trades],
        quotes: [...c.quotes],
        marketTrades: [...c.marketTrades],
        depth: [...c.depth],
      },
    }));
  }

  close(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.releaseHeld(false);
    for (const conn of [...this.connections.values()]) {
      conn.ws.terminate();
      this.closed(conn);
    }
    this.wss.close();
  }
}

function arityError(target: string, given: number, expected: number): string {
  return `Failed to invoke '${target}' due to an error on the server. InvalidDataException: Invocation provides ${given} argument(s) but target expects ${expected}.`;
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearer(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return match ? (match[1] as string).trim() : null;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}
