import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One REST request that went through the proxy. */
export interface ProxiedRequest {
  readonly path: string;
  /** The `x-riskd-idempotency-key` header the adapter sends with enforcement actions. */
  readonly idempotencyKey: string | null;
  readonly body: unknown;
  /** When it arrived (epoch ms). */
  readonly at: number;
}

/**
 * A recording HTTP proxy in front of the simulator's REST API: it forwards every request as is
 * and keeps its path, idempotency-key header and body, so a test can count the daemon's close and
 * reduce requests per idempotency key (the simulator's own recorder does not keep that header).
 * Hubs are not proxied: the config points them at the simulator directly.
 */
export class RecordingProxy {
  readonly requests: ProxiedRequest[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.forward(req).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers);
          res.end(body);
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async forward(
    req: IncomingMessage,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const key = req.headers['x-riskd-idempotency-key'];
    let body: unknown = null;
    try {
      body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : null;
    } catch {
      body = raw.toString('utf8');
    }
    this.requests.push({
      path: req.url ?? '',
      idempotencyKey: typeof key === 'string' ? key : null,
      body,
      at: Date.now(),
    });
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(`${this.target}${req.url ?? ''}`, {
      method: req.method ?? 'GET',
      headers,
      ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: raw }),
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (['content-type', 'www-authenticate', 'retry-after'].includes(name)) out[name] = value;
    });
    return { status: answer.status, headers: out, body: Buffer.from(await answer.arrayBuffer()) };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
