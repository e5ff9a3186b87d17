// The testing entry (`@riskd/notifier/testing`): a real in-memory NotificationStore and loopback
// fakes of the Discord and Telegram APIs, for this package's tests and the daemon's.
export {
  MemoryNotificationStore,
  type StoredOutboxItem,
  type StoreOperation,
  type RetryRecord,
} from './lib/testing/memory-notification-store.js';
export {
  FakeHttpServer,
  type FakeAnswer,
  type FakeAnswerFn,
  type RecordedRequest,
  type HttpReply,
} from './lib/testing/fake-http-server.js';
export {
  FakeDiscordServer,
  type FakeDiscordServerOptions,
  type DiscordDelivered,
  validateWebhookBody,
} from './lib/testing/fake-discord-server.js';
export {
  FakeTelegramServer,
  type FakeTelegramServerOptions,
  type TelegramDelivered,
} from './lib/testing/fake-telegram-server.js';
export {
  parseMarkdownV2,
  type MarkdownV2Parse,
  type MarkdownV2Entity,
} from './lib/testing/markdown-v2-parser.js';
export { pollUntil } from './lib/testing/poll.js';
