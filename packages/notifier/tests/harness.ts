import { type Alert, FakeClock, type Instant, MemoryLogger } from '@riskd/core-engine';
import {
  type ChannelConfig,
  ChatNotifier,
  type ChatNotifierOptions,
  type DiscordChannelConfig,
  type PermanentFailure,
  type TelegramChannelConfig,
} from '../src/index.js';
import { FakeDiscordServer, FakeTelegramServer, MemoryNotificationStore, pollUntil } from '../src/testing.js';
import { T0 } from './golden-alerts.js';

export function discordChannel(
  server: FakeDiscordServer,
  overrides: Partial<DiscordChannelConfig> = {},
): DiscordChannelConfig {
  return {
    id: 'desk-discord',
    type: 'discord',
    enabled: true,
    audience: 'all',
    minSeverity: 'info',
    webhookUrl: server.webhookUrl,
    username: 'Riskd',
    ...overrides,
  };
}

export function telegramChannel(
  server: FakeTelegramServer,
  overrides: Partial<TelegramChannelConfig> = {},
): TelegramChannelConfig {
  return {
    id: 'desk-telegram',
    type: 'telegram',
    enabled: true,
    audience: 'all',
    minSeverity: 'info',
    botToken: server.botToken,
    chatId: server.chatId,
    apiBaseUrl: server.apiBaseUrl,
    ...overrides,
  };
}

export interface Harness {
  readonly clock: FakeClock;
  readonly logger: MemoryLogger;
  store: MemoryNotificationStore;
  readonly discord: FakeDiscordServer;
  readonly telegram: FakeTelegramServer;
  notifier: ChatNotifier;
  readonly failures: PermanentFailure[];
  /** A new notifier over `store` with the same options (a restart). */
  restart(store?: MemoryNotificationStore): Promise<ChatNotifier>;
  /** Waits (with a deadline) until the notifier is idle: writes done, no request in flight. */
  settle(): Promise<void>;
  /** Moves the fake clock to `at`, stopping at every timer and letting the I/O it starts finish. */
  runUntil(at: Instant): Promise<void>;
  close(): Promise<void>;
}

/** Two loopback fakes, a FakeClock at T0 and a started notifier (channels from `channels`). */
export async function harness(
  options: {
    channels?: (discord: FakeDiscordServer, telegram: FakeTelegramServer) => ChannelConfig[];
    notifier?: Partial<ChatNotifierOptions>;
    start?: Instant;
  } = {},
): Promise<Harness> {
  const clock = new FakeClock(options.start ?? T0);
  const logger = new MemoryLogger();
  const discord = await new FakeDiscordServer().start();
  const telegram = await new FakeTelegramServer().start();
  const channels = options.channels?.(discord, telegram) ?? [
    discordChannel(discord),
    telegramChannel(telegram),
  ];
  const failures: PermanentFailure[] = [];
  const build = (store: MemoryNotificationStore): ChatNotifier =>
    new ChatNotifier({
      store,
      clock,
      logger,
      channels,
      timeZone: 'America/Chicago',
      onPermanentFailure: (f) => failures.push(f),
      ...options.notifier,
    });
  const h: Harness = {
    clock,
    logger,
    store: new MemoryNotificationStore(),
    discord,
    telegram,
    notifier: undefined as unknown as ChatNotifier,
    failures,
    async restart(store = h.store) {
      h.store = store;
      h.notifier = build(store);
      await h.notifier.start();
      return h.notifier;
    },
    async settle() {
      let idle = false;
      void h.notifier.idle().then(() => {
        idle = true;
      });
      await pollUntil(() => idle, { timeoutMs: 10_000, what: 'the notifier to be idle' });
    },
    async runUntil(at) {
      for (;;) {
        await h.settle();
        const next = clock.nextDueAt();
        if (next === undefined || next > at) break;
        await clock.set(Math.max(next, clock.now()));
      }
      if (at > clock.now()) await clock.set(at);
      await h.settle();
    },
    async close() {
      await h.notifier.stop();
      await discord.stop();
      await telegram.stop();
    },
  };
  h.notifier = build(h.store);
  await h.notifier.start();
  return h;
}

/** Titles of the alerts listed in every message Discord and Telegram accepted. */
export function deliveredText(h: Harness): { discord: string[]; telegram: string[] } {
  return {
    discord: h.discord.delivered.map((m) => JSON.stringify(m.body)),
    telegram: h.telegram.delivered.map((m) => m.text),
  };
}

/** How many accepted messages mention `needle`. */
export function countMentions(messages: readonly string[], needle: string): number {
  return messages.filter((m) => m.includes(needle)).length;
}

export function simpleAlert(id: string, overrides: Partial<Alert> = {}): Alert {
  return {
    id,
    at: T0,
    severity: 'warning',
    kind: 'rule-alert',
    accountId: 42,
    title: `alert ${id}`,
    message: `reason of ${id}`,
    ...overrides,
  };
}
