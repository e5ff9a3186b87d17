import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, ScratchWorkspace } from './support/scratch-workspace.js';

/**
 * The generator's promise: a pack type-checks and passes its own tests exactly as generated, with
 * the workspace's TypeScript settings and vitest configuration.
 */
/** tsc and vitest take about 10 s each on an idle machine; the margin is for a loaded one. */
const COMMAND_TIMEOUT_MS = 120_000;

describe('a generated rule pack', () => {
  const name = `generated-pack-${process.pid}`;
  let workspace: ScratchWorkspace;
  let packDir: string;

  beforeAll(async () => {
    workspace = new ScratchWorkspace();
    packDir = await workspace.generate({ name });
  });

  afterAll(() => {
    workspace?.remove();
  });

  it(
    'when type-checked with tsc as generated then it has no errors',
    async () => {
      const result = await run(
        'npx',
        ['tsc', '-p', 'tsconfig.json', '--noEmit'],
        packDir,
        COMMAND_TIMEOUT_MS,
      );

      expect(result.output).toBe('');
      expect(result.exitCode).toBe(0);
    },
    COMMAND_TIMEOUT_MS,
  );

  it(
    'when its tests run with vitest as generated then every one passes',
    async () => {
      const result = await run('npx', ['vitest', 'run'], packDir, COMMAND_TIMEOUT_MS);

      expect({ exitCode: result.exitCode, output: result.output }).toMatchObject({ exitCode: 0 });
      // The shared vitest config writes a JSON report per project; read it to count the tests.
      const reportFile = path.join(workspace.root, 'test-results', `${name}.json`);
      expect(existsSync(reportFile)).toBe(true);
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
        numPendingTests: number;
      };
      expect(report).toMatchObject({ numPassedTests: 9, numFailedTests: 0, numPendingTests: 0 });
    },
    COMMAND_TIMEOUT_MS,
  );
});
