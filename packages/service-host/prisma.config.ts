import { defineConfig } from 'prisma/config';

/**
 * Prisma CLI configuration (generate, validate, format). Migrations are created and applied by
 * Riskd's own runner on the wasm schema engine (`src/storage/migrations.ts`), so the URL here only
 * serves CLI commands run by hand; the daemon takes its database URL from the Riskd config.
 */
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: 'file:./.riskd-dev/riskd.db' },
});
