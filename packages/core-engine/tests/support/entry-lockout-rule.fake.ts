import { defineRule, RULE_API_VERSION, type RuleDefinition, type RulePack } from '../../src/index.js';

/** Options of {@link testEntryLockoutRule}. */
export interface TestEntryLockoutOptions {
  /** Entries allowed per trading day; the next one locks the account until the reset. */
  readonly maxEntries: number;
}

/** Code of the lockout decision of {@link testEntryLockoutRule}. */
export const TEST_ENTRY_LOCKOUT = 'TEST_ENTRY_LOCKOUT';

/**
 * A lockout without a flatten (like `trade-frequency` without `closeExcess`): the entry that takes
 * the day's entries over `maxEntries` locks the account until the reset; positions stay, so the
 * lockout guard alone decides what happens to the orders and fills that follow.
 */
export const testEntryLockoutRule: RuleDefinition<TestEntryLockoutOptions> =
  defineRule<TestEntryLockoutOptions>({
    id: 'test-entry-lockout',
    title: 'Entries per day (test rule)',
    description: 'Locks the account until the reset when the day has more than maxEntries entries.',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      required: ['maxEntries'],
      properties: {
        maxEntries: { type: 'integer', minimum: 0, description: 'Entries allowed per trading day.' },
      },
    },
    events: ['fill'],
    create(options) {
      return {
        evaluate(_event, ctx) {
          const dayStart = ctx.account.tradingDay.start;
          const entries = ctx.account.entries.filter((e) => e.at >= dayStart).length;
          if (entries <= options.maxEntries) return [];
          return [
            {
              action: 'none',
              lockout: { scope: { kind: 'account' }, end: { kind: 'reset' } },
              code: TEST_ENTRY_LOCKOUT,
              reason: `${entries} entries today, over the limit of ${options.maxEntries}`,
              data: { entries, maxEntries: options.maxEntries },
            },
          ];
        },
      };
    },
  });

/** The pack holding {@link testEntryLockoutRule}. */
export const ENTRY_LOCKOUT_PACK: RulePack = Object.freeze({
  name: '@riskd/test-entry-lockout',
  version: '0.0.0',
  apiVersion: RULE_API_VERSION,
  rules: [testEntryLockoutRule],
});
