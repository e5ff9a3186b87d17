import { describe, expect, it } from 'vitest';
import { MemoryAuditLog } from './memory-audit-log.js';
import { MemoryNotifier } from './memory-notifier.js';

describe('MemoryAuditLog', () => {
  it('when entries are appended then they are kept in order and found by kind and key', async () => {
    const audit = new MemoryAuditLog();
    audit.append({ at: 1, kind: 'decision', idempotencyKey: 'a' });
    audit.append({ at: 2, kind: 'action-sent', idempotencyKey: 'a' });
    audit.append({ at: 3, kind: 'decision', idempotencyKey: 'b' });
    await audit.flush();
    expect(audit.entries.map((e) => e.at)).toEqual([1, 2, 3]);
    expect(audit.ofKind('decision').map((e) => e.idempotencyKey)).toEqual(['a', 'b']);
    expect(audit.forKey('a').map((e) => e.kind)).toEqual(['decision', 'action-sent']);
    expect(audit.flushes).toBe(1);
    audit.clear();
    expect(audit.entries).toEqual([]);
  });
});

describe('MemoryNotifier', () => {
  it('when alerts are sent then they are kept in order and found by severity and kind', () => {
    const notifier = new MemoryNotifier();
    notifier.notify({ id: '1', at: 1, severity: 'critical', kind: 'escalation', title: 't', message: 'm' });
    notifier.notify({ id: '2', at: 2, severity: 'info', kind: 'enforcement', title: 't', message: 'm' });
    expect(notifier.ofSeverity('critical').map((a) => a.id)).toEqual(['1']);
    expect(notifier.ofKind('enforcement').map((a) => a.id)).toEqual(['2']);
    notifier.clear();
    expect(notifier.alerts).toEqual([]);
  });
});
