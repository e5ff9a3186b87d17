import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicePackageDir } from './migrations.js';
import { TempStorage } from './temp-storage.fixture.js';

const run = promisify(execFile);
let temp: TempStorage;

beforeAll(async () => {
  temp = await TempStorage.create();
});
afterAll(() => temp.remove());

// The same program under tsx (as the daemon runs from source): the writer's worker must start
// outside vitest too, whatever flags the parent process carries.
const program = (dbPath: string): string => `
import { FakeClock, MemoryLogger } from '@riskd/core-engine';
import { StorageModule } from './src/storage/index.js';
const storage = new StorageModule({ url: ${JSON.stringify(dbPath)}, clock: new FakeClock(), logger: new MemoryLogger() });
await storage.start();
await storage.stateStore.write([{ ns: 'lockout', key: '1:account', value: { accountId: 1 } }], { durable: true });
storage.auditLog.append({ at: 1, kind: 'lockout-started', accountId: 1, code: 'SELF_LOCKOUT' });
await storage.stop();
console.log(JSON.stringify({ verify: storage.verifyAudit(), loaded: await reload() }));
async function reload() {
  const again = new StorageModule({ url: ${JSON.stringify(dbPath)}, clock: new FakeClock(), logger: new MemoryLogger() });
  await again.start();
  try { return await again.stateStore.load(); } finally { await again.stop(); }
}
`;

describe('storage under tsx', () => {
  it('when a program using storage runs with node --import tsx then the worker writes and the trail verifies', async () => {
    const dbPath = temp.newDbPath();
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=@riskd/source', '--input-type=module', '-e', program(dbPath)],
      { cwd: servicePackageDir(), timeout: 60_000 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      verify: { ok: boolean; rows: number };
      loaded: unknown[];
    };
    expect(out.verify).toMatchObject({ ok: true, rows: 1 });
    expect(out.loaded).toEqual([{ ns: 'lockout', key: '1:account', value: { accountId: 1 } }]);
  });
});
