import { describe, expect, it } from 'vitest';
import type { DaemonEvent } from '@riskd/api-client';
import { LiveHub } from './live-hub.js';

const alert = (n: number): DaemonEvent => ({
  type: 'alert',
  alert: {
    id: `a${n}`,
    at: '2026-03-09T15:00:00.000Z',
    severity: 'info',
    kind: 'test',
    accountId: null,
    ruleId: null,
    code: null,
    title: `t${n}`,
    message: `m${n}`,
    fields: {},
  },
});

describe('LiveHub', () => {
  it('when events are published then listeners get them numbered with the boot id, in order', () => {
    const hub = new LiveHub();
    const seen: string[] = [];
    const unsubscribe = hub.subscribe((e) => seen.push(e.id));
    hub.publish(alert(1));
    hub.publish(alert(2));
    unsubscribe();
    hub.publish(alert(3));
    expect(seen).toEqual([`${hub.bootId}-1`, `${hub.bootId}-2`]);
    expect(hub.listenerCount).toBe(0);
  });

  it('when a client resumes from an id it holds then it gets exactly the later events', () => {
    const hub = new LiveHub();
    for (const n of [1, 2, 3, 4]) hub.publish(alert(n));
    const plan = hub.replayAfter(`${hub.bootId}-2`);
    expect(plan.resync).toBe(false);
    expect(plan.events.map((e) => e.seq)).toEqual([3, 4]);
    expect(hub.replayAfter(`${hub.bootId}-4`)).toEqual({ events: [], resync: false });
    expect(hub.replayAfter(undefined)).toEqual({ events: [], resync: false });
  });

  it('when a client resumes from another boot, a future id, garbage or an evicted event then it must resync', () => {
    const hub = new LiveHub(3);
    for (const n of [1, 2, 3, 4, 5]) hub.publish(alert(n));
    expect(hub.replayAfter('deadbeef-3')).toEqual({ events: [], resync: true });
    expect(hub.replayAfter(`${hub.bootId}-9`)).toEqual({ events: [], resync: true });
    expect(hub.replayAfter('garbage')).toEqual({ events: [], resync: true });
    // The buffer holds 3..5: resuming after 1 would miss 2.
    expect(hub.replayAfter(`${hub.bootId}-1`)).toEqual({ events: [], resync: true });
    expect(hub.replayAfter(`${hub.bootId}-2`).events.map((e) => e.seq)).toEqual([3, 4, 5]);
  });
});
