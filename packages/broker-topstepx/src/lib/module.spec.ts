import {
  BROKER_GATEWAY,
  CLOCK,
  FakeClock,
  LOGGER,
  MemoryLogger,
  NOTIFIER,
  type Alert,
} from '@riskd/core-engine';
import { container } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { ScriptedFetch, fakeJwt, ok, refused } from '../../tests/fakes/scripted-fetch.fake.js';
import { TOPSTEPX_CONFIG, TOPSTEPX_GATEWAY } from '../tokens.js';
import { brokerTopstepXModule } from './module.js';
import { TopstepXGateway } from './topstepx-gateway.js';

describe('brokerTopstepXModule', () => {
  it('when registered then BROKER_GATEWAY and TOPSTEPX_GATEWAY resolve to one gateway built from the config', () => {
    const child = container.createChildContainer();
    child.register(TOPSTEPX_CONFIG, {
      useValue: { userName: 'demo', apiKey: 'k', apiUrl: 'http://127.0.0.1:9' },
    });
    child.register(CLOCK, { useValue: new FakeClock(0) });
    child.register(LOGGER, { useValue: new MemoryLogger() });
    brokerTopstepXModule.register(child);
    const gateway = child.resolve(BROKER_GATEWAY);
    expect(gateway).toBeInstanceOf(TopstepXGateway);
    expect(child.resolve(TOPSTEPX_GATEWAY)).toBe(gateway);
    expect((gateway as TopstepXGateway).options.apiUrl).toBe('http://127.0.0.1:9');
  });

  it('when a notifier is registered then an account-rejected answer reaches it as a critical alert', async () => {
    const http = new ScriptedFetch()
      .once('Auth/loginKey', ok({ token: fakeJwt(2_000_000_000) }))
      .once('Position/closeContract', refused(8, 'Live accounts not supported'));
    const alerts: Alert[] = [];
    const child = container.createChildContainer();
    child.register(TOPSTEPX_CONFIG, {
      useValue: { userName: 'demo', apiKey: 'k', apiUrl: 'http://gateway.test', fetchImpl: http.fetch },
    });
    child.register(CLOCK, { useValue: new FakeClock(Date.UTC(2026, 0, 5)) });
    child.register(LOGGER, { useValue: new MemoryLogger() });
    child.register(NOTIFIER, { useValue: { notify: (alert: Alert) => alerts.push(alert) } });
    brokerTopstepXModule.register(child);
    const gateway = child.resolve(TOPSTEPX_GATEWAY);
    await gateway.renewSession(); // logs in (no hubs: this test stays offline)
    expect(await gateway.closePosition(7, 'CON.F.US.MNQ.H26', { priority: 'enforcement' })).toEqual({
      status: 'rejected',
      code: 'account-rejected',
      brokerCode: 8,
      message: 'Live accounts not supported',
    });
    expect(alerts).toEqual([
      expect.objectContaining({
        severity: 'critical',
        kind: 'broker-account-rejected',
        accountId: 7,
        code: 'account-rejected',
      }),
    ]);
  });
});
