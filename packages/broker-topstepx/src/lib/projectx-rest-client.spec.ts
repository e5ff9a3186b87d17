import { FakeClock, MemoryLogger } from '@riskd/core-engine';
import { describe, expect, it, vi } from 'vitest';
import { ScriptedFetch, ok, refused, withTime } from '../../tests/fakes/scripted-fetch.fake.js';
import { TopstepXBrokerError, TopstepXHttpError, TopstepXTimeoutError } from './errors.js';
import {
  ProjectXRestClient,
  parseEnvelope,
  parseRetryAfter,
  type TokenSource,
} from './projectx-rest-client.js';
import { DEFAULT_BARS_RATE_LIMIT, DEFAULT_RATE_LIMIT, RateLimiter } from './rate-limiter.js';

function setup(
  tokens: TokenSource = { current: () => 'tok-1', renewAfterUnauthorized: async () => 'tok-2' },
) {
  const clock = new FakeClock(0);
  const logger = new MemoryLogger();
  const http = new ScriptedFetch();
  const limiter = new RateLimiter(DEFAULT_RATE_LIMIT, clock);
  const rest = new ProjectXRestClient({
    apiUrl: 'http://gateway.test',
    clock,
    logger,
    limiter,
    barsLimiter: new RateLimiter(DEFAULT_BARS_RATE_LIMIT, clock),
    requestTimeoutMs: 10_000,
    actionTimeoutMs: 2000,
    readRetries: 3,
    retryBaseDelayMs: 250,
    maxBackoffMs: 30_000,
    fetchImpl: http.fetch,
  });
  rest.setTokenSource(tokens);
  return { clock, logger, http, limiter, rest };
}

describe('ProjectXRestClient reads', () => {
  it('when a read succeeds then it posts JSON with the bearer token to /api/<path>', async () => {
    const { rest, http } = setup();
    http.once('Account/search', ok({ accounts: [] }));
    const env = await rest.read<{ success: boolean; errorCode: number; accounts: unknown[] }>(
      'Account/search',
      { onlyActiveAccounts: true },
    );
    expect(env.accounts).toEqual([]);
    expect(http.calls).toEqual([
      {
        path: 'Account/search',
        body: { onlyActiveAccounts: true },
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: 'Bearer tok-1',
        },
      },
    ]);
  });

  it('when the gateway answers success:false then a broker error is thrown without a retry', async () => {
    const { rest, http } = setup();
    http.always('Order/searchOpen', refused(1, 'AccountNotFound'));
    await expect(rest.read('Order/searchOpen', { accountId: 1 })).rejects.toMatchObject({
      code: 'TOPSTEPX_BROKER_ERROR',
      brokerCode: 1,
    });
    expect(http.calls).toHaveLength(1);
  });

  it('when a read gets a 500 then it is retried after the base delay', async () => {
    const { rest, http, clock } = setup();
    http.once('Position/searchOpen', { status: 500 }).once('Position/searchOpen', ok({ positions: [] }));
    const result = await withTime(clock, rest.read('Position/searchOpen', { accountId: 1 }));
    expect(result).toMatchObject({ success: true });
    expect(http.calls).toHaveLength(2);
  });

  it('when a read keeps getting 500 then it fails after 1 + readRetries attempts', async () => {
    const { rest, http, clock } = setup();
    http.always('Position/searchOpen', { status: 503 });
    await expect(withTime(clock, rest.read('Position/searchOpen', { accountId: 1 }))).rejects.toBeInstanceOf(
      TopstepXHttpError,
    );
    expect(http.calls).toHaveLength(4);
  });

  it('when a read gets a 429 with Retry-After then snapshots back off that long and the read is retried', async () => {
    const { rest, http, clock, limiter } = setup();
    http
      .once('Trade/search', { status: 429, headers: { 'retry-after': '2' } })
      .once('Trade/search', ok({ trades: [] }));
    const pending = rest.read('Trade/search', { accountId: 1 });
    await clock.advance(10);
    expect(limiter.backoffEndsAt()).toBe(2000);
    await clock.advance(1900);
    expect(http.calls).toHaveLength(1);
    await withTime(clock, pending);
    expect(http.calls).toHaveLength(2);
  });

  it('when a read gets a 401 then the session is renewed once and the read retried with the new token', async () => {
    let token = 'old';
    const renew = vi.fn(async () => {
      token = 'new';
      return token;
    });
    const { rest, http } = setup({ current: () => token, renewAfterUnauthorized: renew });
    http.once('Account/search', { status: 401 }).once('Account/search', ok({ accounts: [] }));
    await rest.read('Account/search', { onlyActiveAccounts: true });
    expect(renew).toHaveBeenCalledWith('old');
    expect(http.calls.map((c) => c.headers['authorization'])).toEqual(['Bearer old', 'Bearer new']);
  });

  it('when a read gets 401 twice then it fails without renewing again', async () => {
    const renew = vi.fn(async () => 'tok');
    const { rest, http } = setup({ current: () => 'tok', renewAfterUnauthorized: renew });
    http.always('Account/search', { status: 401 });
    await expect(rest.read('Account/search', {})).rejects.toMatchObject({ status: 401 });
    expect(renew).toHaveBeenCalledTimes(1);
    expect(http.calls).toHaveLength(2);
  });

  it('when a read hangs then it times out and is retried', async () => {
    const { rest, http, clock } = setup();
    http.once('Contract/searchById', 'hang').once('Contract/searchById', ok({ contract: null }));
    await withTime(clock, rest.read('Contract/searchById', { contractId: 'C' }), 60_000, 500);
    expect(http.calls).toHaveLength(2);
  });

  it('when every attempt hangs then the read fails with a timeout error', async () => {
    const { rest, http, clock } = setup();
    http.always('Contract/searchById', 'hang');
    await expect(withTime(clock, rest.read('Contract/searchById', {}), 120_000, 500)).rejects.toBeInstanceOf(
      TopstepXTimeoutError,
    );
  });
});

describe('ProjectXRestClient mutations', () => {
  it('when a close is answered then the envelope comes back as answered', async () => {
    const { rest, http } = setup();
    http.once('Position/closeContract', refused(2, 'PositionNotFound'));
    const outcome = await rest.mutate('Position/closeContract', { accountId: 1, contractId: 'C' });
    expect(outcome).toEqual({
      kind: 'answered',
      envelope: { success: false, errorCode: 2, errorMessage: 'PositionNotFound' },
    });
  });

  it.each([
    ['a 500', { status: 500 }, 'HTTP 500'],
    ['a 429', { status: 429 }, 'HTTP 429'],
    ['a network error', 'network-error' as const, 'TOPSTEPX_TRANSPORT'],
    ['an unreadable body', { text: '<html>' }, 'not a JSON envelope'],
  ])('when a close gets %s then it is uncertain and sent exactly once', async (_name, reply, reason) => {
    const { rest, http } = setup();
    http.always('Position/closeContract', reply);
    const outcome = await rest.mutate('Position/closeContract', { accountId: 1, contractId: 'C' });
    expect(outcome.kind).toBe('uncertain');
    expect(outcome.kind === 'uncertain' && outcome.reason).toContain(reason);
    expect(http.calls).toHaveLength(1);
  });

  it('when a close hangs past the action timeout then it is uncertain and not resent', async () => {
    const { rest, http, clock } = setup();
    http.always('Position/closeContract', 'hang');
    const outcome = await withTime(
      clock,
      rest.mutate('Position/closeContract', { accountId: 1, contractId: 'C' }),
      5000,
    );
    expect(outcome).toMatchObject({ kind: 'uncertain' });
    expect(outcome.kind === 'uncertain' && outcome.reason).toContain('2000 ms');
    expect(clock.now()).toBeLessThan(2200);
    expect(http.calls).toHaveLength(1);
  });

  it('when a close gets a 401 then it is uncertain, not resent, and a renewal starts', async () => {
    const renew = vi.fn(async () => 'tok-2');
    const { rest, http } = setup({ current: () => 'tok-1', renewAfterUnauthorized: renew });
    http.always('Order/cancel', { status: 401 });
    const outcome = await rest.mutate('Order/cancel', { accountId: 1, orderId: 2 });
    expect(outcome).toMatchObject({ kind: 'uncertain' });
    expect(renew).toHaveBeenCalledTimes(1);
    expect(http.calls).toHaveLength(1);
  });

  it('when a close gets a 400 then it is refused (the gateway did not act)', async () => {
    const { rest, http } = setup();
    http.always('Order/cancel', { status: 400, text: '{"title":"bad"}' });
    expect(await rest.mutate('Order/cancel', {})).toEqual({ kind: 'refused', status: 400 });
  });

  it('when there is no session then a mutation is uncertain without a request', async () => {
    const { rest, http } = setup({ current: () => null, renewAfterUnauthorized: async () => 'x' });
    expect(await rest.mutate('Order/cancel', {})).toMatchObject({ kind: 'uncertain' });
    expect(http.calls).toHaveLength(0);
  });

  it('when the caller passes an idempotency header then it is sent', async () => {
    const { rest, http } = setup();
    http.always('Order/cancel', ok());
    await rest.mutate('Order/cancel', {}, 'enforcement', { 'x-riskd-idempotency-key': 'k1' });
    expect(http.calls[0]?.headers['x-riskd-idempotency-key']).toBe('k1');
  });
});

describe('envelope and Retry-After parsing', () => {
  it('when the body is a JSON envelope then it parses, else null', () => {
    expect(parseEnvelope('{"success":true,"errorCode":0,"orders":[]}')).toEqual({
      success: true,
      errorCode: 0,
      errorMessage: null,
      orders: [],
    });
    expect(parseEnvelope('"pong"')).toBeNull();
    expect(parseEnvelope('{"errorCode":0}')).toBeNull();
  });

  it('when Retry-After is seconds or a date then it becomes milliseconds', () => {
    expect(parseRetryAfter('1.5', 0)).toBe(1500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter(null, 0)).toBeNull();
    expect(parseRetryAfter('soon', 0)).toBeNull();
  });

  it('when the broker error is built then it names the endpoint and code', () => {
    expect(new TopstepXBrokerError('Order/cancel', 2, 'OrderNotFound').message).toBe(
      'Order/cancel refused: errorCode 2 (OrderNotFound)',
    );
  });
});
