/**
 * Migration authoring, on the wasm schema engine (no native engine download):
 *
 *   tsx --conditions=@riskd/source src/storage/migrate-create.ts <verb>_<what>
 *       writes prisma/migrations/<timestamp>_<verb>_<what>/migration.sql for the difference
 *       between the committed migrations and prisma/schema.prisma (nothing when they match)
 *   tsx --conditions=@riskd/source src/storage/migrate-create.ts --check
 *       exits 1 and prints the SQL when the schema has changes without a migration
 *
 * Exit codes: 0 done, 1 failure (or pending changes with --check), 2 bad usage.
 */
import { createMigration, MIGRATION_NAME_PATTERN, pendingMigrationScript } from './migrations.js';
import { StorageError } from './storage.errors.js';

const USAGE = 'usage: migrate-create <verb>_<what> | --check';

async function main(args: readonly string[]): Promise<number> {
  const [arg, ...rest] = args;
  if (arg === undefined || rest.length > 0 || arg === '--help' || arg === '-h') {
    process.stderr.write(`${USAGE}\n`);
    return arg === '--help' || arg === '-h' ? 0 : 2;
  }
  if (arg === '--check') {
    const script = await pendingMigrationScript();
    if (script === null) {
      process.stdout.write('migrations match the schema\n');
      return 0;
    }
    process.stdout.write(`the schema has changes without a migration:\n${script}\n`);
    return 1;
  }
  if (!MIGRATION_NAME_PATTERN.test(arg)) {
    process.stderr.write(`bad migration name "${arg}": ${USAGE} (snake case, e.g. add_outbox_index)\n`);
    return 2;
  }
  const created = await createMigration(arg);
  if (created === null) {
    process.stdout.write('no schema change: nothing written\n');
    return 0;
  }
  process.stdout.write(`wrote ${created.file}\n`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  const message = err instanceof StorageError ? `${err.code}: ${err.message}` : String(err);
  process.stderr.write(`migrate-create failed: ${message}\n`);
  process.exitCode = 1;
}
