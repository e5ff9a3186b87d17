import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SystemClock, silentLogger } from '@riskd/core-engine';
import { DEFAULT_DATABASE_FILE } from '../config/config-schema.js';
import { credentialState, setNoTraderPassword } from '../daemon/credentials.js';
import { EXIT_CODES } from '../daemon/exit-codes.js';
import { HostError, UsageError } from '../daemon/host-errors.js';
import { sqlitePathFromUrl } from '../storage/storage-paths.js';
import type { StorageModule } from '../storage/storage.module.js';
import type { CliIo } from './cli-io.js';
import { CONFIG_OPTION, configPathOf, loadForCli } from './config-verbs.js';
import { readNewPassword } from './secret-input.js';
import type { Verb } from './verb.js';

/**
 * The database of a config: its `storage.url`, else `riskd.db` beside it. Read from the file
 * itself when it does not load (a secret from the environment that this shell lacks must not
 * stop the admin from setting a password or verifying the audit trail).
 */
export async function databasePathOf(configFile: string, io: CliIo): Promise<string> {
  try {
    return sqlitePathFromUrl((await loadForCli(configFile, io)).config.storage.url);
  } catch {
    let url: unknown;
    try {
      url = (JSON.parse(readFileSync(configFile, 'utf8')) as { storage?: { url?: unknown } }).storage?.url;
    } catch {
      url = undefined;
    }
    const dir = path.dirname(configFile);
    if (typeof url !== 'string') return path.join(dir, DEFAULT_DATABASE_FILE);
    const file = url.startsWith('file:') ? (url.slice('file:'.length).split('?')[0] ?? '') : url;
    return path.resolve(dir, file);
  }
}

async function withStorage<T>(
  configFile: string,
  io: CliIo,
  run: (storage: StorageModule) => Promise<T>,
): Promise<T> {
  const dbPath = await databasePathOf(configFile, io);
  if (!existsSync(path.dirname(dbPath))) {
    throw new HostError(
      'HOST_NOT_FOUND',
      `no data directory ${path.dirname(dbPath)}: is ${configFile} the right config?`,
    );
  }
  const { StorageModule } = await import('../storage/storage.module.js');
  const storage = new StorageModule({ url: dbPath, logger: silentLogger, clock: new SystemClock() });
  // Only the Prisma side: the daemon may be running and owns the audit writer.
  await storage.prisma.start();
  try {
    return await run(storage);
  } finally {
    await storage.prisma.stop();
  }
}

export function storageVerbs(): Verb[] {
  const adminPassword: Verb = {
    words: ['admin', 'set-password'],
    summary: 'set the admin password of the control API',
    options: [
      CONFIG_OPTION,
      {
        name: 'stdin',
        type: 'boolean',
        description: 'read the password from standard input (first line) instead of the terminal',
      },
    ],
    description: `Sets the admin password (stored as a scrypt hash in the daemon's database). On a terminal
it asks twice without echo; with --stdin it reads one line. Until it is set, an admin login
answers 503 and admin routes stay closed; enforcement runs as configured either way. A running
daemon uses the new password at the next login.`,
    exitCodes: '0 set, 1 failed, 2 bad usage (no terminal without --stdin, a password under 8 characters)',
    async run(args, io) {
      const file = configPathOf(args.values['config'], io);
      const password = await readNewPassword(io, 'admin', args.values['stdin'] === true);
      await withStorage(file, io, (storage) => storage.credentials.setPassword('admin', password));
      io.stdout('admin password set\n');
      return EXIT_CODES.OK;
    },
  };
  const traderPassword: Verb = {
    words: ['trader', 'set-password'],
    summary: 'set the trader password (or none) of the control API',
    options: [
      CONFIG_OPTION,
      {
        name: 'stdin',
        type: 'boolean',
        description: 'read the password from standard input (first line) instead of the terminal',
      },
      {
        name: 'none',
        type: 'boolean',
        description: 'no trader password: trader routes are open to local callers',
      },
    ],
    description: `Sets the trader's password for the trader routes (clock in/out, notification preferences,
self-lockout), stored as a scrypt hash; run by the admin. With --none the trader routes need no
password (the trader still cannot reach admin routes, and a self-lockout still cannot be undone).`,
    exitCodes:
      '0 set, 1 failed, 2 bad usage (--none with --stdin, no terminal without --stdin, a password under 8 characters)',
    async run(args, io) {
      const file = configPathOf(args.values['config'], io);
      if (args.values['none']) {
        if (args.values['stdin']) throw new UsageError('--none takes no password: drop --stdin');
        await withStorage(file, io, (storage) => setNoTraderPassword(storage, new SystemClock().now()));
        io.stdout('trader password set to none: trader routes are open to local callers\n');
        return EXIT_CODES.OK;
      }
      const password = await readNewPassword(io, 'trader', args.values['stdin'] === true);
      await withStorage(file, io, async (storage) => {
        await storage.credentials.setPassword('trader', password);
        if ((await credentialState(storage, 'trader')) !== 'set')
          throw new HostError('HOST_NOT_READY', 'the trader password was not stored');
      });
      io.stdout('trader password set\n');
      return EXIT_CODES.OK;
    },
  };
  const auditVerify: Verb = {
    words: ['audit', 'verify'],
    summary: 'check the hash chain of the audit trail against its checkpoint',
    options: [CONFIG_OPTION],
    description: `Recomputes the hash chain of the audit trail and compares its head with the checkpoint kept
outside the database: an edited row, a deleted row and a deleted tail (the last rows) are
reported with their sequence numbers. Safe while the daemon runs (read-only).`,
    exitCodes: '0 intact, 1 a problem was found (or no database), 2 bad usage',
    async run(args, io) {
      const file = configPathOf(args.values['config'], io);
      const dbPath = await databasePathOf(file, io);
      const { verifyAudit } = await import('../storage/audit-verify.js');
      const result = verifyAudit(dbPath);
      for (const notice of result.notices) io.stdout(`notice: ${notice}\n`);
      if (result.ok) {
        io.stdout(
          `audit trail intact: ${result.rows} rows, head ${result.headSeq} ${result.headHash.slice(0, 16)}…\n`,
        );
        return EXIT_CODES.OK;
      }
      io.stderr(
        `audit trail NOT intact (${dbPath}):\n${result.problems.map((p) => `  ${p.seq === undefined ? '' : `seq ${p.seq}: `}${p.kind}: ${p.message}`).join('\n')}\n`,
      );
      return EXIT_CODES.FAILURE;
    },
  };
  return [adminPassword, traderPassword, auditVerify];
}
