import type { Alert, Clock } from '@riskd/core-engine';
import type { ChannelConfig } from './channel-config.js';
import { describeError, sendToChannel } from './channel-transport.js';

/** The result of one test message. */
export interface ChannelTestResult {
  readonly channel: string;
  readonly type: ChannelConfig['type'];
  readonly ok: boolean;
  /** HTTP status of the (last) answer, when there was one. */
  readonly status?: number;
  /** What went wrong, without secrets. */
  readonly error?: string;
  /** How long the request took (Clock's monotonic time). */
  readonly ms: number;
}

/** Options of {@link testChannels}. */
export interface TestChannelsOptions {
  /** Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  readonly clock: Clock;
  /** Per request; default 10,000 ms. */
  readonly timeoutMs?: number;
  /** Zone of the time shown in the message; default UTC. */
  readonly timeZone?: string;
}

/**
 * Sends one test message straight to every enabled channel (no outbox, no retry, no preferences),
 * all channels at once, and reports each result in channel order (`riskd notify test`).
 */
export async function testChannels(
  channels: readonly ChannelConfig[],
  options: TestChannelsOptions,
): Promise<ChannelTestResult[]> {
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const { clock } = options;
  return Promise.all(
    channels
      .filter((c) => c.enabled)
      .map(async (channel): Promise<ChannelTestResult> => {
        const now = clock.now();
        const alert: Alert = {
          id: `notify-test:${channel.id}:${now}`,
          at: now,
          severity: 'info',
          kind: 'notification-test',
          title: 'Riskd test message',
          message: `This is a test message from Riskd to the ${channel.type} channel "${channel.id}".`,
          fields: { channel: channel.id },
        };
        const started = clock.monotonicNs();
        const elapsed = (): number => Number((clock.monotonicNs() - started) / 1_000_000n);
        try {
          const outcome = await sendToChannel(channel, [alert], {
            fetch: fetchFn,
            clock,
            timeoutMs: options.timeoutMs ?? 10_000,
            timeZone: options.timeZone ?? 'UTC',
          });
          const base = { channel: channel.id, type: channel.type, ms: elapsed() };
          if (outcome.kind === 'ok') return { ...base, ok: true, status: outcome.status };
          return {
            ...base,
            ok: false,
            ...(outcome.status !== undefined ? { status: outcome.status } : {}),
            error: outcome.error,
          };
        } catch (err) {
          return {
            channel: channel.id,
            type: channel.type,
            ok: false,
            error: describeError(err),
            ms: elapsed(),
          };
        }
      }),
  );
}
