/** Characters Telegram's MarkdownV2 reserves outside entities, plus the backslash itself. */
const MARKDOWN_V2_RESERVED = /[_*[\]()~`>#+\-=|{}.!\\]/g;

/**
 * Escapes text for Telegram's MarkdownV2 (outside entities): every one of
 * `_ * [ ] ( ) ~ ` > # + - = | { } . !` and the backslash gets a preceding backslash, so the text
 * shows exactly as given.
 */
export function escapeMarkdownV2(text: string): string {
  return text.replace(MARKDOWN_V2_RESERVED, '\\$&');
}

/** Characters that format anywhere in Discord markdown (emphasis, code, spoilers, masked links). */
const DISCORD_INLINE = /[\\*_~`|[\]]/g;
/** Markers that format only at the start of a line: headings, subtext, lists, quotes. */
const DISCORD_LINE_START = /^([ \t]*)(?:(#{1,3} |-# |[-+] |>>> |> )|(\d+)\. )/gm;

/**
 * Escapes text for Discord markdown (embed titles, descriptions, field values): a backslash before
 * every character that would format, link or quote, and nothing else, so plain text (prices like
 * `-412.50`) reads as sent wherever Discord does or does not render markdown.
 */
export function escapeDiscordMarkdown(text: string): string {
  return text
    .replace(DISCORD_INLINE, '\\$&')
    .replace(DISCORD_LINE_START, (_m, ws: string, marker: string | undefined, digits: string | undefined) =>
      marker !== undefined ? `${ws}\\${marker}` : `${ws}${digits ?? ''}\\. `,
    );
}

/** No escaping (plain text). */
export const noEscape = (text: string): string => text;

/** The ellipsis that marks a cut. */
export const ELLIPSIS = '…';

/**
 * Escapes `raw` and, when the result is longer than `max` UTF-16 units, keeps the longest prefix of
 * the raw text (cut between characters, never inside a surrogate pair) whose escaped form plus `…`
 * fits: an escape sequence is never split, because the prefix is escaped as a whole.
 */
export function fitEscaped(
  raw: string,
  max: number,
  escape: (text: string) => string,
): { readonly text: string; readonly truncated: boolean } {
  const full = escape(raw);
  if (full.length <= max) return { text: full, truncated: false };
  if (max < ELLIPSIS.length) return { text: '', truncated: true };
  const budget = max - ELLIPSIS.length;
  // Offsets where a character starts (code points), searched for the longest prefix that fits.
  const cuts: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code < 0xdc00 || code > 0xdfff) cuts.push(i);
  }
  let lo = 0;
  let hi = cuts.length - 1;
  let best = '';
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = escape(raw.slice(0, cuts[mid]));
    if (candidate.length <= budget) {
      best = candidate;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return { text: best + ELLIPSIS, truncated: true };
}

/** Collapses whitespace runs (newlines included) to one space: list lines stay one line each. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
