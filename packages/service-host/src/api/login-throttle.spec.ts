import { describe, expect, it } from 'vitest';
import { FakeClock } from '@riskd/core-engine';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('when failures pass the free attempts then the delays double up to the maximum', () => {
    const throttle = new LoginThrottle(new FakeClock(), {
      freeAttempts: 2,
      baseDelayMs: 100,
      maxDelayMs: 500,
    });
    const delays = Array.from({ length: 7 }, () => throttle.failure('admin|127.0.0.1'));
    expect(delays).toEqual([0, 0, 100, 200, 400, 500, 500]);
  });

  it('when a key is blocked then check says how long, and the block ends exactly then', async () => {
    const clock = new FakeClock();
    const throttle = new LoginThrottle(clock, { freeAttempts: 0, baseDelayMs: 1_000 });
    throttle.failure('k');
    expect(throttle.check('k')).toEqual({ allowed: false, retryAfterMs: 1_000 });
    await clock.advance(999);
    expect(throttle.check('k')).toEqual({ allowed: false, retryAfterMs: 1 });
    await clock.advance(1);
    expect(throttle.check('k')).toEqual({ allowed: true });
    expect(throttle.check('other')).toEqual({ allowed: true });
  });

  it('when a key stays quiet for forgetAfterMs then it starts over', async () => {
    const clock = new FakeClock();
    const throttle = new LoginThrottle(clock, { freeAttempts: 1, baseDelayMs: 10, forgetAfterMs: 60_000 });
    throttle.failure('k');
    expect(throttle.failure('k')).toBe(10);
    await clock.advance(60_010);
    expect(throttle.failure('k')).toBe(0);
  });

  it('when a login succeeds then the key is cleared', () => {
    const throttle = new LoginThrottle(new FakeClock(), { freeAttempts: 0 });
    throttle.failure('k');
    throttle.success('k');
    expect(throttle.check('k')).toEqual({ allowed: true });
    expect(throttle.failure('k')).toBe(1_000);
  });
});
