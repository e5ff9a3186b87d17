import {
  HttpTransportType,
  HubConnectionBuilder,
  LogLevel,
  type HubConnection,
  type IRetryPolicy,
} from '@microsoft/signalr';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../src/index.js';

/** A fixed start instant so ids, timestamps and the front month are reproducible. */
export const T0 = '2026-11-26T15:00:00.000Z';
export const MNQ = 'CON.F.US.MNQ.Z26';
export const NQ = 'CON.F.US.ENQ.Z26';
export const ES = 'CON.F.US.EP.Z26';
export const MES = 'CON.F.US.MES.Z26';
export const ACCOUNT = 70001;
export const ACCOUNT_2 = 70002;

/**
 * Starts a simulator for a test: a manual clock at T0 (time moves only when the test says so, so
 * expiry and rate-limit windows do not depend on how fast the machine is) and no random walk.
 */
export function startTestSim(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({
    seed: 7,
    clock: { start: T0, mode: 'manual' },
    walk: { enabled: false },
    historyHours: 2,
    ...options,
  });
}

/** A parsed HTTP answer. */
export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** POSTs JSON (or nothing when `body` is undefined) to a gateway path like `/api/Order/place`. */
export async function post<T = Record<string, unknown>>(
  sim: { apiUrl: string },
  path: string,
  body?: unknown,
  token?: string | null,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  const init: RequestInit = {
    method: 'POST',
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${sim.apiUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? safeJson(text) : null) as T, text };
}

/** Calls the HTTP control API. */
export async function control<T = Record<string, unknown>>(
  sim: { controlUrl: string },
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<HttpAnswer<T>> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`${sim.controlUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? safeJson(text) : null) as T, text };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Logs in as the demo user and returns the token. */
export async function login(
  sim: RunningSimulator,
  userName = 'demo',
  apiKey = 'demo-api-key',
): Promise<string> {
  const res = await post<{ token: string; success: boolean }>(sim, '/api/Auth/loginKey', {
    userName,
    apiKey,
  });
  if (!res.body.success) throw new Error(`login failed: ${res.text}`);
  return res.body.token;
}

/** Polls until `check` returns a truthy value (or throws after the deadline). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Collects hub events in arrival order. */
export class EventLog {
  readonly events: { name: string; args: unknown[] }[] = [];

  constructor(connection: HubConnection, names: readonly string[]) {
    for (const name of names) connection.on(name, (...args: unknown[]) => this.events.push({ name, args }));
  }

  named(name: string): unknown[][] {
    return this.events.filter((e) => e.name === name).map((e) => e.args);
  }

  names(): string[] {
    return this.events.map((e) => e.name);
  }

  clear(): void {
    this.events.length = 0;
  }
}

export const USER_EVENTS = [
  'GatewayUserAccount',
  'GatewayUserOrder',
  'GatewayUserPosition',
  'GatewayUserTrade',
] as const;
export const MARKET_EVENTS = ['GatewayQuote', 'GatewayTrade', 'GatewayDepth'] as const;

/** Builds (not starts) a real @microsoft/signalr connection to a simulator hub. */
export function hubConnection(
  url: string,
  token: () => string,
  options: { skipNegotiation?: boolean; reconnect?: boolean | number[]; queryToken?: boolean } = {},
): HubConnection {
  const skipNegotiation = options.skipNegotiation ?? true;
  let builder = new HubConnectionBuilder()
    .withUrl(options.queryToken ? `${url}?access_token=${encodeURIComponent(token())}` : url, {
      skipNegotiation,
      transport: HttpTransportType.WebSockets,
      accessTokenFactory: token,
    })
    .configureLogging(LogLevel.None);
  if (options.reconnect) {
    const delays = Array.isArray(options.reconnect) ? options.reconnect : [0, 50, 100, 200, 400];
    const policy: IRetryPolicy = {
      nextRetryDelayInMilliseconds: (ctx) =>
        ctx.previousRetryCount < delays.length ? (delays[ctx.previousRetryCount] as number) : null,
    };
    builder = builder.withAutomaticReconnect(policy);
  }
  return builder.build();
}

/** A started user-hub connection subscribed to everything for the given accounts. */
export async function userHub(
  sim: RunningSimulator,
  token: string,
  accounts: number[] = [ACCOUNT],
): Promise<{ connection: HubConnection; log: EventLog }> {
  const connection = hubConnection(sim.userHubUrl, () => token);
  const log = new EventLog(connection, USER_EVENTS);
  await connection.start();
  await connection.invoke('SubscribeAccounts');
  for (const id of accounts) {
    await connection.invoke('SubscribeOrders', id);
    await connection.invoke('SubscribePositions', id);
    await connection.invoke('SubscribeTrades', id);
  }
  return { connection, log };
}
