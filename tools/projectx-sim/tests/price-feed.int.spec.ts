import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/index.js';
import {
  ACCOUNT,
  EventLog,
  MARKET_EVENTS,
  MNQ,
  NQ,
  control,
  hubConnection,
  login,
  startTestSim,
  waitFor,
} from './helpers.js';

describe('price feeds', () => {
  let sim: RunningSimulator;
  afterEach(() => sim.close());

  it('when the simulator starts with defaults then the random walk moves every contract and quotes stream', async () => {
    sim = await startTestSim({ walk: { enabled: true, intervalMs: 20 } });
    const token = await login(sim);
    const conn = hubConnection(sim.marketHubUrl, () => token);
    const log = new EventLog(conn, MARKET_EVENTS);
    await conn.start();
    await conn.invoke('SubscribeContractQuotes', MNQ);
    await conn.invoke('SubscribeContractQuotes', NQ);
    await waitFor(() => log.named('GatewayQuote').length >= 12, 5000, 'walk quotes');
    const contracts = new Set(log.named('GatewayQuote').map((a) => a[0]));
    expect(contracts).toEqual(new Set([MNQ, NQ]));
    for (const [, q] of log.named('GatewayQuote') as [string, { bestBid: number; bestAsk: number }][]) {
      expect(q.bestAsk - q.bestBid).toBe(0.25);
    }
    await conn.stop();
  });

  it('when the walk is switched off and on by control then it stops and restarts', async () => {
    sim = await startTestSim({ walk: { enabled: true, intervalMs: 10 } });
    expect((await control(sim, 'POST', '/walk', { enabled: false })).body).toEqual({
      enabled: false,
      intervalMs: 10,
    });
    const before = sim.control.quote(MNQ);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sim.control.quote(MNQ)).toEqual(before);
    expect((await control(sim, 'GET', '/walk')).body).toEqual({ enabled: false, intervalMs: 10 });
    await control(sim, 'POST', '/walk', { enabled: true });
    await waitFor(() => sim.control.quote(MNQ).volume > before.volume, 5000, 'the walk to restart');
  });

  it('when a path runs with an interval then its points are applied in order and a resting order fills on the way', async () => {
    sim = await startTestSim();
    sim.control.placeOrder({
      accountId: ACCOUNT,
      contractId: MNQ,
      type: 1,
      side: 0,
      size: 1,
      limitPrice: 21490,
    });
    const res = await control(sim, 'POST', `/prices/${MNQ}/path`, {
      points: [{ last: 21495 }, { last: 21490 }, { bid: 21489.75, ask: 21490 }, { last: 21500 }],
      intervalMs: 5,
    });
    expect(res.status).toBe(200);
    await waitFor(() => sim.control.quote(MNQ).lastPrice === 21500, 5000, 'the path to finish');
    expect(sim.control.state().positions).toEqual([
      expect.objectContaining({ size: 1, averagePrice: 21490 }),
    ]);
    expect(sim.control.state().paths).toEqual([]);
  });

  it('when a looping path is stopped by control then the walk owns the contract again', async () => {
    sim = await startTestSim();
    await control(sim, 'POST', `/prices/${MNQ}/path`, {
      points: [{ last: 21495 }, { last: 21496 }],
      intervalMs: 5,
      loop: true,
    });
    expect(sim.control.state().paths).toEqual([MNQ]);
    expect((await control(sim, 'DELETE', `/prices/${MNQ}/path`)).body).toEqual({ stopped: true });
    expect(sim.control.state().paths).toEqual([]);
  });

  it('when a path has intervalMs 0 then all points apply at once', async () => {
    sim = await startTestSim();
    await control(sim, 'POST', `/prices/${MNQ}/path`, {
      points: [{ last: 21510 }, { last: 21520 }],
      intervalMs: 0,
    });
    expect(sim.control.quote(MNQ)).toMatchObject({ lastPrice: 21520, high: 21520, volume: 2 });
  });

  it('when records are replayed then prices follow them with their timing', async () => {
    sim = await startTestSim();
    const res = await control(sim, 'POST', '/replay', {
      records: [
        { t: 0, contractId: MNQ, bid: 21400, ask: 21400.25, last: 21400 },
        { t: 20, contractId: MNQ, last: 21401 },
        { t: 40, contractId: NQ, last: 21300 },
      ],
      speed: 1,
    });
    expect(res.body).toEqual({ records: 3, contracts: [MNQ, NQ], durationMs: 40 });
    expect(sim.control.quote(MNQ).lastPrice).toBe(21400);
    await waitFor(() => sim.control.quote(NQ).lastPrice === 21300, 5000, 'the replay to finish');
    expect(sim.control.quote(MNQ).lastPrice).toBe(21401);
  });

  it('when a recorder dump of GatewayQuote events is replayed from a file then the same quotes come back', async () => {
    sim = await startTestSim();
    const token = await login(sim);
    const conn = hubConnection(sim.marketHubUrl, () => token);
    await conn.start();
    await conn.invoke('SubscribeContractQuotes', MNQ);
    for (const last of [21501, 21502.5, 21499]) sim.control.setPrice(MNQ, { last });
    await waitFor(() => sim.recorder.query({ target: 'GatewayQuote' }).length === 4);
    const dump = await control(sim, 'GET', '/recorder?target=GatewayQuote');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pxsim-')), 'quotes.json');
    fs.writeFileSync(file, JSON.stringify(dump.body));
    await conn.stop();
    await sim.close();

    sim = await startTestSim();
    const lasts: number[] = [];
    sim.recorder.clear();
    const replay = sim.control.replay({ file, speed: 100 });
    expect(replay.records).toBe(4);
    await waitFor(
      () => sim.control.quote(MNQ).lastPrice === 21499 && sim.control.state().replaying.length === 0,
    );
    lasts.push(sim.control.quote(MNQ).lastPrice);
    expect(lasts).toEqual([21499]);
    expect(sim.control.quote(MNQ).high).toBe(21502.5);
  });

  it('when a JSON Lines file is given to --replay style options then it is replayed at start', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pxsim-')), 'prices.jsonl');
    fs.writeFileSync(
      file,
      `{"t":"2026-11-26T15:00:00Z","contractId":"${MNQ}","last":21600}\n{"t":"2026-11-26T15:00:00.010Z","contractId":"${MNQ}","last":21601}\n`,
    );
    sim = await startTestSim({ replay: { file } });
    await waitFor(() => sim.control.quote(MNQ).lastPrice === 21601);
  });

  it('when a replay is invalid then the control API answers 400', async () => {
    sim = await startTestSim();
    expect((await control(sim, 'POST', '/replay', { records: [] })).status).toBe(400);
    expect((await control(sim, 'POST', '/replay', { file: '/nonexistent/file.json' })).status).toBe(400);
    expect(
      (await control(sim, 'POST', '/replay', { records: [{ t: 0, contractId: 'nope', last: 1 }] })).status,
    ).toBe(404);
    expect((await control(sim, 'DELETE', '/replay')).body).toEqual({ stopped: false });
  });

  it('when a price is off the tick grid or the ask crosses the bid then the control API answers 400', async () => {
    sim = await startTestSim();
    expect((await control(sim, 'POST', `/prices/${MNQ}`, { last: 21500.1 })).status).toBe(400);
    expect((await control(sim, 'POST', `/prices/${MNQ}`, { bid: 21500, ask: 21499 })).status).toBe(400);
    expect((await control(sim, 'POST', '/prices/CON.F.US.XYZ.Z26', { last: 1 })).status).toBe(404);
    const onlyBid = await control(sim, 'POST', `/prices/${MNQ}`, { bid: 21600 });
    expect(onlyBid.body).toMatchObject({ bestBid: 21600, bestAsk: 21600.25 });
  });

  it('when a burst is requested then that many quote updates are applied', async () => {
    sim = await startTestSim();
    const res = await control<{ count: number; ms: number }>(sim, 'POST', `/prices/${MNQ}/burst`, {
      count: 1000,
      batch: 100,
    });
    expect(res.body.count).toBe(1000);
    expect(sim.control.quote(MNQ).volume).toBe(1000);
  });
});
