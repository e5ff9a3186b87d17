/** Where a JSON text stops being JSON, and why. */
export interface JsonSyntaxProblem {
  /** 1-based line and column of the offending character (or of the end of the text). */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * Parses JSON; on a syntax error returns where and why instead of throwing. Node's own messages
 * differ between versions and some carry no position at all, so the location comes from a small
 * scanner of our own that runs only when `JSON.parse` has failed.
 */
export function parseJsonText(
  text: string,
):
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: JsonSyntaxProblem } {
  // Editors on Windows may save a byte order mark; it is not part of the JSON.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (err) {
    const found = locateSyntaxError(body);
    const { offset, message } = found ?? { offset: body.length, message: (err as Error).message };
    const { line, column } = lineAndColumn(body, offset);
    return { ok: false, problem: { line, column, message } };
  }
}

/** Formats a syntax problem for a config problem list. */
export function describeJsonSyntaxProblem(problem: JsonSyntaxProblem): string {
  return `invalid JSON at line ${problem.line}, column ${problem.column}: ${problem.message}`;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class SyntaxStop {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

/** The first syntax error of `text` (offset and message), or undefined if the scanner finds none. */
function locateSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const describe = (at: number): string =>
    at >= text.length ? 'the end of the file' : `${JSON.stringify(text[at])}`;
  const fail = (message: string): never => {
    throw new SyntaxStop(i, message);
  };
  const skipBlank = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const expect = (literal: string): void => {
    for (const char of literal) {
      if (text[i] !== char) fail(`expected ${JSON.stringify(literal)}, found ${describe(i)}`);
      i++;
    }
  };
  const string = (): void => {
    const start = i;
    i++; // opening quote
    for (;;) {
      if (i >= text.length) {
        // Point at where the string starts: the missing quote belongs somewhere after it.
        i = start;
        fail('unterminated string (it starts here)');
      }
      const char = text[i] as string;
      if (char === '"') {
        i++;
        return;
      }
      if (char === '\\') {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in string');
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
          i += 2;
        } else {
          fail('bad escape in string');
        }
        continue;
      }
      if (char.charCodeAt(0) < 0x20) fail('control character in string (newlines must be written \\n)');
      i++;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!match || match[0] === '' || match[0] === '-') fail(`unexpected ${describe(i)}`);
    i += (match as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    skipBlank();
    const char = text[i];
    if (char === '{') return object();
    if (char === '[') return array();
    if (char === '"') return string();
    if (char === 't') return expect('true');
    if (char === 'f') return expect('false');
    if (char === 'n') return expect('null');
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return number();
    fail(
      i >= text.length
        ? 'unexpected end of file, expected a value'
        : `unexpected ${describe(i)}, expected a value`,
    );
  };
  const object = (): void => {
    i++;
    skipBlank();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      skipBlank();
      if (text[i] !== '"') {
        fail(
          text[i] === '}'
            ? 'trailing comma before "}"'
            : `expected a property name in double quotes, found ${describe(i)}`,
        );
      }
      string();
      skipBlank();
      if (text[i] !== ':') fail(`expected ":" after the property name, found ${describe(i)}`);
      i++;
      value();
      skipBlank();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`expected "," or "}" after a property value, found ${describe(i)}`);
    }
  };
  const array = (): void => {
    i++;
    skipBlank();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      skipBlank();
      if (text[i] === ']') fail('trailing comma before "]"');
      value();
      skipBlank();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`expected "," or "]" after an array item, found ${describe(i)}`);
    }
  };
  try {
    value();
    skipBlank();
    if (i < text.length) fail(`unexpected ${describe(i)} after the end of the JSON value`);
    return undefined;
  } catch (err) {
    if (err instanceof SyntaxStop) return { offset: err.offset, message: err.message };
    throw err;
  }
}
