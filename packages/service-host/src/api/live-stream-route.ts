import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SSEReplyInterface } from '@fastify/sse';
import type { Clock } from '@riskd/core-engine';
import { LIVE_EVENT_SCHEMA, type HelloEvent, type JsonSchema, type LiveEvent } from '@riskd/api-client';
import type { LiveHub, NumberedEvent } from './live-hub.js';

/** The schema of each live event type (the branches of the union, keyed by their `type` const). */
const SCHEMA_OF_TYPE: ReadonlyMap<string, JsonSchema> = new Map(
  (structuredClone(LIVE_EVENT_SCHEMA['anyOf']) as JsonSchema[]).map((branch) => {
    const type = (branch['properties'] as Record<string, { const: string }>)['type']!.const;
    return [type, branch];
  }),
);

/** Options of the live-stream handler. */
export interface LiveStreamRouteOptions {
  readonly hub: LiveHub;
  readonly clock: Clock;
  /** A client whose unsent data exceeds this is dropped (it reconnects and resumes). */
  readonly maxBacklogBytes: number;
  /** The open streams, closed by the app's `preClose` hook so shutdown does not wait for them. */
  readonly connections: Set<SSEReplyInterface>;
}

/**
 * `GET /api/v1/events`: `hello` first (with `resync` when the client resumed from an event this
 * process no longer holds), then the events it missed (when it resumed with `Last-Event-ID`),
 * then every event live. Each event is serialized through its schema, so fields nobody declared
 * never reach a client.
 */
export function createLiveStreamHandler(options: LiveStreamRouteOptions) {
  const { hub, clock, maxBacklogBytes, connections } = options;
  return async function liveStream(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const sse = reply.sse;
    const header = request.headers['last-event-id'];
    const plan = hub.replayAfter(typeof header === 'string' ? header : undefined);

    const serialize = (event: LiveEvent): string | undefined => {
      const schema = SCHEMA_OF_TYPE.get(event.type);
      try {
        if (!schema) throw new Error(`unknown live event type ${String(event.type)}`);
        return reply.serializeInput(event as unknown as Record<string, unknown>, schema);
      } catch (err) {
        request.log.error({ err, type: event.type }, 'live event dropped: it does not match its schema');
        return undefined;
      }
    };
    const write = (message: { id?: string; event: string; data: string }): void => {
      if (!sse.isConnected) return;
      if (reply.raw.writableLength > maxBacklogBytes) {
        request.log.warn({ backlog: reply.raw.writableLength }, 'live stream client too slow: dropped');
        sse.close();
        return;
      }
      // send() writes synchronously up to the socket, so messages keep their order.
      sse.send(message).catch(() => undefined);
    };
    const forward = (numbered: NumberedEvent): void => {
      const data = serialize(numbered.event);
      if (data !== undefined) write({ id: numbered.id, event: numbered.event.type, data });
    };

    // The stream is this connection's only use: ending it ends the connection, so a shutdown
    // does not wait for an idle keep-alive socket to time out.
    reply.header('connection', 'close');
    sse.keepAlive();
    // Subscribe and replay in the same tick: no event can fall between the replay and the live feed.
    const unsubscribe = hub.subscribe(forward);
    connections.add(sse);
    sse.onClose(() => {
      unsubscribe();
      connections.delete(sse);
    });
    const hello: HelloEvent = {
      type: 'hello',
      bootId: hub.bootId,
      now: new Date(clock.now()).toISOString(),
      resync: plan.resync,
      replayed: plan.events.length,
    };
    const helloData = serialize(hello);
    if (helloData !== undefined) write({ event: 'hello', data: helloData });
    for (const numbered of plan.events) forward(numbered);
  };
}
