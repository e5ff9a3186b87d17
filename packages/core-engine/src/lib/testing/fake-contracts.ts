import type { Contract, Micros } from '../domain/types.js';

/**
 * Contracts of the four equity-index futures traders on TopstepX use most, with the broker's tick
 * economics (PROJECTX-GATEWAY.md section 8). Ids follow the broker's grammar, including its id
 * roots that differ from the symbol (`ENQ` for NQ, `EP` for ES).
 */
export const FAKE_CONTRACTS = {
  MNQ: {
    id: 'CON.F.US.MNQ.Z25',
    name: 'MNQZ5',
    description: 'Micro E-mini Nasdaq-100: December 2025',
    tickSize: 0.25,
    tickValue: 500_000,
    symbol: 'MNQ',
    symbolId: 'F.US.MNQ',
    active: true,
  },
  NQ: {
    id: 'CON.F.US.ENQ.Z25',
    name: 'NQZ5',
    description: 'E-mini Nasdaq-100: December 2025',
    tickSize: 0.25,
    tickValue: 5_000_000,
    symbol: 'NQ',
    symbolId: 'F.US.ENQ',
    active: true,
  },
  ES: {
    id: 'CON.F.US.EP.Z25',
    name: 'ESZ5',
    description: 'E-mini S&P 500: December 2025',
    tickSize: 0.25,
    tickValue: 12_500_000,
    symbol: 'ES',
    symbolId: 'F.US.EP',
    active: true,
  },
  MES: {
    id: 'CON.F.US.MES.Z25',
    name: 'MESZ5',
    description: 'Micro E-mini S&P 500: December 2025',
    tickSize: 0.25,
    tickValue: 1_250_000,
    symbol: 'MES',
    symbolId: 'F.US.MES',
    active: true,
  },
} as const satisfies Readonly<Record<string, Contract>>;

/**
 * Fees per contract per side (per fill contract), by symbol, in micro-dollars: TopstepX's round-turn
 * 2.80 for ES/NQ and 0.74 for MES/MNQ, split evenly across the two sides.
 */
export const DEFAULT_FAKE_FEES: Readonly<Record<string, Micros>> = {
  ES: 1_400_000,
  NQ: 1_400_000,
  MES: 370_000,
  MNQ: 370_000,
};
