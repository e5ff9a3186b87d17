import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The one vitest configuration every project uses: tests beside the code (`*.spec.ts`,
 * `*.int.spec.ts`) or under `tests/`, workspace packages resolved to their TypeScript sources,
 * `reflect-metadata` and fast-check's global settings loaded first, and a JSON report per project
 * under `test-results/` that `npm test` sums into one closing line.
 */
export function defineProjectConfig(projectDir: string) {
  const name = path.basename(projectDir);
  return defineConfig({
    root: projectDir,
    resolve: { conditions: ['@riskd/source'] },
    ssr: { resolve: { conditions: ['@riskd/source'] } },
    test: {
      name,
      include: ['src/**/*.spec.ts', 'tests/**/*.spec.ts'],
      setupFiles: [path.join(import.meta.dirname, 'vitest.setup.ts')],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      reporters: ['default', 'json'],
      outputFile: { json: path.join(import.meta.dirname, 'test-results', `${name}.json`) },
      passWithNoTests: false,
    },
  });
}
