import type { ChannelConfig } from '@riskd/notifier';
import type { NotificationSettings } from '../config/config-schema.js';

/** The config's `notifications` section as the notifier's channel list (Discord first, then Telegram). */
export function chatChannels(settings: NotificationSettings): ChannelConfig[] {
  return [
    ...settings.discord.map((c): ChannelConfig => ({
      type: 'discord',
      id: c.id,
      enabled: c.enabled,
      audience: c.audience,
      minSeverity: c.minSeverity,
      webhookUrl: c.webhookUrl,
      ...(c.username !== undefined ? { username: c.username } : {}),
    })),
    ...settings.telegram.map((c): ChannelConfig => ({
      type: 'telegram',
      id: c.id,
      enabled: c.enabled,
      audience: c.audience,
      minSeverity: c.minSeverity,
      botToken: c.botToken,
      chatId: c.chatId,
      apiBaseUrl: c.apiBaseUrl,
    })),
  ];
}
