import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FakeClock, MemoryLogger } from '@riskd/core-engine';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigProblem } from './config-errors.js';
import { loadConfigFile, type LoadedConfig } from './config-loader.js';
import { makeTempDir, rulesDocument, standardRegistry } from './config-test-fixtures.js';
import { ConfigWatcher, type ConfigWatcherOptions } from './config-watcher.js';
import { writeConfigFile } from './config-writer.js';

type Event =
  | { kind: 'change'; limit: unknown }
  | { kind: 'invalid'; problems: readonly ConfigProblem[] }
  | { kind: 'valid'; limit: unknown };

const limitOf = (loaded: LoadedConfig): unknown => loaded.config.rules[0]?.options?.['limit'];
const documentWithLimit = (limit: unknown) =>
  rulesDocument([{ rule: 'daily-loss-limit', options: { limit } }]);

describe('ConfigWatcher', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let file: string;
  let clock: FakeClock;
  let events: Event[];
  let watcher: ConfigWatcher;
  let logger: MemoryLogger;

  async function writeDocument(document: unknown): Promise<void> {
    await writeFile(file, typeof document === 'string' ? document : JSON.stringify(document, null, 2), {
      mode: 0o600,
    });
  }

  async function startWatcher(extra: Partial<ConfigWatcherOptions> = {}): Promise<void> {
    const loadOptions = { registry: standardRegistry, env: {} };
    const initial = await loadConfigFile(file, loadOptions);
    watcher = new ConfigWatcher({
      path: file,
      clock,
      initial,
      loadOptions,
      watch: false,
      logger,
      onChange: (loaded) => void events.push({ kind: 'change', limit: limitOf(loaded) }),
      onInvalid: (problems) => void events.push({ kind: 'invalid', problems }),
      onValid: (loaded) => void events.push({ kind: 'valid', limit: limitOf(loaded) }),
      ...extra,
    });
    watcher.start();
  }

  /** Moves the fake clock in poll steps until `done` holds, with a deadline (no fixed sleeps). */
  async function pollUntil(done: () => boolean, steps = 10): Promise<void> {
    for (let i = 0; i < steps && !done(); i++) {
      await clock.advance(1000);
      await watcher.idle();
    }
    expect(done(), `events so far: ${JSON.stringify(events)}`).toBe(true);
  }

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
    file = path.join(dir, 'riskd.config.json');
    clock = new FakeClock('2026-03-02T15:00:00Z');
    events = [];
    logger = new MemoryLogger();
    await writeDocument(documentWithLimit(500));
  });
  afterEach(async () => {
    await watcher?.stop();
    await remove();
  });

  it('when the file changes to a valid version then the poll hands it to onChange', async () => {
    await startWatcher();
    await writeDocument(documentWithLimit(400));
    await pollUntil(() => events.length > 0);
    expect(events).toEqual([{ kind: 'change', limit: 400 }]);
    expect(limitOf(watcher.lastGood)).toBe(400);
    expect(logger.problems()).toEqual([]);
  });

  it('when the file is rewritten with the same content then nothing is reported', async () => {
    await startWatcher();
    await writeDocument(documentWithLimit(500));
    await clock.advance(10_000);
    await watcher.idle();
    expect(events).toEqual([]);
  });

  it('when the file becomes invalid then onInvalid gets every problem, the last good config stays, and a valid file lifts it', async () => {
    await startWatcher();
    await writeDocument(
      rulesDocument([{ rule: 'daily-loss-limit', options: { limit: -1 } }], [{ id: 1, preset: 'x' }]),
    );
    await pollUntil(() => events.length > 0);
    expect(events).toEqual([
      {
        kind: 'invalid',
        problems: [
          { path: 'rules[0].options.limit', message: 'must be > 0' },
          {
            path: 'accounts[0].preset',
            message: 'unknown preset "x" (known: topstep-100k, topstep-150k, topstep-50k)',
          },
        ],
      },
    ]);
    expect(watcher.state).toBe('invalid');
    expect(limitOf(watcher.lastGood)).toBe(500);

    await writeDocument(documentWithLimit(450));
    await pollUntil(() => events.length > 1);
    expect(events.slice(1)).toEqual([
      { kind: 'change', limit: 450 },
      { kind: 'valid', limit: 450 },
    ]);
    expect(watcher.state).toBe('valid');
  });

  it('when the broken file is put back to the last good version then only onValid is called', async () => {
    await startWatcher();
    await writeDocument('{ "broker": ');
    await pollUntil(() => events.length > 0);
    expect(events[0]).toEqual({
      kind: 'invalid',
      problems: [
        { path: '', message: 'invalid JSON at line 1, column 13: unexpected end of file, expected a value' },
      ],
    });
    await writeDocument(documentWithLimit(500));
    await pollUntil(() => events.length > 1);
    expect(events.slice(1)).toEqual([{ kind: 'valid', limit: 500 }]);
  });

  it('when the file is deleted then the fail-safe starts with an unreadable-file problem', async () => {
    await startWatcher();
    await rm(file);
    await pollUntil(() => events.length > 0);
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event?.kind).toBe('invalid');
    expect(event?.kind === 'invalid' ? event.problems[0]?.message : '').toMatch(
      /^cannot read the file: ENOENT/,
    );
  });

  it('when a save is broken only for less than the settle time then no fail-safe starts', async () => {
    await startWatcher({ settleMs: 1500 });
    await writeDocument('');
    await clock.advance(2000); // the poll sees the half-written file
    await watcher.idle();
    await writeDocument(documentWithLimit(300));
    await pollUntil(() => events.length > 0);
    expect(events).toEqual([{ kind: 'change', limit: 300 }]);
  });

  it('when the daemon wrote the file itself and accepted it then reading it back is not a change', async () => {
    await startWatcher();
    const { loaded } = await writeConfigFile(file, documentWithLimit(350), {
      registry: standardRegistry,
      env: {},
      clock,
      actor: 'admin',
    });
    watcher.accept(loaded);
    await clock.advance(10_000);
    await watcher.idle();
    expect(events).toEqual([]);
    expect(limitOf(watcher.lastGood)).toBe(350);
  });

  it('when fs.watch reports the change then it is read after the debounce, before the next poll', async () => {
    await startWatcher({ watch: true, debounceMs: 100, pollIntervalMs: 60_000 });
    await writeDocument(documentWithLimit(250));
    // Wait (with a deadline) for the file event to arm the debounce timer on the fake clock.
    const deadline = Date.now() + 5000;
    while ((clock.nextDueAt() ?? Infinity) > clock.now() + 100 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await clock.advance(100);
    await watcher.idle();
    expect(events).toEqual([{ kind: 'change', limit: 250 }]);
  });
});
