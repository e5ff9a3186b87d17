import { FakeClock, MemoryLogger } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { ScriptedFetch, fakeJwt, ok, refused, withTime } from '../../tests/fakes/scripted-fetch.fake.js';
import { TokenManager, jwtExpiry } from './auth.js';
import { TopstepXAuthError } from './errors.js';
import { ProjectXRestClient } from './projectx-rest-client.js';
import { DEFAULT_BARS_RATE_LIMIT, DEFAULT_RATE_LIMIT, RateLimiter } from './rate-limiter.js';

const API_KEY = 'unit-test-api-key-0123456789';
const HOUR = 3_600_000;

function setup(start = Date.UTC(2026, 0, 5, 14, 0)) {
  const clock = new FakeClock(start);
  const logger = new MemoryLogger();
  const http = new ScriptedFetch();
  const rest = new ProjectXRestClient({
    apiUrl: 'http://gateway.test',
    clock,
    logger,
    limiter: new RateLimiter(DEFAULT_RATE_LIMIT, clock),
    barsLimiter: new RateLimiter(DEFAULT_BARS_RATE_LIMIT, clock),
    requestTimeoutMs: 10_000,
    actionTimeoutMs: 2000,
    readRetries: 0,
    retryBaseDelayMs: 10,
    maxBackoffMs: 1000,
    fetchImpl: http.fetch,
  });
  const tokens = new TokenManager({
    rest,
    userName: 'demo',
    apiKey: API_KEY,
    clock,
    logger,
    renewBeforeMs: 30 * 60_000,
    fallbackTtlMs: HOUR,
    renewRetryMs: 30_000,
    requestTimeoutMs: 10_000,
  });
  rest.setTokenSource(tokens);
  return { clock, logger, http, tokens };
}

/** Nothing in the log lines may carry the key or a token. */
function expectNoSecrets(logger: MemoryLogger, ...tokens: string[]): void {
  const text = JSON.stringify(logger.lines);
  expect(text).not.toContain(API_KEY);
  for (const token of tokens) expect(text).not.toContain(token);
}

describe('jwtExpiry', () => {
  it('when the token is a JWT then exp is read in milliseconds', () => {
    expect(jwtExpiry(fakeJwt(1_800_000_000))).toBe(1_800_000_000_000);
  });
  it('when the token is not a JWT then the expiry is unknown', () => {
    expect(jwtExpiry('opaque-token')).toBeNull();
    expect(jwtExpiry('a.!!!.c')).toBeNull();
  });
});

describe('TokenManager', () => {
  it('when login succeeds then the token and its expiry are adopted and nothing secret is logged', async () => {
    const { http, tokens, clock, logger } = setup();
    const token = fakeJwt((clock.now() + 24 * HOUR) / 1000);
    http.once('Auth/loginKey', ok({ token }));
    await tokens.login();
    expect(tokens.current()).toBe(token);
    expect(tokens.expiresAt()).toBe(clock.now() + 24 * HOUR);
    expect(http.calls[0]?.body).toEqual({ userName: 'demo', apiKey: API_KEY });
    expect(http.calls[0]?.headers['authorization']).toBeUndefined();
    expectNoSecrets(logger, token);
  });

  it('when login is refused then an auth error with the LoginErrorCode is thrown, without the key', async () => {
    const { http, tokens } = setup();
    http.once('Auth/loginKey', refused(3, `bad key ${API_KEY}`));
    const err = await tokens.login().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TopstepXAuthError);
    expect(err).toMatchObject({ code: 'TOPSTEPX_AUTH_FAILED', brokerCode: 3 });
    expect((err as Error).message).toContain('InvalidCredentials');
    expect((err as Error).message).not.toContain(API_KEY);
  });

  it('when the token nears expiry then Auth/validate renews it and listeners hear about it', async () => {
    const { http, tokens, clock, logger } = setup();
    const first = fakeJwt((clock.now() + 24 * HOUR) / 1000);
    const second = fakeJwt((clock.now() + 48 * HOUR) / 1000);
    http.once('Auth/loginKey', ok({ token: first })).once('Auth/validate', ok({ newToken: second }));
    const changes: string[] = [];
    tokens.onChange((_t, reason) => changes.push(reason));
    await tokens.login();
    await clock.advance(24 * HOUR - 30 * 60_000 - 1);
    expect(http.callsTo('Auth/validate')).toHaveLength(0);
    await clock.advance(1);
    expect(http.callsTo('Auth/validate')).toHaveLength(1);
    expect(http.callsTo('Auth/validate')[0]?.headers['authorization']).toBe(`Bearer ${first}`);
    expect(http.callsTo('Auth/validate')[0]?.body).toBeUndefined();
    expect(tokens.current()).toBe(second);
    expect(changes).toEqual(['login', 'renewed']);
    expectNoSecrets(logger, first, second);
  });

  it('when Auth/validate fails then the manager logs in again with the key', async () => {
    const { http, tokens, clock } = setup();
    const first = fakeJwt((clock.now() + HOUR) / 1000);
    const second = fakeJwt((clock.now() + 25 * HOUR) / 1000);
    http
      .once('Auth/loginKey', ok({ token: first }))
      .once('Auth/validate', refused(3))
      .once('Auth/loginKey', ok({ token: second }));
    await tokens.login();
    await tokens.renew();
    expect(tokens.current()).toBe(second);
    expect(http.calls.map((c) => c.path)).toEqual(['Auth/loginKey', 'Auth/validate', 'Auth/loginKey']);
  });

  it('when two requests get a 401 at once then one renewal serves both', async () => {
    const { http, tokens, clock } = setup();
    const first = fakeJwt((clock.now() + HOUR) / 1000);
    const second = fakeJwt((clock.now() + 2 * HOUR) / 1000);
    http.once('Auth/loginKey', ok({ token: first })).once('Auth/loginKey', ok({ token: second }));
    await tokens.login();
    const [a, b] = await Promise.all([
      tokens.renewAfterUnauthorized(first),
      tokens.renewAfterUnauthorized(first),
    ]);
    expect(a).toBe(second);
    expect(b).toBe(second);
    expect(http.callsTo('Auth/loginKey')).toHaveLength(2);
    // A late 401 for the old token does not renew again.
    expect(await tokens.renewAfterUnauthorized(first)).toBe(second);
    expect(http.callsTo('Auth/loginKey')).toHaveLength(2);
  });

  it('when a scheduled renewal fails then it is tried again after the retry delay', async () => {
    const { http, tokens, clock } = setup();
    const first = fakeJwt((clock.now() + HOUR) / 1000);
    const second = fakeJwt((clock.now() + 3 * HOUR) / 1000);
    http
      .once('Auth/loginKey', ok({ token: first }))
      .once('Auth/validate', 'network-error')
      .once('Auth/loginKey', 'network-error')
      .once('Auth/validate', ok({ newToken: second }));
    await tokens.login();
    await withTime(clock, new Promise<void>((resolve) => tokens.onChange(() => resolve())), 2 * HOUR, 10_000);
    expect(tokens.current()).toBe(second);
    expect(http.calls.map((c) => c.path)).toEqual([
      'Auth/loginKey',
      'Auth/validate',
      'Auth/loginKey',
      'Auth/validate',
    ]);
  });

  it('when the token has no readable exp then the fallback lifetime is assumed', async () => {
    const { http, tokens, clock } = setup();
    http.once('Auth/loginKey', ok({ token: 'opaque-session-token' }));
    await tokens.login();
    expect(tokens.expiresAt()).toBe(clock.now() + HOUR);
  });
});
