import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeClock } from '@riskd/core-engine';
import { afterEach, describe, expect, it } from 'vitest';
import { LogRing } from './log-ring.js';
import { MemoryLogSink } from './memory-log-sink.js';
import { REDACTED } from './redaction.js';
import { createRootLogger, type RootLogger } from './root-logger.js';

const dirs: string[] = [];
const loggers: RootLogger[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'riskd-log-'));
  dirs.push(dir);
  return dir;
}

async function memoryLogger(extra: Parameters<typeof createRootLogger>[0] = {}) {
  const sink = new MemoryLogSink();
  const root = await createRootLogger({ console: 'none', streams: [sink], ...extra });
  loggers.push(root);
  return { root, sink };
}

afterEach(async () => {
  for (const l of loggers.splice(0)) await l.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('root logger', () => {
  it('when objects carry secrets under known keys then the lines show them redacted', async () => {
    const { root, sink } = await memoryLogger();
    root.logger.info(
      {
        config: {
          broker: { userName: 'trader1', apiKey: 'sk-live-123' },
          notifications: { discord: { webhookUrl: 'https://discord.test/hook/abc' } },
        },
        token: 'eyJhbGciOi',
        req: { headers: { authorization: 'Bearer abc' } },
        telegram: { botToken: '123:ABC' },
        password: 'hunter2',
      },
      'config loaded',
    );
    const raw = sink.raw.join('');
    for (const secret of [
      'sk-live-123',
      'discord.test/hook',
      'eyJhbGciOi',
      'Bearer abc',
      '123:ABC',
      'hunter2',
    ])
      expect(raw).not.toContain(secret);
    const line = sink.withMessage('config loaded')[0] as unknown as {
      config: { broker: Record<string, string>; notifications: { discord: Record<string, string> } };
      req: { headers: Record<string, string> };
      token: string;
    };
    expect(line.config.broker['apiKey']).toBe(REDACTED);
    expect(line.config.broker['userName']).toBe('trader1');
    expect(line.config.notifications.discord['webhookUrl']).toBe(REDACTED);
    expect(line.req.headers['authorization']).toBe(REDACTED);
    expect(line.token).toBe(REDACTED);
  });

  it('when the admin switches verbose on then debug lines of existing children appear, and stop when off', async () => {
    const { root, sink } = await memoryLogger();
    const child = root.logger.child({ component: 'riskd-engine' });
    child.debug({ n: 1 }, 'hidden');
    root.setVerbose(true);
    expect(root.verbose).toBe(true);
    child.debug({ n: 2 }, 'shown');
    root.setVerbose(false);
    child.debug({ n: 3 }, 'hidden again');
    expect(sink.records.filter((r) => r.level === 20).map((r) => r.msg)).toEqual(['shown']);
    expect(sink.withMessage('shown')[0]?.['component']).toBe('riskd-engine');
    expect(sink.withMessage('verbose logging on')).toHaveLength(1);
  });

  it('when an error is logged under err then type, message and stack are serialized', async () => {
    const { root, sink } = await memoryLogger();
    root.logger.error({ err: new TypeError('boom') }, 'failed');
    const err = sink.errors()[0]?.['err'] as { type: string; message: string; stack: string };
    expect(err.type).toBe('TypeError');
    expect(err.message).toBe('boom');
    expect(err.stack).toContain('TypeError: boom');
  });

  it('when a log directory is given then JSON lines go to an owner-only rotating file', async () => {
    const dir = path.join(tempDir(), 'logs');
    const { root } = await memoryLogger({ logDir: dir });
    root.logger.warn({ accountId: 70001 }, 'written to file');
    await root.flush();
    await root.close();
    const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(files).toEqual(['riskd.1.log']);
    const file = path.join(dir, files[0] as string);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({
      level: 40,
      accountId: 70001,
      msg: 'written to file',
      name: 'riskd',
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // Logging after close must not throw (the file destination is detached first).
    expect(() => root.logger.info({}, 'after close')).not.toThrow();
  });

  it('when a clock is given then the time field reads it', async () => {
    const clock = new FakeClock('2026-03-02T15:00:00Z');
    const { root, sink } = await memoryLogger({ clock });
    root.logger.info({}, 'tick');
    expect(sink.records[0]?.time).toBe(Date.parse('2026-03-02T15:00:00Z'));
  });

  it('when more lines arrive than the ring keeps then the newest are returned, filtered by level', async () => {
    const ring = new LogRing(3);
    for (let i = 1; i <= 5; i++)
      ring.write(JSON.stringify({ level: i % 2 === 0 ? 40 : 30, time: i, msg: `m${i}` }));
    expect(ring.recent().map((r) => r.msg)).toEqual(['m3', 'm4', 'm5']);
    expect(ring.recent(10, 40).map((r) => r.msg)).toEqual(['m4']);
    expect(ring.recent(1).map((r) => r.msg)).toEqual(['m5']);
  });

  it('when the root logger runs then its ring holds recent lines for the admin view', async () => {
    const { root } = await memoryLogger();
    root.logger.info({}, 'one');
    root.logger.error({}, 'two');
    expect(root.ring.recent(10, 50).map((r) => r.msg)).toEqual(['two']);
  });
});
