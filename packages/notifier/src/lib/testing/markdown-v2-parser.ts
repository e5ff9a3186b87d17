/** Result of {@link parseMarkdownV2}: the text as Telegram shows it, or Telegram's parse error. */
export type MarkdownV2Parse =
  | { readonly ok: true; readonly text: string; readonly entities: readonly MarkdownV2Entity[] }
  | { readonly ok: false; readonly error: string };

/** An entity found in the text (offsets in UTF-16 units of the shown text, as Telegram reports them). */
export interface MarkdownV2Entity {
  readonly type: EntityType;
  readonly offset: number;
  readonly length: number;
}

type EntityType =
  'bold' | 'italic' | 'underline' | 'strikethrough' | 'spoiler' | 'code' | 'pre' | 'text_link';

const ENTITY_NAME: Readonly<Record<EntityType, string>> = {
  bold: 'Bold',
  italic: 'Italic',
  underline: 'Underline',
  strikethrough: 'Strikethrough',
  spoiler: 'Spoiler',
  code: 'Code',
  pre: 'Pre',
  text_link: 'TextUrl',
};

/** Characters that must be escaped outside entities (Bot API, "MarkdownV2 style"). */
const RESERVED = new Set([
  '_',
  '*',
  '[',
  ']',
  '(',
  ')',
  '~',
  '`',
  '>',
  '#',
  '+',
  '-',
  '=',
  '|',
  '{',
  '}',
  '.',
  '!',
]);

interface Open {
  readonly type: EntityType | 'link-text' | 'url';
  readonly byteOffset: number;
  readonly textOffset: number;
}

/**
 * Parses text the way the Bot API reads `parse_mode: 'MarkdownV2'` and fails where it fails: an
 * unescaped reserved character outside an entity, an entity left open, entities closed out of
 * order, an unescaped backtick or backslash inside code, an unescaped `)` inside a link's URL.
 * Errors read like Telegram's (`Character '.' is reserved and must be escaped with the preceding
 * '\'`, `Can't find end of Bold entity at byte offset 0`). Used by the fake Telegram server.
 */
export function parseMarkdownV2(source: string): MarkdownV2Parse {
  const stack: Open[] = [];
  const entities: MarkdownV2Entity[] = [];
  let text = '';
  let i = 0;
  let lineStart = true;
  const byteAt = (index: number): number => Buffer.byteLength(source.slice(0, index), 'utf8');
  const reserved = (ch: string): MarkdownV2Parse => ({
    ok: false,
    error: `Character '${ch}' is reserved and must be escaped with the preceding '\\'`,
  });
  const unclosed = (open: Open): MarkdownV2Parse => ({
    ok: false,
    error:
      open.type === 'link-text' || open.type === 'url'
        ? `Can't find end of the entity starting at byte offset ${open.byteOffset}`
        : `Can't find end of ${ENTITY_NAME[open.type]} entity at byte offset ${open.byteOffset}`,
  });
  const toggle = (type: EntityType, width: number): MarkdownV2Parse | null => {
    const top = stack[stack.length - 1];
    if (top && top.type === type) {
      stack.pop();
      entities.push({ type, offset: top.textOffset, length: text.length - top.textOffset });
    } else if (stack.some((o) => o.type === type)) {
      return top ? unclosed(top) : null;
    } else {
      stack.push({ type, byteOffset: byteAt(i), textOffset: text.length });
    }
    i += width;
    return null;
  };

  while (i < source.length) {
    const ch = source[i] as string;
    const top = stack[stack.length - 1];
    if (top && (top.type === 'code' || top.type === 'pre')) {
      if (ch === '\\') {
        const next = source[i + 1];
        if (next === undefined) return reserved('\\');
        text += next;
        i += 2;
        continue;
      }
      if (ch === '`') {
        if (top.type === 'code') {
          stack.pop();
          entities.push({ type: 'code', offset: top.textOffset, length: text.length - top.textOffset });
          i += 1;
          continue;
        }
        if (source.startsWith('```', i)) {
          stack.pop();
          entities.push({ type: 'pre', offset: top.textOffset, length: text.length - top.textOffset });
          i += 3;
          continue;
        }
        return reserved('`');
      }
      text += ch;
      i += 1;
      continue;
    }
    if (top && top.type === 'url') {
      if (ch === '\\') {
        if (source[i + 1] === undefined) return reserved('\\');
        i += 2;
        continue;
      }
      if (ch === ')') stack.pop();
      i += 1;
      continue;
    }
    if (ch === '\\') {
      const next = source.codePointAt(i + 1);
      if (next === undefined || next < 1 || next > 126) return reserved('\\');
      text += String.fromCodePoint(next);
      i += 2;
      lineStart = false;
      continue;
    }
    let failure: MarkdownV2Parse | null = null;
    switch (ch) {
      case '*':
        failure = toggle('bold', 1);
        break;
      case '_':
        failure = source[i + 1] === '_' ? toggle('underline', 2) : toggle('italic', 1);
        break;
      case '~':
        failure = toggle('strikethrough', 1);
        break;
      case '|':
        if (source[i + 1] !== '|') return reserved('|');
        failure = toggle('spoiler', 2);
        break;
      case '`':
        if (source.startsWith('```', i)) {
          stack.push({ type: 'pre', byteOffset: byteAt(i), textOffset: text.length });
          i += 3;
          // An optional language name runs to the end of the first line.
          const language = /^[A-Za-z0-9_+-]*\n/.exec(source.slice(i));
          if (language) i += language[0].length;
        } else {
          stack.push({ type: 'code', byteOffset: byteAt(i), textOffset: text.length });
          i += 1;
        }
        break;
      case '[':
        stack.push({ type: 'link-text', byteOffset: byteAt(i), textOffset: text.length });
        i += 1;
        break;
      case ']': {
        if (!top || top.type !== 'link-text') return reserved(']');
        if (source[i + 1] !== '(') return reserved(']');
        stack.pop();
        entities.push({ type: 'text_link', offset: top.textOffset, length: text.length - top.textOffset });
        stack.push({ type: 'url', byteOffset: top.byteOffset, textOffset: top.textOffset });
        i += 2;
        break;
      }
      case '>':
        // A block quote marker at the start of a line; anywhere else it must be escaped.
        if (!lineStart) return reserved('>');
        i += 1;
        break;
      default:
        if (RESERVED.has(ch)) return reserved(ch);
        text += ch;
        i += 1;
    }
    if (failure) return failure;
    lineStart = ch === '\n';
  }
  const open = stack[stack.length - 1];
  if (open) return unclosed(open);
  return { ok: true, text, entities };
}
