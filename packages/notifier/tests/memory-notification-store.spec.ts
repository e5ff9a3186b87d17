import type { OutboxItem } from '@riskd/core-engine';
import { describe, expect, it } from 'vitest';
import { NotifierError } from '../src/index.js';
import { MemoryNotificationStore } from '../src/testing.js';
import { T0 } from './golden-alerts.js';
import { simpleAlert } from './harness.js';

function item(id: string, nextAttemptAt: number, createdAt = T0): OutboxItem {
  return { id: `${id}|c`, alert: simpleAlert(id), channel: 'c', attempts: 0, nextAttemptAt, createdAt };
}

describe('MemoryNotificationStore', () => {
  it('when items are due then they come oldest nextAttemptAt first, then createdAt, up to the limit', async () => {
    const store = new MemoryNotificationStore();
    await store.enqueue([
      item('b', T0 + 2),
      item('a', T0 + 1, T0 + 5),
      item('c', T0 + 1, T0),
      item('late', T0 + 99),
    ]);
    expect((await store.due(T0 + 2, 10)).map((i) => i.id)).toEqual(['c|c', 'a|c', 'b|c']);
    expect((await store.due(T0 + 2, 2)).map((i) => i.id)).toEqual(['c|c', 'a|c']);
    expect(await store.nextDueAt()).toBe(T0 + 1);
  });

  it('when an id is enqueued again in any state then the duplicate is ignored', async () => {
    const store = new MemoryNotificationStore();
    await store.enqueue([item('x', T0)]);
    await store.markDelivered('x|c', T0 + 5);
    await store.enqueue([item('x', T0), item('x', T0)]);
    expect(store.items().map((i) => [i.id, i.state])).toEqual([['x|c', 'delivered']]);
    expect(await store.due(T0 + 10, 10)).toEqual([]);
    expect(await store.nextDueAt()).toBeNull();
  });

  it('when an item is retried then attempts grow and it waits; delivered and failed are final', async () => {
    const store = new MemoryNotificationStore();
    await store.enqueue([item('r', T0), item('f', T0)]);
    await store.markRetry('r|c', T0 + 1_000, 'HTTP 500');
    expect(await store.due(T0 + 999, 10)).toEqual([expect.objectContaining({ id: 'f|c' })]);
    expect((await store.due(T0 + 1_000, 10)).find((i) => i.id === 'r|c')?.attempts).toBe(1);
    await store.markFailed('f|c', T0 + 1, 'HTTP 404');
    await store.markRetry('f|c', T0 + 2, 'late');
    await store.markDelivered('f|c', T0 + 3);
    expect(store.item('f|c')).toMatchObject({ state: 'failed', lastError: 'HTTP 404', failedAt: T0 + 1 });
    expect(await store.counts()).toEqual({ pending: 1, delivered: 0, failed: 1 });
  });

  it('when an unknown id is marked then the store rejects with OUTBOX_ITEM_UNKNOWN', async () => {
    const store = new MemoryNotificationStore();
    await expect(store.markDelivered('nope', T0)).rejects.toMatchObject({ code: 'OUTBOX_ITEM_UNKNOWN' });
  });

  it('when preferences are stored then they are read back as a copy; none reads as null', async () => {
    const store = new MemoryNotificationStore();
    expect(await store.getPreferences()).toBeNull();
    const prefs = { kinds: ['warning'], channels: [], quietHours: { start: '22:00', end: '06:00' } };
    await store.setPreferences(prefs);
    prefs.kinds.push('mutated');
    expect(await store.getPreferences()).toEqual({
      kinds: ['warning'],
      channels: [],
      quietHours: { start: '22:00', end: '06:00' },
    });
  });

  it('when the store crashes then the new store holds what was stored and the old one refuses every call', async () => {
    const store = new MemoryNotificationStore();
    await store.enqueue([item('kept', T0)]);
    await store.setPreferences({ kinds: 'all', channels: ['c'] });
    const after = store.crash();
    await expect(store.enqueue([item('lost', T0)])).rejects.toBeInstanceOf(NotifierError);
    expect(after.items().map((i) => i.id)).toEqual(['kept|c']);
    expect(await after.getPreferences()).toEqual({ kinds: 'all', channels: ['c'] });
  });

  it('when a fault is scripted then that many calls fail and the next one works', async () => {
    const store = new MemoryNotificationStore();
    store.fail('due', { times: 2 });
    await expect(store.due(T0, 1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(store.due(T0, 1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(store.due(T0, 1)).resolves.toEqual([]);
    store.fail('counts', { sync: true });
    expect(() => store.counts()).toThrow(NotifierError);
  });
});
