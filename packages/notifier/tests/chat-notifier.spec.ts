import { type Alert, FakeClock, MemoryLogger } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { type ChannelConfig, ChatNotifier, type ChatNotifierOptions, NotifierError } from '../src/index.js';
import { MemoryNotificationStore, pollUntil } from '../src/testing.js';
import { T0 } from './golden-alerts.js';
import { simpleAlert } from './harness.js';

const DISCORD: ChannelConfig = {
  id: 'admin-discord',
  type: 'discord',
  enabled: true,
  audience: 'admin',
  minSeverity: 'info',
  webhookUrl: 'http://127.0.0.1:9/api/webhooks/1/secret-token',
};

const TRADER_TELEGRAM: ChannelConfig = {
  id: 'trader-telegram',
  type: 'telegram',
  enabled: true,
  audience: 'trader',
  minSeverity: 'warning',
  botToken: '1:secret',
  chatId: '42',
  apiBaseUrl: 'http://127.0.0.1:9',
};

/** A fetch that answers 204 without a socket, counting calls. */
function okFetch(): typeof fetch & { calls: string[] } {
  const calls: string[] = [];
  const fn = (async (input: string | URL | Request) => {
    calls.push(String(input));
    return new Response(null, { status: 204 });
  }) as typeof fetch & { calls: string[] };
  fn.calls = calls;
  return fn;
}

function build(overrides: Partial<ChatNotifierOptions> = {}) {
  const clock = new FakeClock(T0);
  const logger = new MemoryLogger();
  const store = new MemoryNotificationStore();
  const fetch = okFetch();
  const notifier = new ChatNotifier({
    store,
    clock,
    logger,
    channels: [DISCORD],
    timeZone: 'America/Chicago',
    fetch,
    ...overrides,
  });
  return { clock, logger, store, fetch, notifier };
}

async function waitIdle(notifier: ChatNotifier): Promise<void> {
  let idle = false;
  void notifier.idle().then(() => {
    idle = true;
  });
  await pollUntil(() => idle, { what: 'idle' });
}

describe('notify', () => {
  it('when alerts are notified then notify returns before anything is written and writes them in one batch', async () => {
    const { store, notifier } = build();
    await notifier.start();
    store.pause('enqueue');
    for (let i = 0; i < 300; i++) notifier.notify(simpleAlert(`a${i}`));
    expect(store.calls.enqueue).toBe(0);
    expect(notifier.stats()).toMatchObject({ accepted: 300, buffered: 300, enqueued: 0 });
    await pollUntil(() => store.calls.enqueue === 1, { what: 'the batch write' });
    store.resume('enqueue');
    await waitIdle(notifier);
    expect(store.calls.enqueue).toBe(1);
    expect(store.items()).toHaveLength(300);
    expect(notifier.stats().enqueued).toBe(300);
  });

  it('when the store throws synchronously and fetch throws then notify still never throws', async () => {
    const throwingFetch = (() => {
      throw new TypeError('fetch exploded');
    }) as unknown as typeof fetch;
    const { store, logger, notifier, clock } = build({ fetch: throwingFetch });
    await notifier.start();
    store.fail('enqueue', { sync: true, times: 1 });
    expect(() => notifier.notify(simpleAlert('x1'))).not.toThrow();
    expect(() => notifier.notify(null as unknown as Alert)).not.toThrow();
    expect(() =>
      notifier.notify({ ...simpleAlert('x2'), kind: undefined } as unknown as Alert),
    ).not.toThrow();
    await pollUntil(() => logger.lines.some((l) => l.msg === 'outbox write failed; will retry'), {
      what: 'the write failure log',
    });
    // The write is retried on the Clock; the item is due at once (its window closed at T0 + 1 s), the
    // send fails because fetch threw, and it is retried like a network error.
    await clock.advance(1_000);
    await waitIdle(notifier);
    expect(store.items().map((i) => i.id)).toEqual(['x1|admin-discord']);
    expect(store.retries).toEqual([
      { id: 'x1|admin-discord', nextAttemptAt: T0 + 2_000, error: 'fetch exploded' },
    ]);
  });

  it('when the store keeps failing then the memory buffer stays bounded and drops non-critical alerts first', async () => {
    const { store, notifier, logger } = build({ maxBufferedItems: 5 });
    await notifier.start();
    store.fail('enqueue', { times: Infinity });
    notifier.notify(simpleAlert('crit', { severity: 'critical' }));
    for (let i = 0; i < 10; i++) notifier.notify(simpleAlert(`w${i}`));
    await pollUntil(() => store.calls.enqueue >= 1);
    expect(notifier.stats()).toMatchObject({ accepted: 11, buffered: 5, dropped: 6 });
    expect(
      logger.lines.some((l) => l.msg === 'outbox buffer full while the store fails; alerts dropped'),
    ).toBe(true);
    store.heal();
    await notifier.stop();
    expect(store.items().map((i) => i.alert.id)).toEqual(['crit', 'w6', 'w7', 'w8', 'w9']);
  });

  it('when the same alert id is notified twice then it is accepted once', async () => {
    const { store, notifier } = build();
    await notifier.start();
    notifier.notify(simpleAlert('dup'));
    notifier.notify(simpleAlert('dup', { title: 'again' }));
    await waitIdle(notifier);
    expect(store.items().map((i) => i.id)).toEqual(['dup|admin-discord']);
    expect(notifier.stats()).toMatchObject({ accepted: 1, duplicates: 1 });
  });

  it('when stop() is called right after notify then the accepted alerts are stored before it resolves', async () => {
    const { store, notifier, clock, fetch } = build();
    await notifier.start();
    notifier.notify(simpleAlert('late-1'));
    notifier.notify(simpleAlert('late-2'));
    await notifier.stop();
    expect(store.items().map((i) => [i.id, i.state])).toEqual([
      ['late-1|admin-discord', 'pending'],
      ['late-2|admin-discord', 'pending'],
    ]);
    // After stop, alerts are still written (for the next start) but nothing is sent.
    notifier.notify(simpleAlert('after-stop'));
    await waitIdle(notifier);
    await clock.advance(60_000);
    expect(store.items().map((i) => i.id)).toContain('after-stop|admin-discord');
    expect(fetch.calls).toHaveLength(0);
  });

  it('when alerts arrive before start() then they are routed with the stored preferences at start', async () => {
    const { store, notifier, clock } = build({ channels: [DISCORD, TRADER_TELEGRAM] });
    await store.setPreferences({ kinds: ['enforcement'], channels: [] });
    notifier.notify(simpleAlert('early', { kind: 'warning' }));
    expect(store.calls.enqueue).toBe(0);
    await clock.advance(5_000);
    await notifier.start();
    await waitIdle(notifier);
    expect(store.items().map((i) => i.id)).toEqual(['early|admin-discord']);
    // The window was opened when the alert arrived, not at start.
    expect(store.items()[0]?.nextAttemptAt).toBe(T0 + 1_000);
  });

  it('when an item is already delivered then it is never sent again', async () => {
    const { store, notifier, fetch, clock } = build();
    await notifier.start();
    notifier.notify(simpleAlert('once'));
    await waitIdle(notifier);
    await clock.advance(1_000);
    await waitIdle(notifier);
    expect(fetch.calls).toHaveLength(1);
    await store.enqueue([{ ...store.items()[0]!, nextAttemptAt: T0 }]);
    await clock.advance(60_000);
    await waitIdle(notifier);
    expect(fetch.calls).toHaveLength(1);
    expect(store.items().map((i) => i.state)).toEqual(['delivered']);
  });

  it('when markDelivered fails after a send then the item is not sent again and is marked later', async () => {
    const { store, notifier, fetch, clock } = build();
    await notifier.start();
    notifier.notify(simpleAlert('mark'));
    await waitIdle(notifier);
    // Both the mark after the send and the next pass's retry of it fail.
    store.fail('markDelivered', { times: 2 });
    await clock.advance(1_000);
    await waitIdle(notifier);
    expect(fetch.calls).toHaveLength(1);
    expect(store.items()[0]?.state).toBe('pending');
    await clock.advance(1_000);
    await waitIdle(notifier);
    expect(fetch.calls).toHaveLength(1);
    expect(store.items()[0]?.state).toBe('delivered');
    expect(notifier.stats().delivered).toBe(1);
  });

  it('when a channel is removed then its pending items are marked failed with that reason', async () => {
    const { store, notifier, clock, fetch } = build();
    await notifier.start();
    notifier.notify(simpleAlert('orphan'));
    await waitIdle(notifier);
    notifier.setChannels([]);
    await clock.advance(1_000);
    await waitIdle(notifier);
    expect(fetch.calls).toHaveLength(0);
    expect(store.items()[0]).toMatchObject({ state: 'failed', lastError: 'channel no longer configured' });
  });
});

describe('routing', () => {
  it('when an alert is below a channel minSeverity or admin-only then trader channels do not get it', async () => {
    const { store, notifier } = build({ channels: [DISCORD, TRADER_TELEGRAM] });
    await notifier.start();
    notifier.notify(simpleAlert('info-1', { severity: 'info', kind: 'rule-alert' }));
    notifier.notify(
      simpleAlert('cfg', { severity: 'critical', kind: 'config-invalid', accountId: undefined }),
    );
    notifier.notify(simpleAlert('flat', { kind: 'enforcement', fields: { action: 'flatten' } }));
    await waitIdle(notifier);
    expect(store.items().map((i) => [i.id, i.alert.severity])).toEqual([
      ['info-1|admin-discord', 'info'],
      ['cfg|admin-discord', 'critical'],
      ['flat|admin-discord', 'critical'],
      ['flat|trader-telegram', 'critical'],
    ]);
    expect(notifier.stats().suppressedBy.severity).toBe(1);
  });
});

describe('options', () => {
  it('when the time zone is not an IANA zone then the constructor throws OPTIONS_INVALID', () => {
    expect(() => build({ timeZone: 'Mars/Olympus' })).toThrow(NotifierError);
    expect(() => build({ timeZone: 'Mars/Olympus' })).toThrow(/unknown IANA time zone "Mars\/Olympus"/);
  });

  it('when two channels share an id then the constructor throws CHANNELS_INVALID with the path', () => {
    try {
      build({ channels: [DISCORD, { ...DISCORD }] });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'CHANNELS_INVALID', path: 'channels[1].id' });
    }
  });
});
