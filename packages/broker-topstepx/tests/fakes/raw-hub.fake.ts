import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const RS = '\x1e';

/**
 * A minimal SignalR JSON hub on 127.0.0.1:0 that lets a test put arbitrary bytes on the wire:
 * payload shapes the simulator never sends (single-argument market events, symbol-only quotes)
 * and frames that are not valid SignalR JSON. It answers the handshake and completes every
 * invocation (recording it), nothing more.
 */
export class RawHub {
  readonly invocations: { target: string; arguments: unknown[] }[] = [];
  private readonly sockets = new Set<WebSocket>();
  /** Access tokens presented by connecting clients, in order. */
  readonly tokens: (string | null)[] = [];

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
  ) {
    wss.on('connection', (ws, req) => {
      this.tokens.push(new URL(req.url ?? '/', 'http://x').searchParams.get('access_token'));
      let handshaken = false;
      ws.on('message', (data) => {
        for (const record of data.toString().split(RS)) {
          if (record.length === 0) continue;
          if (!handshaken) {
            handshaken = true;
            this.sockets.add(ws);
            ws.send(`{}${RS}`);
            continue;
          }
          const message = JSON.parse(record) as {
            type: number;
            target?: string;
            arguments?: unknown[];
            invocationId?: string;
          };
          if (message.type === 1) {
            this.invocations.push({ target: message.target ?? '', arguments: message.arguments ?? [] });
            if (message.invocationId !== undefined) {
              ws.send(JSON.stringify({ type: 3, invocationId: message.invocationId, result: null }) + RS);
            }
          }
        }
      });
      ws.on('close', () => this.sockets.delete(ws));
    });
  }

  static async start(): Promise<RawHub> {
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ server });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new RawHub(server, wss);
  }

  url(hub: 'user' | 'market'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hubs/${hub}`;
  }

  connections(): number {
    return this.sockets.size;
  }

  /** Sends one WebSocket frame with exactly this text to every connected client. */
  sendRaw(text: string): void {
    for (const ws of this.sockets) ws.send(text);
  }

  /** Sends a well-formed invocation record. */
  invoke(target: string, ...args: unknown[]): void {
    this.sendRaw(JSON.stringify({ type: 1, target, arguments: args }) + RS);
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
