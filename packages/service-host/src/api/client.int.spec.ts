import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RiskdApiError,
  RiskdClient,
  type DaemonEvent,
  type LiveEvent,
  type LiveStreamState,
} from '@riskd/api-client';
import { createApiHarness, HARNESS_PASSWORDS, type ApiHarness } from './api-harness.fake.js';
import { listen } from './server.js';

let h: ApiHarness;
let baseUrl: string;

beforeEach(async () => {
  h = createApiHarness();
  baseUrl = (await listen(h.app, { port: 0 })).url;
});

afterEach(async () => {
  await h.close();
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const alert = (id: string): DaemonEvent => ({
  type: 'alert',
  alert: {
    id,
    at: '2026-03-09T15:00:00.000Z',
    severity: 'warning',
    kind: 'warning',
    accountId: 101,
    ruleId: 'daily-loss-limit',
    code: 'DAILY_LOSS_WARNING',
    title: 'Approaching the daily loss limit',
    message: 'combined P&L -400.00 is 80% of the limit 500.00',
    fields: {},
  },
});

describe('RiskdClient against the control API', () => {
  it('when every read route is called then the answers are typed wire objects', async () => {
    const client = new RiskdClient({ baseUrl });
    await expect(client.healthz()).resolves.toMatchObject({ status: 'ok', ready: true });
    await expect(client.metrics()).resolves.toContain('riskd_api_live_clients');
    await expect(client.openapi()).resolves.toMatchObject({ openapi: '3.1.0' });
    await expect(client.status()).resolves.toMatchObject({
      phase: 'running',
      auth: { admin: 'set', trader: 'set' },
    });
    const { accounts } = await client.accounts();
    expect(accounts.map((a) => a.id)).toEqual([101, 102]);
    await expect(client.account(102)).resolves.toMatchObject({
      id: 102,
      positions: [{ symbol: 'MNQ', unrealized: '-12.50' }],
    });
    await expect(client.accountPnl(101, { maxPoints: 5 })).resolves.toMatchObject({
      accountId: 101,
      points: [],
    });
    await expect(client.rules({ accountId: 101 })).resolves.toMatchObject({ accounts: [{ accountId: 101 }] });
    await expect(client.lockouts()).resolves.toMatchObject({ lockouts: [], timers: [] });
    await expect(client.enforcements({ limit: 1 })).resolves.toEqual({ items: [], nextCursor: null });
    await expect(client.audit({ kind: 'system' })).resolves.toMatchObject({
      items: [{ seq: 1, code: 'STARTED' }],
    });
  });

  it('when the trader logs in then the trader routes work and the self-lockout holds', async () => {
    const client = new RiskdClient({ baseUrl });
    const login = await client.login('trader', HARNESS_PASSWORDS.trader);
    expect(login).toMatchObject({ role: 'trader', expiresAt: '2026-03-10T03:00:00.000Z' });
    await expect(client.clockIn({ note: 'open' })).resolves.toMatchObject({
      session: { noteIn: 'open', clockedOutAt: null },
    });
    await expect(client.clockOut()).resolves.toMatchObject({
      session: { clockedOutAt: '2026-03-09T15:00:00.000Z' },
    });
    const prefs = { kinds: 'all' as const, channels: ['discord'], quietHours: null };
    await expect(client.putNotifications(prefs)).resolves.toEqual(prefs);
    await expect(client.getNotifications()).resolves.toEqual(prefs);
    const { lockouts } = await client.selfLockout({ until: '2026-03-09T20:00:00Z' });
    expect(lockouts.map((l) => [l.id, l.endsAt])).toEqual([
      ['101:account', '2026-03-09T20:00:00.000Z'],
      ['102:account', '2026-03-09T20:00:00.000Z'],
    ]);
    const refused = await client.clearLockout('101:account', 'please').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RiskdApiError);
    expect(refused).toMatchObject({ status: 403, apiCode: 'FORBIDDEN' });
  });

  it('when the admin works with credentials then config, credentials, clears, logs, restart and stop all go through', async () => {
    const client = new RiskdClient({
      baseUrl,
      credentials: { role: 'admin', password: HARNESS_PASSWORDS.admin },
    });
    const rules = await client.getRulesConfig();
    const change = await client.putRulesConfig({
      rules: [{ rule: 'daily-loss-limit', options: { limit: 300 } }],
      expectedRevision: rules.revision,
    });
    expect(change).toEqual({
      revision: rules.revision + 1,
      changes: [
        {
          path: 'rules[0].options.limit',
          summary: 'limit 500 -> 300',
          strictness: 'tighter',
          appliesAt: null,
          forced: false,
        },
      ],
    });
    const accounts = await client.getAccountsConfig();
    await expect(client.putAccountsConfig({ accounts: accounts.accounts })).resolves.toMatchObject({
      revision: change.revision + 1,
    });
    await expect(client.putBrokerCredentials({ userName: 'me', apiKey: 'sk-SECRET' })).resolves.toEqual({
      userName: 'me',
      apiKeyStored: true,
      reconnecting: true,
    });
    await client.selfLockout({ accountId: 101, until: 'reset' });
    await expect(client.clearLockout('101:account', 'reviewed with the trader')).resolves.toMatchObject({
      lockout: { id: '101:account' },
    });
    await expect(client.logs({ level: 'info' })).resolves.toMatchObject({ lines: [{ msg: 'riskd ready' }] });
    await expect(client.restart({ reason: 'new rule pack' })).resolves.toMatchObject({ accepted: true });
    h.controlPlane.phase = 'running';
    await expect(client.stop({ reason: 'end of the evaluation', lock: true })).resolves.toMatchObject({
      exitCode: 78,
      locked: [101, 102],
    });
  });

  it('when the API refuses then RiskdApiError carries the status, code and every problem', async () => {
    const client = new RiskdClient({ baseUrl });
    const anonymous = await client.getRulesConfig().catch((e: unknown) => e);
    expect(anonymous).toMatchObject({ status: 401, apiCode: 'UNAUTHORIZED' });
    await client.login('admin', HARNESS_PASSWORDS.admin);
    const invalid = (await client
      .putRulesConfig({ rules: [{ rule: 'nope' }, { rule: 'max-contracts', mode: 'loud' as never }] })
      .catch((e: unknown) => e)) as RiskdApiError;
    expect(invalid.status).toBe(400);
    expect(invalid.problems).toEqual([
      { path: 'body.rules[1].mode', message: 'must be one of "enforce", "alert-only", "dry-run"' },
    ]);
    await expect(client.account(404)).rejects.toMatchObject({ status: 404, apiCode: 'NOT_FOUND' });
    await expect(client.login('admin', 'wrong')).rejects.toMatchObject({ status: 401 });
  });

  it('when an admin token expires on the daemon then a client with credentials logs in again and the call succeeds', async () => {
    const client = new RiskdClient({
      baseUrl,
      credentials: { role: 'admin', password: HARNESS_PASSWORDS.admin },
    });
    await client.getRulesConfig();
    const first = client.token;
    await h.clock.advance(15 * 60_000);
    await expect(client.getRulesConfig()).resolves.toMatchObject({ rules: [{ rule: 'daily-loss-limit' }] });
    expect(client.token).not.toBe(first);
  });

  it('when the live stream drops then the client reconnects with Last-Event-ID and gets what it missed, in order', async () => {
    const states: LiveStreamState[] = [];
    const client = new RiskdClient({ baseUrl });
    const stream = client.events({ reconnectDelayMs: 20, onStateChange: (s) => states.push(s) });
    const received: LiveEvent[] = [];
    const loop = (async () => {
      for await (const event of stream) received.push(event);
    })();
    await waitFor(() => received.length === 1, 'hello');
    h.controlPlane.emit(alert('a1'));
    await waitFor(() => received.length === 2, 'a1');

    h.app.server.closeAllConnections();
    await waitFor(() => states.includes('reconnecting'), 'the drop to be noticed');
    h.controlPlane.emit(alert('a2'));
    h.controlPlane.emit(alert('a3'));
    await waitFor(() => received.length === 5, 'the second hello and the replay');
    h.controlPlane.emit(alert('a4'));
    await waitFor(() => received.length === 6, 'a4 live');
    stream.close();
    await loop;

    expect(
      received.map((e) =>
        e.type === 'alert' ? e.alert.id : `${e.type}:${e.type === 'hello' ? e.replayed : ''}`,
      ),
    ).toEqual(['hello:0', 'a1', 'hello:2', 'a2', 'a3', 'a4']);
    expect(states).toEqual(['open', 'reconnecting', 'open', 'closed']);
    expect(stream.lastEventId).toMatch(/^[0-9a-f]{8}-4$/);
  });
});
