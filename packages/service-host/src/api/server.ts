import type { FastifyInstance } from 'fastify';
import { DEFAULT_API_PORT } from '@riskd/api-client';
import { ControlApiError } from './control-plane.js';

/** The only address the control API listens on. */
export const API_HOST = '127.0.0.1';

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Config `api.port` (default 7311); 0 picks a free port (tests). */
  readonly port?: number;
}

/** Where the API listens. */
export interface ListeningApi {
  readonly url: string;
  readonly port: number;
}

/**
 * Starts the control API on 127.0.0.1 — there is deliberately no host option: the API is for
 * local callers only (the dashboards, the CLI), and its read routes need no token.
 */
export async function listen(app: FastifyInstance, options: ListenOptions = {}): Promise<ListeningApi> {
  const port = options.port ?? DEFAULT_API_PORT;
  try {
    await app.listen({ port, host: API_HOST });
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `port ${port} is already in use (set api.port in the config)`
        : String((error as Error).message ?? error);
    throw new ControlApiError('API_LISTEN', `control API cannot listen on ${API_HOST}:${port}: ${reason}`, {
      cause: error,
    });
  }
  const address = app.server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return { url: `http://${API_HOST}:${actual}`, port: actual };
}
