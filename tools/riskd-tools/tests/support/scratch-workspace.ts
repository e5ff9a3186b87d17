import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workspaceRoot } from '@nx/devkit';
import { flushChanges, FsTree } from 'nx/src/generators/tree.js';
import { rulePackGenerator, type RulePackGeneratorOptions } from '../../src/index.js';

/**
 * The root files a generated pack builds and tests with. They are copied, not linked, so that the
 * pack sees the workspace's exact settings while everything it writes (vitest's JSON report under
 * `test-results/`) stays in the scratch folder.
 */
const ROOT_FILES = [
  'package.json',
  'tsconfig.base.json',
  'vitest.shared.ts',
  'vitest.setup.ts',
  '.prettierrc.json',
];

/**
 * A throwaway copy of the workspace's shape outside the checkout: its root configuration files and
 * a link to its node_modules (so `@riskd/core-engine`, TypeScript and vitest resolve exactly as in
 * the workspace). Generating here proves a pack builds as generated without ever writing into
 * the working tree, even when a run is interrupted before its cleanup.
 */
export class ScratchWorkspace {
  readonly root: string;

  constructor() {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'riskd-rule-pack-'));
    try {
      for (const file of ROOT_FILES) copyFileSync(path.join(workspaceRoot, file), path.join(this.root, file));
      symlinkSync(path.join(workspaceRoot, 'node_modules'), path.join(this.root, 'node_modules'), 'dir');
    } catch (err) {
      this.remove();
      throw err;
    }
  }

  /** Runs the rule-pack generator against this folder, as `nx g` would, and returns the pack's folder. */
  async generate(options: RulePackGeneratorOptions): Promise<string> {
    const tree = new FsTree(this.root, false);
    await rulePackGenerator(tree, options);
    flushChanges(this.root, tree.listChanges());
    return path.join(this.root, options.directory ?? path.join('packages', options.name));
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The result of a command run to completion. */
export interface CommandResult {
  readonly exitCode: number;
  readonly output: string;
}

/**
 * Runs `command` in `cwd` and resolves when it exits, with its exit code and its stdout and stderr
 * together (for the failure message). The variables the outer vitest (and Nx, when the tests run
 * as an Nx task) set are removed so that the inner run behaves as it does in a terminal.
 */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 60_000,
): Promise<CommandResult> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('VITEST') && !key.startsWith('NX_') && key !== 'NODE_ENV' && key !== 'TEST',
    ),
  );
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      { cwd, env: { ...env, CI: '1', NO_COLOR: '1' }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ exitCode, output: `${stdout}${stderr}` });
      },
    );
  });
}
