import { watch, type FSWatcher, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Clock, Logger, TimerHandle } from '@riskd/core-engine';
import { ConfigError, type ConfigProblem } from './config-errors.js';
import { loadConfigText, type LoadConfigOptions, type LoadedConfig } from './config-loader.js';
import { sha256 } from './config-util.js';

/** Options of {@link ConfigWatcher}. */
export interface ConfigWatcherOptions {
  /** The config file. */
  readonly path: string;
  readonly clock: Clock;
  /** The config loaded at start: the last good config until a new one loads. */
  readonly initial: LoadedConfig;
  /** How new versions are validated: the running registry (`registry`, `registryRulePacks`), env, data dir. */
  readonly loadOptions: LoadConfigOptions;
  /** A new valid version: the daemon plans it under the rule-change discipline and applies it. */
  readonly onChange: (loaded: LoadedConfig) => void | Promise<void>;
  /**
   * The file became unreadable or invalid: the daemon keeps the last good config, puts every
   * account under the fail-safe lockout and alerts the admin. Called again if the file changes
   * while still invalid (with the new problems).
   */
  readonly onInvalid: (problems: readonly ConfigProblem[], error: ConfigError) => void | Promise<void>;
  /** A valid file loaded after {@link onInvalid} (after {@link onChange}, if it is a new version): lift the fail-safe. */
  readonly onValid: (loaded: LoadedConfig) => void | Promise<void>;
  /** Poll interval, the fallback for platforms and file systems where `fs.watch` misses changes. Default 2000 ms. */
  readonly pollIntervalMs?: number;
  /** A burst of file events is read once, this long after the last. Default 200 ms. */
  readonly debounceMs?: number;
  /**
   * A broken file must stay the same broken content this long before the fail-safe starts, so an
   * editor's half-written save (truncate, then write) is not taken for a broken config. Default 500 ms.
   */
  readonly settleMs?: number;
  /** Use `fs.watch` on the file's folder (default true); the poll runs either way. */
  readonly watch?: boolean;
  readonly logger?: Logger;
}

/**
 * Hot reload of the config file (ARCHITECTURE.md "Configuration"). Watches the file's folder
 * with `fs.watch` (editors replace files by rename, which a watch on the file itself would lose)
 * and polls every 2 s through the Clock as a fallback; each change is read once its burst of
 * events has settled. A valid new version goes to `onChange`; an unreadable or invalid file
 * (confirmed after `settleMs`) to `onInvalid`, and the next valid one also to `onValid`.
 * Versions are told apart by the SHA-256 of the file's text, so touching the file or writing
 * the same content again does nothing. Checks never overlap; callbacks run one at a time.
 */
export class ConfigWatcher {
  private readonly file: string;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private readonly settleMs: number;
  private readonly logger: Logger | undefined;
  private lastGoodConfig: LoadedConfig;
  /** The version last handed to a callback (or the start's), as a content hash or an unreadable marker. */
  private lastHandled: string;
  private invalid = false;
  /** A broken version seen but not yet confirmed. */
  private suspect: { readonly key: string; readonly since: number } | undefined;
  private fsWatcher: FSWatcher | undefined;
  private pollTimer: TimerHandle | undefined;
  private debounceTimer: TimerHandle | undefined;
  private settleTimer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;

  constructor(private readonly options: ConfigWatcherOptions) {
    this.file = path.resolve(options.path);
    this.clock = options.clock;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.debounceMs = options.debounceMs ?? 200;
    this.settleMs = options.settleMs ?? 500;
    this.logger = options.logger?.child({ component: 'config-watcher' });
    this.lastGoodConfig = options.initial;
    this.lastHandled = options.initial.hash;
  }

  /** The config in force: the last valid version loaded. */
  get lastGood(): LoadedConfig {
    return this.lastGoodConfig;
  }

  /** `invalid` while the fail-safe is in force (between `onInvalid` and `onValid`). */
  get state(): 'valid' | 'invalid' {
    return this.invalid ? 'invalid' : 'valid';
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.options.watch !== false) {
      try {
        const name = path.basename(this.file);
        this.fsWatcher = watch(path.dirname(this.file), { persistent: false }, (_event, changed) => {
          // Some platforms do not report the name; then any event in the folder counts.
          if (changed === null || changed === undefined || changed.toString() === name) this.debounce();
        });
        this.fsWatcher.on('error', (err) => {
          this.logger?.warn({ err }, 'watching the config folder failed; polling only');
          this.fsWatcher?.close();
          this.fsWatcher = undefined;
        });
      } catch (err) {
        this.logger?.warn({ err }, 'cannot watch the config folder; polling only');
      }
    }
    this.schedulePoll();
  }

  /** Stops watching and polling; waits for a check in progress. */
  async stop(): Promise<void> {
    this.started = false;
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
    for (const timer of [this.pollTimer, this.debounceTimer, this.settleTimer]) {
      if (timer) this.clock.cancel(timer);
    }
    this.pollTimer = this.debounceTimer = this.settleTimer = undefined;
    await this.idle();
  }

  /**
   * Tells the watcher about a version the daemon wrote and applied itself (admin API writes), so
   * reading it back is not a change. While the fail-safe is in force the next check still
   * reports the valid file (`onValid`), so the fail-safe lifts.
   */
  accept(loaded: LoadedConfig): void {
    this.lastGoodConfig = loaded;
    if (!this.invalid) {
      this.lastHandled = loaded.hash;
      this.suspect = undefined;
    }
  }

  /** Reads the file now (and waits for the result). */
  async check(): Promise<void> {
    this.request();
    await this.idle();
  }

  /** Resolves when no check is running (tests wait on it after moving the fake clock). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private schedulePoll(): void {
    if (!this.started) return;
    this.pollTimer = this.clock.scheduleIn(this.pollIntervalMs, () => {
      this.pollTimer = undefined;
      this.request();
      this.schedulePoll();
    });
  }

  private debounce(): void {
    if (!this.started) return;
    if (this.debounceTimer) this.clock.cancel(this.debounceTimer);
    this.debounceTimer = this.clock.scheduleIn(this.debounceMs, () => {
      this.debounceTimer = undefined;
      this.request();
    });
  }

  private request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.checkOnce();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
  }

  private async checkOnce(): Promise<void> {
    let text: string | undefined;
    let mode: number | undefined;
    let readError: unknown;
    try {
      text = await fs.readFile(this.file, 'utf8');
      mode = (await fs.stat(this.file)).mode;
    } catch (err) {
      readError = err;
    }
    const key =
      text === undefined
        ? `unreadable:${(readError as NodeJS.ErrnoException)?.code ?? 'error'}`
        : sha256(text);
    if (key === this.lastHandled) {
      this.suspect = undefined;
      return;
    }

    let error: ConfigError;
    if (text === undefined) {
      error = new ConfigError(
        'CONFIG_UNREADABLE',
        `cannot read config ${this.file}: ${(readError as Error)?.message ?? String(readError)}`,
        {
          file: this.file,
          problems: [
            {
              path: '',
              message: `cannot read the file: ${(readError as Error)?.message ?? String(readError)}`,
            },
          ],
          cause: readError,
        },
      );
    } else {
      try {
        const loaded = await loadConfigText(text, { ...this.options.loadOptions, path: this.file, mode });
        await this.handleValid(key, loaded);
        return;
      } catch (err) {
        error =
          err instanceof ConfigError
            ? err
            : new ConfigError(
                'CONFIG_INVALID',
                `config ${this.file} failed to load: ${(err as Error).message}`,
                {
                  file: this.file,
                  problems: [{ path: '', message: `failed to load: ${(err as Error).message}` }],
                  cause: err,
                },
              );
      }
    }
    await this.handleBroken(key, error);
  }

  private async handleValid(key: string, loaded: LoadedConfig): Promise<void> {
    this.lastHandled = key;
    this.suspect = undefined;
    const isNew = loaded.hash !== this.lastGoodConfig.hash;
    this.lastGoodConfig = loaded;
    for (const warning of loaded.warnings) this.logger?.warn({ warning }, warning.message);
    if (isNew) await this.call('onChange', () => this.options.onChange(loaded));
    if (this.invalid) {
      this.invalid = false;
      await this.call('onValid', () => this.options.onValid(loaded));
    }
  }

  private async handleBroken(key: string, error: ConfigError): Promise<void> {
    const now = this.clock.now();
    if (this.suspect === undefined || this.suspect.key !== key) this.suspect = { key, since: now };
    if (now - this.suspect.since < this.settleMs) {
      this.scheduleSettleCheck();
      return;
    }
    this.suspect = undefined;
    this.lastHandled = key;
    this.invalid = true;
    const problems = error.problems.length > 0 ? error.problems : [{ path: '', message: error.message }];
    await this.call('onInvalid', () => this.options.onInvalid(problems, error));
  }

  private scheduleSettleCheck(): void {
    if (!this.started || this.settleTimer) return;
    this.settleTimer = this.clock.scheduleIn(this.settleMs, () => {
      this.settleTimer = undefined;
      this.request();
    });
  }

  private async call(name: string, callback: () => void | Promise<void>): Promise<void> {
    try {
      await callback();
    } catch (err) {
      this.logger?.error({ err, callback: name }, 'config watcher callback failed');
    }
  }
}
