import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Clock, Instant } from '@riskd/core-engine';
import { diffConfigDocuments, type ConfigDiffEntry } from './config-diff.js';
import { ConfigError } from './config-errors.js';
import { loadConfigText, type LoadConfigOptions, type LoadedConfig } from './config-loader.js';
import type { ConfigDocument } from './config-schema.js';
import { isRecord, sha256 } from './config-util.js';

/** A change of the config file, for the database's config revisions (who, when, diff). */
export interface ConfigRevision {
  readonly at: Instant;
  /** Who made the change: `admin` (API), `cli`, or another name the caller gives. */
  readonly actor: string;
  /** Why, when the caller asked for one. */
  readonly reason?: string;
  readonly path: string;
  /** SHA-256 of the file before (null when there was no file) and after. */
  readonly hashBefore: string | null;
  readonly hashAfter: string;
  /** What changed, secrets redacted. */
  readonly diff: readonly ConfigDiffEntry[];
}

/** Options of {@link writeConfigFile}. Loading options validate the new document exactly as a load would. */
export interface WriteConfigOptions extends LoadConfigOptions {
  readonly clock: Clock;
  readonly actor: string;
  readonly reason?: string;
  /**
   * The hash of the version the change was based on (`LoadedConfig.hash`). When the file on disk
   * has another hash, nothing is written and a `CONFIG_CONFLICT` error is thrown.
   */
  readonly expectedHash?: string;
  /** Stores the revision (the daemon uses storage's config-revision repository); awaited after the rename. */
  readonly recordRevision?: (revision: ConfigRevision) => void | Promise<void>;
  /** Test seam: runs after the temporary file is complete and synced, right before the rename. */
  readonly beforeRename?: (tempPath: string) => void | Promise<void>;
}

/** What {@link writeConfigFile} did. */
export interface WriteConfigResult {
  /** The new config as a load of the written file returns it. */
  readonly loaded: LoadedConfig;
  /** False when the document equals the file: nothing written, no revision. */
  readonly changed: boolean;
  readonly revision: ConfigRevision | undefined;
}

/**
 * Validates a new config document and, only if it is valid, replaces the file atomically: the
 * text goes to a temporary file in the same folder (mode 0600, owner-only: the file holds
 * secrets), is flushed to disk, and is renamed over the file (then the folder is synced), so a
 * reader sees the old file or the new one, never a mix. Returns the diff as a revision and hands
 * it to `recordRevision`.
 *
 * An invalid document throws the same `CONFIG_INVALID` error (every problem with its path) a load
 * would, and nothing is written.
 */
export async function writeConfigFile(
  file: string,
  document: ConfigDocument,
  options: WriteConfigOptions,
): Promise<WriteConfigResult> {
  const target = path.resolve(file);
  if (!isRecord(document)) throw ConfigError.invalid([{ path: '', message: 'must be object' }], target);
  const text = `${JSON.stringify(document, null, 2)}\n`;
  // Validate exactly as a load of the written file would (same folder for relative paths).
  const loaded = await loadConfigText(text, { ...options, path: target, mode: 0o600 });

  let previousText: string | undefined;
  try {
    previousText = await fs.readFile(target, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError('CONFIG_UNREADABLE', `cannot read config ${target}: ${(err as Error).message}`, {
        file: target,
        cause: err,
      });
    }
  }
  const hashBefore = previousText === undefined ? null : sha256(previousText);
  if (options.expectedHash !== undefined && options.expectedHash !== hashBefore) {
    throw new ConfigError(
      'CONFIG_CONFLICT',
      `config ${target} changed on disk since it was read; reload it and apply the change again`,
      { file: target },
    );
  }
  if (previousText === text) return { loaded, changed: false, revision: undefined };

  let previousDocument: unknown = undefined;
  if (previousText !== undefined) {
    try {
      previousDocument = JSON.parse(previousText);
    } catch {
      // The file on disk is broken (the fail-safe is probably in force): the diff shows a whole replacement.
      previousDocument = null;
    }
  }

  await atomicWrite(target, text, options.beforeRename);

  const revision: ConfigRevision = Object.freeze({
    at: options.clock.now(),
    actor: options.actor,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    path: target,
    hashBefore,
    hashAfter: loaded.hash,
    diff: diffConfigDocuments(previousDocument, document),
  });
  if (options.recordRevision) {
    try {
      await options.recordRevision(revision);
    } catch (err) {
      throw new ConfigError(
        'CONFIG_REVISION_FAILED',
        `config ${target} was written but its revision could not be recorded: ${(err as Error).message}`,
        { file: target, cause: err },
      );
    }
  }
  return { loaded, changed: true, revision };
}

/**
 * Reads the file, applies `change` to its document and writes the result with
 * {@link writeConfigFile}, guarded against a concurrent edit (`expectedHash` of what was read).
 */
export async function updateConfigFile(
  file: string,
  change: (document: ConfigDocument) => ConfigDocument,
  options: Omit<WriteConfigOptions, 'expectedHash'>,
): Promise<WriteConfigResult> {
  const target = path.resolve(file);
  let text: string;
  try {
    text = await fs.readFile(target, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read config ${target}: ${(err as Error).message}`, {
      file: target,
      cause: err,
    });
  }
  let current: unknown;
  try {
    current = JSON.parse(text);
  } catch {
    current = undefined;
  }
  if (!isRecord(current)) {
    // Give the load's precise problem list (syntax error with line and column).
    await loadConfigText(text, { ...options, path: target });
    throw ConfigError.invalid([{ path: '', message: 'must be object' }], target);
  }
  return writeConfigFile(target, change(structuredClone(current)), {
    ...options,
    expectedHash: sha256(text),
  });
}

async function atomicWrite(
  target: string,
  text: string,
  beforeRename: ((tempPath: string) => void | Promise<void>) | undefined,
): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      // The umask may have narrowed the mode further; it must not stay wider than owner-only.
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (beforeRename) await beforeRename(temp);
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new ConfigError('CONFIG_WRITE_FAILED', `cannot write config ${target}: ${(err as Error).message}`, {
      file: target,
      cause: err,
    });
  }
  await syncDirectory(dir);
}

/** Makes the rename durable; not every platform can open a folder (Windows), which is fine to skip. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
