import path from 'node:path';
import type { RunningSimulator } from '@riskd/projectx-sim';
import { packageRoot } from '../service/service-spec.js';

/** Sessions open around the clock, every day: the demo runs at any hour, holidays included. */
export const ALWAYS_OPEN_SESSIONS = Object.fromEntries(
  ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, [{ start: '00:00', end: '00:00' }]]),
);

/** The two practice accounts of the simulator's built-in fixture. */
export const DEMO_ACCOUNTS = {
  /** `PRAC-V2-100001-50001`, balance 50,000: the Topstep 50K preset, daily loss 500. */
  small: 70001,
  /** `PRAC-V2-100001-150001`, balance 150,000: the Topstep 150K preset. */
  large: 70002,
} as const;

/**
 * The demo's config: the simulator as the broker (its demo login), a market calendar open around
 * the clock (so the demo works on weekends and holidays), and a realistic rule set: universal
 * daily loss limit, cooldown after a losing round trip and consecutive losses; each account on
 * its Topstep preset (maximum loss limit, max contracts with micros at 0.1, flat before the close).
 */
export function demoConfigDocument(
  sim: Pick<RunningSimulator, 'apiUrl' | 'userHubUrl' | 'marketHubUrl'>,
  options: { readonly dataDir: string; readonly port: number },
): Record<string, unknown> {
  const schema = path.relative(options.dataDir, path.join(packageRoot(), 'riskd.config.schema.json'));
  return {
    $schema: schema.split(path.sep).join('/'),
    broker: {
      userName: 'demo',
      apiKey: 'demo-api-key',
      apiUrl: sim.apiUrl,
      userHubUrl: sim.userHubUrl,
      marketHubUrl: sim.marketHubUrl,
    },
    tradingDay: {
      timezone: 'America/Chicago',
      resetTime: '17:00',
      sessions: ALWAYS_OPEN_SESSIONS,
      holidays: [],
    },
    includeFees: true,
    rulePacks: ['@riskd/rule-pack-standard'],
    rules: [
      { rule: 'daily-loss-limit', options: { limit: 500, basis: 'combined' }, warnAt: 0.8 },
      {
        rule: 'cooldown-after-loss',
        options: {
          tiers: [
            { loss: 100, cooldown: '5m' },
            { loss: 200, cooldown: '15m' },
            { loss: 300, cooldown: '30m' },
          ],
        },
      },
      { rule: 'consecutive-losses', options: { count: 3, cooldown: 'until-reset' } },
    ],
    accounts: [
      { id: DEMO_ACCOUNTS.small, preset: 'topstep-50k' },
      { id: DEMO_ACCOUNTS.large, preset: 'topstep-150k' },
    ],
    api: { port: options.port },
    logging: { level: 'info', verbose: false },
  };
}
