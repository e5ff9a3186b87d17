import { FakeClock, MemoryLogger } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { ScriptedFetch, fakeJwt, ok, refused } from '../../tests/fakes/scripted-fetch.fake.js';
import { TopstepXGateway, toActionResult } from './topstepx-gateway.js';

const T = '2026-01-05T14:30:00Z';

/** A gateway whose REST side talks to a scripted fetch; hubs are never started (offline). */
async function offlineGateway(http: ScriptedFetch) {
  const logger = new MemoryLogger();
  http.once('Auth/loginKey', ok({ token: fakeJwt(2_000_000_000) }));
  const gateway = new TopstepXGateway({
    apiUrl: 'http://gateway.test',
    userName: 'demo',
    apiKey: 'k',
    clock: new FakeClock(Date.parse(T)),
    logger,
    fetchImpl: http.fetch,
  });
  await gateway.renewSession();
  return { gateway, logger };
}

describe('TopstepXGateway snapshots', () => {
  it('when Account/search returns a malformed account then it is logged and the others are returned', async () => {
    const http = new ScriptedFetch().once(
      'Account/search',
      ok({
        accounts: [
          { id: 1, name: 'PRAC-1', balance: 50000, canTrade: true, isVisible: true, simulated: true },
          { id: 'two', name: 'PRAC-2' },
        ],
      }),
    );
    const { gateway, logger } = await offlineGateway(http);
    expect((await gateway.listAccounts()).map((a) => a.id)).toEqual([1]);
    expect(http.callsTo('Account/search')[0]?.body).toEqual({ onlyActiveAccounts: true });
    expect(logger.problems().map((l) => l.msg)).toEqual(['malformed item skipped']);
  });

  it('when fills are read then voided ones are left out and the rest come oldest first', async () => {
    const trade = (id: number, at: string, voided = false) => ({
      id,
      accountId: 1,
      contractId: 'C',
      creationTimestamp: at,
      price: 1,
      profitAndLoss: null,
      fees: 0.37,
      side: 0,
      size: 1,
      voided,
      orderId: 9,
    });
    const http = new ScriptedFetch().once(
      'Trade/search',
      ok({
        trades: [
          trade(3, '2026-01-05T14:00:02Z'),
          trade(1, '2026-01-05T14:00:01Z'),
          trade(2, '2026-01-05T14:00:00Z', true),
        ],
      }),
    );
    const { gateway } = await offlineGateway(http);
    expect((await gateway.fillsSince(1, Date.parse('2026-01-05T00:00:00Z'))).map((f) => f.id)).toEqual([
      1, 3,
    ]);
    expect(http.callsTo('Trade/search')[0]?.body).toEqual({
      accountId: 1,
      startTimestamp: '2026-01-05T00:00:00.000Z',
    });
  });

  it('when a bar close is asked for then the one-minute bar starting at that minute is used', async () => {
    const http = new ScriptedFetch().once(
      'History/retrieveBars',
      ok({
        bars: [
          { t: '2026-01-05T14:31:00Z', o: 1, h: 1, l: 1, c: 101, v: 1 },
          { t: '2026-01-05T14:30:00Z', o: 1, h: 1, l: 1, c: 100.25, v: 1 },
        ],
      }),
    );
    const { gateway } = await offlineGateway(http);
    expect(await gateway.barClose('C', Date.parse('2026-01-05T14:30:42Z'))).toBe(100.25);
    expect(http.callsTo('History/retrieveBars')[0]?.body).toMatchObject({
      contractId: 'C',
      unit: 2,
      unitNumber: 1,
      startTime: '2026-01-05T14:30:00.000Z',
      endTime: '2026-01-05T14:31:00.000Z',
    });
  });

  it('when a contract is looked up then it is cached by id', async () => {
    const http = new ScriptedFetch().once(
      'Contract/searchById',
      ok({
        contract: {
          id: 'CON.F.US.MES.H26',
          name: 'MESH6',
          description: 'Micro E-mini S&P',
          tickSize: 0.25,
          tickValue: 1.25,
          activeContract: true,
          symbolId: 'F.US.MES',
        },
      }),
    );
    const { gateway } = await offlineGateway(http);
    const first = await gateway.contract('CON.F.US.MES.H26');
    expect(first).toMatchObject({ symbol: 'MES', tickValue: 1_250_000 });
    expect(await gateway.contract('CON.F.US.MES.H26')).toBe(first);
    expect(http.callsTo('Contract/searchById')).toHaveLength(1);
  });
});

describe('TopstepXGateway actions', () => {
  it('when a partial close asks for 0 contracts then it is rejected locally without a request', async () => {
    const http = new ScriptedFetch();
    const { gateway } = await offlineGateway(http);
    expect(await gateway.partialClosePosition(1, 'C', 0, { priority: 'enforcement' })).toMatchObject({
      status: 'rejected',
      code: 'invalid-size',
    });
    expect(http.callsTo('Position/partialCloseContract')).toHaveLength(0);
  });

  it('when a cancel is refused with HTTP 400 then it is rejected unknown with the HTTP status as broker code', async () => {
    const http = new ScriptedFetch().once('Order/cancel', { status: 400, text: '{}' });
    const { gateway } = await offlineGateway(http);
    expect(await gateway.cancelOrder(1, 2, { priority: 'enforcement' })).toEqual({
      status: 'rejected',
      code: 'unknown',
      brokerCode: 400,
      message: 'HTTP 400',
    });
  });

  it('when the partial close answers AccountRejected (9) then it is account-rejected and an alert is raised', async () => {
    const http = new ScriptedFetch().once('Position/partialCloseContract', refused(9));
    const { gateway } = await offlineGateway(http);
    const alerts: string[] = [];
    gateway.onAlert((a) => alerts.push(`${a.kind}:${a.severity}`));
    expect(await gateway.partialClosePosition(1, 'C', 1, { priority: 'enforcement' })).toMatchObject({
      status: 'rejected',
      code: 'account-rejected',
      brokerCode: 9,
    });
    expect(alerts).toEqual(['account-rejected:critical']);
  });

  it('when an answered envelope says success then the action is ok whatever the payload', () => {
    expect(
      toActionResult('Order/cancel', { kind: 'answered', envelope: { success: true, errorCode: 0 } }),
    ).toEqual({
      status: 'ok',
    });
  });

  it('when the gateway was never connected then its state is disconnected and an action is uncertain', async () => {
    const gateway = new TopstepXGateway({
      userName: 'u',
      apiKey: 'k',
      clock: new FakeClock(0),
      logger: new MemoryLogger(),
    });
    expect(gateway.connectionState()).toBe('disconnected');
    expect(await gateway.closePosition(1, 'C', { priority: 'enforcement' })).toMatchObject({
      status: 'uncertain',
    });
  });
});
