import WebSocket from 'ws';

const RS = '\u001e';

/** A bare WebSocket SignalR client that keeps every frame, to check the wire itself. */
export class RawHubClient {
  readonly frames: string[] = [];
  readonly messages: Record<string, unknown>[] = [];
  closed = false;
  closeCode: number | null = null;
  private invocation = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.frames.push(text);
      for (const record of text.split(RS)) {
        if (record.length > 0) this.messages.push(JSON.parse(record) as Record<string, unknown>);
      }
    });
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
    });
  }

  /** Opens the socket (rejects with the HTTP status when the upgrade is refused). */
  static open(url: string, headers: Record<string, string> = {}): Promise<RawHubClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers });
      const client = new RawHubClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(message: object): void {
    this.ws.send(JSON.stringify(message) + RS);
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  handshake(): void {
    this.sendRaw(`{"protocol":"json","version":1}${RS}`);
  }

  /** Sends an invocation with an id and returns the id. */
  invoke(target: string, ...args: unknown[]): string {
    const invocationId = String(++this.invocation);
    this.send({ type: 1, invocationId, target, arguments: args });
    return invocationId;
  }

  ofType(type: number): Record<string, unknown>[] {
    return this.messages.filter((m) => m['type'] === type);
  }

  invocations(target: string): unknown[][] {
    return this.messages
      .filter((m) => m['type'] === 1 && m['target'] === target)
      .map((m) => m['arguments'] as unknown[]);
  }

  completion(invocationId: string): Record<string, unknown> | undefined {
    return this.messages.find((m) => m['type'] === 3 && m['invocationId'] === invocationId);
  }

  close(): void {
    this.ws.terminate();
  }
}
