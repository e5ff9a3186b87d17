import { existsSync } from 'node:fs';
import path from 'node:path';
import { workspaceRoot } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { run } from './support/scratch-workspace.js';

/**
 * `npx nx g @riskd/tools:rule-pack` works from the workspace root: Nx finds the generator through
 * package.json `generators`, loads its implementation with plain Node and applies the schema.
 * Dry runs only: nothing is written into the working tree.
 */
/** An `nx g` dry run takes about 5 s on an idle machine; the margin is for a loaded one. */
const COMMAND_TIMEOUT_MS = 120_000;

describe('nx g @riskd/tools:rule-pack', () => {
  const name = `cli-pack-${process.pid}`;

  it(
    'when run as a dry run from the workspace root then it lists every file of packages/<name> and writes none',
    async () => {
      const result = await run(
        'npx',
        ['nx', 'g', '@riskd/tools:rule-pack', name, '--dry-run'],
        workspaceRoot,
        COMMAND_TIMEOUT_MS,
      );

      expect({ exitCode: result.exitCode, output: result.output }).toMatchObject({ exitCode: 0 });
      const created = result.output
        .split('\n')
        .filter((line) => line.startsWith('CREATE '))
        .map((line) => line.slice('CREATE '.length).trim())
        .sort();
      expect(created).toEqual(
        [
          'README.md',
          'package.json',
          'src/index.ts',
          'src/rules/max-open-positions.ts',
          'tests/max-open-positions.spec.ts',
          'tests/rule-context.fake.ts',
          'tests/rule-pack.spec.ts',
          'tsconfig.json',
          'vitest.config.ts',
        ].map((file) => `packages/${name}/${file}`),
      );
      expect(existsSync(path.join(workspaceRoot, 'packages', name))).toBe(false);
    },
    COMMAND_TIMEOUT_MS,
  );

  it(
    'when the name is not kebab-case then the command fails with the naming rule',
    async () => {
      const result = await run(
        'npx',
        ['nx', 'g', '@riskd/tools:rule-pack', 'Acme_Limits', '--dry-run'],
        workspaceRoot,
      );

      expect(result.exitCode).not.toBe(0);
      expect(result.output).toContain('rule pack name "Acme_Limits" is not kebab-case');
      expect(existsSync(path.join(workspaceRoot, 'packages', 'Acme_Limits'))).toBe(false);
    },
    COMMAND_TIMEOUT_MS,
  );
});
