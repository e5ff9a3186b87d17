import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the generated Prisma client', () => {
  it('when generated then it loads the small SQLite query compiler (the fast one costs the daemon about 30 MB resident)', () => {
    const config = readFileSync(new URL('./generated/prisma/internal/class.ts', import.meta.url), 'utf8');
    expect(config).toContain('@prisma/client/runtime/query_compiler_small_bg.sqlite.mjs');
    expect(config).not.toContain('query_compiler_fast_bg');
  });
});
