/** One dispatched Server-Sent Events message. */
export interface SseMessage {
  /** The last event id seen on the stream when this message was dispatched ('' when none). */
  readonly lastEventId: string;
  /** The `event:` field, `message` when absent. */
  readonly event: string;
  readonly data: string;
}

/** Callbacks of {@link SseParser}. */
export interface SseParserHandlers {
  onMessage(message: SseMessage): void;
  /** A comment line (`: heartbeat`), without the colon. */
  onComment?(comment: string): void;
  /** A valid `retry:` field: the server's reconnection time in ms. */
  onRetry?(ms: number): void;
}

/**
 * An incremental parser of the `text/event-stream` format as the HTML standard defines it: lines
 * end with CRLF, LF or CR (a CRLF split across two chunks counts once); `field: value` with one
 * leading space stripped; `data` lines joined with LF; an empty line dispatches; an `id`
 * containing NUL is ignored; `retry` must be all digits.
 */
export class SseParser {
  private buffer = '';
  private afterCr = false;
  private data: string[] = [];
  private eventType = '';
  private idBuffer = '';
  private lastId = '';

  constructor(private readonly handlers: SseParserHandlers) {}

  /** The id the next reconnection should send as `Last-Event-ID` ('' when none). */
  get lastEventId(): string {
    return this.lastId;
  }

  /** Feeds decoded text; complete lines are processed at once. */
  push(chunk: string): void {
    let text = chunk;
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.buffer.slice(start, i));
      if (c === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.afterCr = true;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** Forgets a partly received message (after the connection dropped); keeps the last event id. */
  reset(): void {
    this.buffer = '';
    this.afterCr = false;
    this.data = [];
    this.eventType = '';
    this.idBuffer = this.lastId;
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      this.handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    this.lastId = this.idBuffer;
    if (this.data.length === 0) {
      this.eventType = '';
      return;
    }
    const message: SseMessage = {
      lastEventId: this.lastId,
      event: this.eventType === '' ? 'message' : this.eventType,
      data: this.data.join('\n'),
    };
    this.data = [];
    this.eventType = '';
    this.handlers.onMessage(message);
  }
}
