import type { Alert } from '@riskd/core-engine';

/** 2026-01-05 14:30:00 UTC (08:30 in Chicago), the instant every golden alert is built around. */
export const T0 = Date.UTC(2026, 0, 5, 14, 30);

const ACCOUNT = { accountId: 8_123_456, account: '50KTC-V2-123456-7' } as const;

export function closeAlert(i = 0, overrides: Partial<Alert> = {}): Alert {
  return {
    id: `enf:enforcement:8123456:MNQH6:${T0 + i * 100}.0`,
    at: T0 + i * 100,
    severity: 'warning',
    kind: 'enforcement',
    accountId: ACCOUNT.accountId,
    ruleId: 'max-trade-loss',
    code: 'TRADE_LOSS_LIMIT',
    title: `${ACCOUNT.account}: closed 2 MNQH6 (trade ${i + 1})`,
    message: `open trade P&L -412.50 passed the trade loss limit of -400.00`,
    fields: {
      action: 'close',
      account: ACCOUNT.account,
      contract: 'MNQH6',
      size: '2',
      tradePnl: '-412.50',
      limit: '-400.00',
    },
    ...overrides,
  };
}

/** The golden cases: name -> alerts of one message. */
export const GOLDEN_CASES: Readonly<Record<string, readonly Alert[]>> = {
  'close-with-numbers': [closeAlert()],
  'flatten-critical': [
    {
      id: 'enf:enforcement:8123456:flatten:1767623400000.0',
      at: T0,
      severity: 'warning',
      kind: 'enforcement',
      accountId: ACCOUNT.accountId,
      ruleId: 'daily-loss-limit',
      code: 'DAILY_LOSS_LIMIT',
      title: `Flattening account ${ACCOUNT.account}`,
      message:
        'day P&L -1,050.00 reached the daily loss limit of -1,000.00; account locked until the 17:00 reset',
      fields: {
        action: 'flatten',
        account: ACCOUNT.account,
        dayPnl: '-1050.00',
        limit: '-1000.00',
        positions: '3',
        lockedUntil: '2026-01-05 17:00 America/Chicago',
      },
    },
  ],
  warning: [
    {
      id: 'enf:warning:max-loss-limit:WARN_AT:1767623400000.0',
      at: T0,
      severity: 'warning',
      kind: 'warning',
      accountId: ACCOUNT.accountId,
      ruleId: 'max-loss-limit',
      code: 'WARN_AT',
      title: 'max-loss-limit: WARN_AT',
      message: 'balance 48,400.00 is within 400.00 of the max loss limit (48,000.00)',
      fields: { account: ACCOUNT.account, balance: '48400.00', threshold: '48000.00', warnAt: '80%' },
    },
  ],
  'reserved-characters': [
    {
      id: 'enf:rule-alert:x_y*[1]:CODE.1',
      at: T0,
      severity: 'critical',
      kind: 'rule-alert',
      accountId: ACCOUNT.accountId,
      ruleId: 'custom_rule-v1.2',
      code: 'A_B*C',
      title: 'Rule *custom_rule* [v1.2] (beta) fired!',
      message:
        'reason with _*[]()~>#+-=|{}.! and `code`, a back\\slash, ~strike~ ||spoiler|| > quote, @everyone [link](http://x.y)',
      fields: {
        account: 'acct_[main]',
        'p&l (day)': '-1,000.50!',
        'formula{x}': 'a+b=c | d-e # f',
      },
    },
  ],
  'coalesced-ten-closes': Array.from({ length: 10 }, (_, i) => closeAlert(i)),
  'very-long-message': [
    {
      id: 'enf:enforcement-failed:very-long:1767623400000.0',
      at: T0,
      severity: 'critical',
      kind: 'enforcement-failed',
      accountId: ACCOUNT.accountId,
      ruleId: 'daily-loss-limit',
      code: 'DAILY_LOSS_LIMIT',
      title: `Enforcement failed on ${ACCOUNT.account} ${'and a title that goes on. '.repeat(12)}`,
      message: Array.from(
        { length: 400 },
        (_, i) => `attempt ${i + 1}: close of MNQH6 rejected (code 2.${i}) - retrying!`,
      ).join(' '),
      fields: Object.fromEntries([
        ['account', ACCOUNT.account],
        ...Array.from({ length: 30 }, (_, i) => [`field_${i + 1}`, `value.${i + 1} `.repeat(30 + i * 5)]),
      ]),
    },
  ],
  'coalesced-overflow': Array.from({ length: 120 }, (_, i) =>
    closeAlert(i, { message: `open trade P&L -412.50 passed the limit -400.00; ${'detail. '.repeat(20)}` }),
  ),
};
