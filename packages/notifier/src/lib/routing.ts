import type { Alert, NotificationPreferences } from '@riskd/core-engine';
import type { ChannelConfig } from './channel-config.js';
import { isAdminOnlyKind, severityRank } from './severity.js';

/** Why an alert was not sent to a channel it could have gone to. */
export type SuppressionReason = 'severity' | 'kinds' | 'channels' | 'quietHours';

/** Where one alert goes. */
export interface AlertRoute {
  /** Ids of the channels that get the alert, in configuration order. */
  readonly channels: readonly string[];
  /** Channels left out by a channel's `minSeverity` or by the trader's preferences. */
  readonly suppressed: readonly { readonly channel: string; readonly reason: SuppressionReason }[];
}

/** What routing needs besides the alert and the channels. */
export interface RouteContext {
  readonly preferences: NotificationPreferences;
  /** Whether the trader's quiet hours are on now. */
  readonly quietNow: boolean;
  /** Channels that must not get anything (failed for good until reconfigured). */
  readonly unavailable?: ReadonlySet<string>;
}

/**
 * Routes an alert whose `severity` is already classified (README "Routing"):
 * 1. a disabled or unavailable channel gets nothing; 2. a channel gets nothing below its
 * `minSeverity` (suppressed: severity); 3. `admin` channels get everything else; 4. admin-only kinds
 * go to `all` channels as well and never to `trader` channels; 5. any other kind goes to `trader`
 * and `all` channels through the trader's preferences, which a critical alert bypasses entirely —
 * otherwise the kind must be selected (suppressed: kinds), the channel chosen when a choice was made
 * (suppressed: channels), and the quiet hours off (suppressed: quietHours).
 */
export function routeAlert(
  alert: Alert,
  channels: readonly ChannelConfig[],
  context: RouteContext,
): AlertRoute {
  const out: string[] = [];
  const suppressed: { channel: string; reason: SuppressionReason }[] = [];
  const adminOnly = isAdminOnlyKind(alert.kind);
  const critical = alert.severity === 'critical';
  const { preferences } = context;
  for (const channel of channels) {
    if (!channel.enabled || context.unavailable?.has(channel.id)) continue;
    if (channel.audience === 'trader' && adminOnly) continue;
    if (severityRank(alert.severity) < severityRank(channel.minSeverity)) {
      suppressed.push({ channel: channel.id, reason: 'severity' });
      continue;
    }
    if (channel.audience === 'admin' || adminOnly || critical) {
      out.push(channel.id);
      continue;
    }
    if (preferences.kinds !== 'all' && !preferences.kinds.includes(alert.kind)) {
      suppressed.push({ channel: channel.id, reason: 'kinds' });
    } else if (preferences.channels.length > 0 && !preferences.channels.includes(channel.id)) {
      suppressed.push({ channel: channel.id, reason: 'channels' });
    } else if (context.quietNow) {
      suppressed.push({ channel: channel.id, reason: 'quietHours' });
    } else {
      out.push(channel.id);
    }
  }
  return { channels: out, suppressed };
}
