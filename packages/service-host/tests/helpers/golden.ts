import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures');

/**
 * Compares `actual` with the committed fixture `name` (under tests/fixtures). With
 * `UPDATE_GOLDEN=1` the fixture is rewritten instead; a missing fixture fails the test.
 */
export function expectGolden(name: string, actual: string): void {
  const file = path.join(FIXTURES, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden fixture ${name} is missing: run with UPDATE_GOLDEN=1 once`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}
