import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRouteTableMarkdown, ROUTE_TABLE_BEGIN, ROUTE_TABLE_END } from '../src/index.js';

/** Cells of each table row, trimmed (prettier pads Markdown tables; the content is what counts). */
function cells(markdown: string): string[][] {
  return markdown
    .trim()
    .split('\n')
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/^:?-+:?$/, '---')),
    );
}

describe('the README', () => {
  it('when the route table or a summary changes then the README route table shows the same rows', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const begin = readme.indexOf(ROUTE_TABLE_BEGIN);
    const end = readme.indexOf(ROUTE_TABLE_END);
    expect(begin, 'README has the begin marker').toBeGreaterThanOrEqual(0);
    expect(end, 'README has the end marker').toBeGreaterThan(begin);
    const inReadme = readme.slice(begin + ROUTE_TABLE_BEGIN.length, end);
    expect(cells(inReadme)).toEqual(cells(renderRouteTableMarkdown()));
  });
});
