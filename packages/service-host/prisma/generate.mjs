// `prisma generate` for Riskd, on any OS and offline: the Prisma CLI wants a native schema engine
// for most commands and would download one; generate does not use it, so any existing executable
// will do (this Node binary). The client is written to src/storage/generated/prisma (gitignored).
// Usage (from anywhere): node packages/service-host/prisma/generate.mjs
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const result = spawnSync(
  process.execPath,
  [cli, 'generate', '--schema', path.join('prisma', 'schema.prisma')],
  {
    cwd: packageDir,
    stdio: 'inherit',
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, CHECKPOINT_DISABLE: '1' },
  },
);
process.exit(result.status ?? 1);
