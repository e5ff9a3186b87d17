/** A wall-clock job: its name and its node-cron expression (seconds field optional). */
export interface CronJobSpec {
  readonly name: string;
  readonly expression: string;
  /** Whether the expression is read in the trading-day time zone (else it does not matter). */
  readonly zoned: boolean;
  readonly description: string;
}

/**
 * Every wall-clock job of the daemon. Each is a safety net or chore: the engine itself schedules
 * resets, rule timers and lockout ends on the Clock; these jobs ask the Clock what is due, so a
 * restart, a suspended machine or a missed tick never skips work.
 */
export const CRON_JOBS = {
  /** Every minute: a trading-day reset that is due but was not applied is applied now. */
  RESET_CHECK: {
    name: 'reset-check',
    expression: '5 * * * * *',
    zoned: false,
    description: 'applies a due trading-day reset the engine has not applied (every minute)',
  },
  /** Every minute: the market opened or closed since the last check (per the market calendar). */
  SESSION_CHECK: {
    name: 'session-check',
    expression: '10 * * * * *',
    zoned: false,
    description: 'records market session opens and closes from the calendar (every minute)',
  },
  /** Daily at 04:10 in the trading-day zone (the quietest hour): storage and log maintenance. */
  HOUSEKEEPING: {
    name: 'housekeeping',
    expression: '0 10 4 * * *',
    zoned: true,
    description: 'storage maintenance, state flush and log flush (daily 04:10 trading-day time)',
  },
} as const satisfies Record<string, CronJobSpec>;

export type CronJobName = (typeof CRON_JOBS)[keyof typeof CRON_JOBS]['name'];
