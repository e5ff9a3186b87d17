import { describe, expect, it } from 'vitest';
import { FakeClock } from '@riskd/core-engine';
import { TokenStore } from './token-store.js';

describe('TokenStore', () => {
  it('when a token is issued then it verifies until its expiry instant, and never after', async () => {
    const clock = new FakeClock('2026-03-09T15:00:00Z');
    const store = new TokenStore(clock, { admin: 1_000, trader: 5_000 });
    const { token, grant } = store.issue('admin');
    expect(grant).toMatchObject({ role: 'admin', expiresAt: Date.parse('2026-03-09T15:00:01Z') });
    expect(store.verify(token)).toEqual(grant);
    await clock.advance(999);
    expect(store.verify(token)).toEqual(grant);
    await clock.advance(1);
    expect(store.verify(token)).toBeUndefined();
    expect(store.size()).toBe(0);
  });

  it('when tokens are issued then each is distinct, unguessable from another, and its id is not the token', () => {
    const store = new TokenStore(new FakeClock());
    const a = store.issue('trader');
    const b = store.issue('trader');
    expect(a.token).not.toBe(b.token);
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toContain(a.grant.tokenId);
    expect(store.verify(a.token.slice(0, -1) + (a.token.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
  });

  it('when the roles tokens are revoked then only that role is logged out', () => {
    const store = new TokenStore(new FakeClock());
    const admin = store.issue('admin');
    const trader = store.issue('trader');
    store.revokeAll('admin');
    expect(store.verify(admin.token)).toBeUndefined();
    expect(store.verify(trader.token)).toBeDefined();
  });

  it('when a role logs in more than 256 times then the oldest tokens are dropped, so memory stays bounded', async () => {
    const clock = new FakeClock();
    const store = new TokenStore(clock);
    const first = store.issue('trader');
    await clock.advance(1);
    for (let i = 0; i < 256; i++) store.issue('trader');
    expect(store.size()).toBe(256);
    expect(store.verify(first.token)).toBeUndefined();
  });
});
