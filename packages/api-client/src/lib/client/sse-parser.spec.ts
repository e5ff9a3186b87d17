import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from './sse-parser.js';

function parse(chunks: readonly string[]): { messages: SseMessage[]; comments: string[]; retries: number[] } {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser({
    onMessage: (m) => messages.push(m),
    onComment: (c) => comments.push(c),
    onRetry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { messages, comments, retries };
}

describe('SseParser', () => {
  it('when a message has id, event and several data lines then it is dispatched once with data joined by LF', () => {
    const { messages } = parse(['id: a-1\nevent: alert\ndata: {"x":\ndata: 1}\n\n']);
    expect(messages).toEqual([{ lastEventId: 'a-1', event: 'alert', data: '{"x":\n1}' }]);
  });

  it('when a message has no event field then its type is message and the last id carries over', () => {
    const { messages } = parse(['id: 7\ndata: one\n\n', 'data: two\n\n']);
    expect(messages).toEqual([
      { lastEventId: '7', event: 'message', data: 'one' },
      { lastEventId: '7', event: 'message', data: 'two' },
    ]);
  });

  it('when lines end with CRLF or CR then they parse like LF, also with CRLF split across chunks', () => {
    const { messages } = parse(['data: a\r', '\ndata: b\r\revent: e\rdata: c\r\n\r\n']);
    expect(messages).toEqual([
      { lastEventId: '', event: 'message', data: 'a\nb' },
      { lastEventId: '', event: 'e', data: 'c' },
    ]);
  });

  it('when comment, retry and unknown fields arrive then comments and valid retries are reported and the rest ignored', () => {
    const { messages, comments, retries } = parse([
      ': heartbeat\n\nretry: 1500\nretry: x\nfoo: bar\ndata\n\n',
    ]);
    expect(comments).toEqual(['heartbeat']);
    expect(retries).toEqual([1500]);
    expect(messages).toEqual([{ lastEventId: '', event: 'message', data: '' }]);
  });

  it('when an id contains NUL then it is ignored, and a value keeps all but one leading space', () => {
    const { messages } = parse(['id: good\n\nid: b\0ad\ndata:  two spaces\n\n']);
    expect(messages).toEqual([{ lastEventId: 'good', event: 'message', data: ' two spaces' }]);
  });

  it('when the connection drops mid-message and reset() is called then the partial message is forgotten', () => {
    const messages: SseMessage[] = [];
    const parser = new SseParser({ onMessage: (m) => messages.push(m) });
    parser.push('id: 1\ndata: done\n\nid: 2\ndata: half');
    parser.reset();
    parser.push('data: fresh\n\n');
    expect(messages.map((m) => m.data)).toEqual(['done', 'fresh']);
    expect(parser.lastEventId).toBe('1');
  });

  it('when a stream is cut into arbitrary chunks then the messages are the same as in one piece', () => {
    const stream =
      'id: a-1\nevent: alert\ndata: {"a":1}\n\n: heartbeat\n\r\ndata: x\r\ndata: y\r\n\r\nid: a-2\nevent: lockout\ndata: {}\n\n';
    const whole = parse([stream]).messages;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          const points = [0, ...[...cuts].sort((a, b) => a - b), stream.length];
          const chunks = points.slice(1).map((end, i) => stream.slice(points[i], end));
          expect(parse(chunks).messages).toEqual(whole);
        },
      ),
    );
  });
});
