import type { PresetDefinition, RuleEntryConfig } from '@riskd/core-engine';

/**
 * Micro contracts, weighted 0.1 in the Topstep presets' max-contracts (Topstep counts ten micros
 * as one mini: "5 contracts (50 micros)").
 */
export const TOPSTEP_MICRO_SYMBOLS: readonly string[] = [
  'MES',
  'MNQ',
  'M2K',
  'MYM',
  'MGC',
  'MCL',
  'MHG',
  'SIL',
  'MNG',
  'M6A',
  'M6B',
  'M6E',
  'MBT',
  'MET',
];

/** The firm's numbers per account size. */
export interface TopstepSize {
  readonly id: 'topstep-50k' | 'topstep-100k' | 'topstep-150k';
  readonly startingBalance: number;
  readonly maxLossLimit: number;
  readonly maxContracts: number;
}

export const TOPSTEP_SIZES: readonly TopstepSize[] = [
  { id: 'topstep-50k', startingBalance: 50_000, maxLossLimit: 2_000, maxContracts: 5 },
  { id: 'topstep-100k', startingBalance: 100_000, maxLossLimit: 3_000, maxContracts: 10 },
  { id: 'topstep-150k', startingBalance: 150_000, maxLossLimit: 4_500, maxContracts: 15 },
];

function topstepPreset(size: TopstepSize): PresetDefinition {
  const rules: RuleEntryConfig[] = [
    {
      rule: 'max-loss-limit',
      id: 'max-loss-limit',
      options: {
        drawdown: size.maxLossLimit,
        highWaterMark: size.startingBalance,
        stopAt: size.startingBalance,
        trail: 'end-of-day',
      },
    },
    {
      rule: 'max-contracts',
      id: 'max-contracts',
      options: {
        limit: size.maxContracts,
        count: 'gross',
        weights: Object.fromEntries(TOPSTEP_MICRO_SYMBOLS.map((s) => [s, 0.1])),
        action: 'reduce',
        countWorkingOrders: true,
      },
    },
    // The market calendar's sessions end at Topstep's flat deadline (15:10 CT, earlier on early
    // closes); the rule flattens two minutes before it, when Topstep's own risk desk starts.
    { rule: 'trading-session', id: 'trading-session', options: { flatBeforeCloseSeconds: 120 } },
  ];
  return {
    id: size.id,
    description: `Topstep ${size.startingBalance / 1000}K: maximum loss limit ${size.maxLossLimit} trailing the end-of-day balance high up to the starting balance ${size.startingBalance}; at most ${size.maxContracts} contracts (micros count 0.1); flat before 15:10 CT and before early closes. Set highWaterMark (and floor after a payout) to what Topstep shows.`,
    rules,
  };
}

/** The Topstep presets: `topstep-50k`, `topstep-100k`, `topstep-150k`. */
export const topstepPresets: readonly PresetDefinition[] = TOPSTEP_SIZES.map(topstepPreset);
