import { describe, expect, it } from 'vitest';
import { InMemoryStateStore } from './in-memory-state-store.js';
import { StateStoreError } from './state.errors.js';

describe('InMemoryStateStore', () => {
  it('when records are written in order then later writes win and a null value deletes', async () => {
    const store = new InMemoryStateStore({ initial: [{ ns: 'meta', key: 'boot', value: 1 }] });
    await store.write(
      [
        { ns: 'epoch', key: '1:A', value: { epoch: 1 } },
        { ns: 'peak', key: '1', value: { combined: 5 } },
      ],
      { durable: false },
    );
    await store.write([{ ns: 'epoch', key: '1:A', value: { epoch: 2 } }], { durable: true });
    await store.write([{ ns: 'peak', key: '1', value: null }], { durable: false });
    expect(await store.load()).toEqual([
      { ns: 'meta', key: 'boot', value: 1 },
      { ns: 'epoch', key: '1:A', value: { epoch: 2 } },
    ]);
    expect(store.get('epoch', '1:A')).toEqual({ epoch: 2 });
    expect(store.size).toBe(2);
    expect(store.writeLog.map((w) => [w.durable, w.applied, w.records.length])).toEqual([
      [false, true, 2],
      [true, true, 1],
      [false, true, 1],
    ]);
  });

  it('when a written value is changed afterwards then the stored copy is not', async () => {
    const store = new InMemoryStateStore();
    const value = { list: [1] };
    await store.write([{ ns: 'rule-state', key: 'k', value }], { durable: false });
    value.list.push(2);
    const loaded = await store.load();
    (loaded[0]?.value as { list: number[] }).list.push(3);
    expect(store.get('rule-state', 'k')).toEqual({ list: [1] });
  });

  it('when a write holds a value that is not JSON then it is refused whole', async () => {
    const store = new InMemoryStateStore();
    const write = store.write(
      [
        { ns: 'meta', key: 'a', value: 1 },
        { ns: 'meta', key: 'b', value: 10n },
      ],
      { durable: true },
    );
    await expect(write).rejects.toBeInstanceOf(StateStoreError);
    expect(store.size).toBe(0);
  });

  it('when a failure is injected then the matching calls reject and apply nothing', async () => {
    const store = new InMemoryStateStore();
    store.injectFailure({ op: 'write', match: (_records, options) => options.durable, times: 2 });
    await store.write([{ ns: 'meta', key: 'a', value: 1 }], { durable: false });
    await expect(
      store.write([{ ns: 'lockout', key: 'x', value: 1 }], { durable: true }),
    ).rejects.toMatchObject({
      code: 'STATE_STORE_FAILED',
    });
    await expect(store.write([{ ns: 'lockout', key: 'x', value: 1 }], { durable: true })).rejects.toThrow(
      StateStoreError,
    );
    await store.write([{ ns: 'lockout', key: 'x', value: 2 }], { durable: true });
    expect(store.get('lockout', 'x')).toBe(2);
    expect(store.writeLog.map((w) => w.applied)).toEqual([true, false, false, true]);
    const boom = new Error('disk gone');
    store.injectFailure({ op: 'load', error: boom });
    await expect(store.load()).rejects.toBe(boom);
    expect(await store.load()).toHaveLength(2);
  });

  it('when writes are paused then they stay unapplied and resolve in order after resume', async () => {
    const store = new InMemoryStateStore();
    store.pause();
    const resolved: string[] = [];
    const first = store.write([{ ns: 'lockout', key: 'x', value: 1 }], { durable: true }).then(() => {
      resolved.push(`first:${String(store.get('lockout', 'x'))}`);
    });
    const second = store.write([{ ns: 'lockout', key: 'x', value: 2 }], { durable: false }).then(() => {
      resolved.push(`second:${String(store.get('lockout', 'x'))}`);
    });
    await Promise.resolve();
    expect(store.pendingWrites).toBe(2);
    expect(store.get('lockout', 'x')).toBeUndefined();
    expect(resolved).toEqual([]);
    store.resume();
    await Promise.all([first, second]);
    expect(resolved).toEqual(['first:2', 'second:2']);
    expect(store.get('lockout', 'x')).toBe(2);
  });
});
