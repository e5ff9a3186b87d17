import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeDiscordMarkdown, escapeMarkdownV2 } from '../src/index.js';
import { fitEscaped } from '../src/lib/text.js';
import { parseMarkdownV2 } from '../src/testing.js';

const RESERVED = '_*[]()~`>#+-=|{}.!';

describe('escapeMarkdownV2', () => {
  it('when every reserved character and the backslash are escaped then each gets one backslash', () => {
    expect(escapeMarkdownV2(`${RESERVED}\\`)).toBe(
      '\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\',
    );
    expect(escapeMarkdownV2('P&L -412.50 (MNQ)')).toBe('P&L \\-412\\.50 \\(MNQ\\)');
  });

  it('when any text is escaped then Telegram parses it back to exactly that text with no entity', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 60 }), (a, b) => {
        const text = a + RESERVED + b;
        const parsed = parseMarkdownV2(escapeMarkdownV2(text));
        expect(parsed).toEqual({ ok: true, text, entities: [] });
      }),
    );
  });

  it('when escaped text is cut to fit then the cut never splits an escape and the result still parses', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: 1, max: 120 }),
        (raw, max) => {
          const { text, truncated } = fitEscaped(raw + RESERVED, max, escapeMarkdownV2);
          expect(text.length).toBeLessThanOrEqual(max);
          expect(parseMarkdownV2(`*${text}*`).ok).toBe(true);
          if (truncated) expect(text.endsWith('…')).toBe(true);
        },
      ),
    );
  });
});

describe('parseMarkdownV2 (the fake Telegram server check)', () => {
  it.each([
    ['price 1.5', "Character '.' is reserved and must be escaped with the preceding '\\'"],
    ['a-b', "Character '-' is reserved and must be escaped with the preceding '\\'"],
    ['*bold', "Can't find end of Bold entity at byte offset 0"],
    ['ok _italic', "Can't find end of Italic entity at byte offset 3"],
    ['*a _b* c_', "Can't find end of Italic entity at byte offset 3"],
    ['x \\', "Character '\\' is reserved and must be escaped with the preceding '\\'"],
    ['`code', "Can't find end of Code entity at byte offset 0"],
    ['[text](http://x', "Can't find end of the entity starting at byte offset 0"],
  ])('when the text is %j then it is refused with %j', (text, error) => {
    expect(parseMarkdownV2(text)).toEqual({ ok: false, error });
  });

  it('when entities are well formed then the shown text has no markup', () => {
    expect(parseMarkdownV2('*bold* _it_ __u__ ~s~ ||sp|| `c\\`` [t](http://x\\)y) \\.')).toMatchObject({
      ok: true,
      text: 'bold it u s sp c` t .',
    });
    expect(parseMarkdownV2('> quoted line\nnext')).toMatchObject({ ok: true, text: ' quoted line\nnext' });
  });
});

describe('escapeDiscordMarkdown', () => {
  it('when text has formatting characters then they are escaped and plain punctuation is not', () => {
    expect(escapeDiscordMarkdown('*a* _b_ ~~c~~ `d` ||e|| [f](g) \\ -1.5 (x) #1')).toBe(
      '\\*a\\* \\_b\\_ \\~\\~c\\~\\~ \\`d\\` \\|\\|e\\|\\| \\[f\\](g) \\\\ -1.5 (x) #1',
    );
  });

  it('when a line starts with a heading, list, quote or numbered marker then the marker is escaped', () => {
    expect(escapeDiscordMarkdown('# h\n- item\n> quote\n12. step\n-# small\n-412.50')).toBe(
      '\\# h\n\\- item\n\\> quote\n12\\. step\n\\-# small\n-412.50',
    );
  });

  it('when any text is escaped then removing the escapes gives the text back', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(escapeDiscordMarkdown(text).replace(/\\([^0-9A-Za-z\s])/g, '$1')).toBe(text);
      }),
    );
  });
});
