import { FakeClock, silentLogger } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { TopstepXConfigError } from './errors.js';
import { TOPSTEPX_DEFAULT_URLS, resolveOptions } from './options.js';

const base = { userName: 'demo', apiKey: 'key', clock: new FakeClock(0), logger: silentLogger };

describe('resolveOptions', () => {
  it('when only credentials are given then the TopstepX URLs and documented limits apply', () => {
    const o = resolveOptions(base);
    expect(o.apiUrl).toBe(TOPSTEPX_DEFAULT_URLS.apiUrl);
    expect(o.userHubUrl).toBe('https://rtc.topstepx.com/hubs/user');
    expect(o.rateLimit).toEqual({
      limit: 200,
      windowMs: 60_000,
      snapshotReserve: 40,
      maxSnapshotConcurrency: 4,
    });
    expect(o.staleQuoteMs).toBe(15_000);
    expect(o.clockSkewAlertMs).toBe(2000);
  });

  it('when apiUrl ends with /api then it is trimmed to the origin', () => {
    expect(resolveOptions({ ...base, apiUrl: 'http://127.0.0.1:5000/api/' }).apiUrl).toBe(
      'http://127.0.0.1:5000',
    );
  });

  it('when the key is empty then the config is refused', () => {
    expect(() => resolveOptions({ ...base, apiKey: '' })).toThrow(TopstepXConfigError);
  });

  it('when a URL is not http(s) then the config is refused with its name', () => {
    expect(() => resolveOptions({ ...base, userHubUrl: 'ftp://x' })).toThrow(/userHubUrl/);
  });

  it('when a rate limit is partially given then the rest keeps its defaults', () => {
    expect(resolveOptions({ ...base, rateLimit: { limit: 1000 } }).rateLimit.snapshotReserve).toBe(40);
  });
});
