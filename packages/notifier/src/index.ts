export {
  type ChannelAudience,
  type ChannelBase,
  type ChannelConfig,
  type ChannelSummary,
  type DiscordChannelConfig,
  type TelegramChannelConfig,
  TELEGRAM_API_BASE_URL,
  validateChannels,
} from './lib/channel-config.js';
export {
  ChatNotifier,
  type ChatNotifierOptions,
  type NotifierStats,
  type PermanentFailure,
} from './lib/chat-notifier.js';
export { testChannels, type ChannelTestResult, type TestChannelsOptions } from './lib/test-channels.js';
export {
  classifySeverity,
  isAdminOnlyKind,
  maxSeverity,
  severityRank,
  CRITICAL_RULE_IDS,
  NOTIFICATION_FAILED_KIND,
  SEVERITY_TABLE,
} from './lib/severity.js';
export { routeAlert, type AlertRoute, type RouteContext, type SuppressionReason } from './lib/routing.js';
export { DEFAULT_PREFERENCES, inQuietHours, validatePreferences } from './lib/preferences.js';
export {
  renderDiscord,
  DISCORD_LIMITS,
  type DiscordEmbed,
  type DiscordEmbedField,
  type DiscordRenderOptions,
  type DiscordWebhookBody,
} from './lib/render-discord.js';
export { renderTelegram, renderTelegramPlain, TELEGRAM_MAX_MESSAGE_LENGTH } from './lib/render-telegram.js';
export { type RenderOptions, SEVERITY_COLOR, SEVERITY_MARKER } from './lib/render-common.js';
export { escapeDiscordMarkdown, escapeMarkdownV2 } from './lib/text.js';
export {
  NotifierError,
  NotifierValidationError,
  type NotifierErrorCode,
  type NotifierProblem,
} from './lib/notifier-errors.js';
