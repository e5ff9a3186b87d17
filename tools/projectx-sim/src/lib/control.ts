import type { TokenService } from './auth.js';
import { ControlError } from './errors.js';
import type { FaultController, FaultsSnapshot, RestFault, RestFaultSpec } from './faults.js';
import { parseFixture, type FixtureAccount, type FixtureContract, type FixtureUser } from './fixture.js';
import type { ConnectionInfo, DropSpec, HubServer } from './hub-server.js';
import type { MarketData, PriceUpdate } from './market-data.js';
import type { PathSpec, PriceFeed, ReplaySpec, WalkSettings } from './price-feed.js';
import type { RateLimiter, RateLimitSettings } from './rate-limiter.js';
import type { Recorder } from './recorder.js';
import type { ClockMode, ClockSnapshot, SimulatorClock } from './sim-clock.js';
import { wireAccount, type AccountPatch, type AccountState, type TradingEngine } from './trading-engine.js';
import { DEFAULT_VARIANTS, type Variants } from './variants.js';
import type {
  Envelope,
  WireAccount,
  WireContract,
  WireOrder,
  WirePosition,
  WireQuote,
  WireTrade,
} from './wire.js';

/** The parts of a running simulator the control handle drives. */
export interface SimulatorParts {
  clock: SimulatorClock;
  tokens: TokenService;
  engine: TradingEngine;
  market: MarketData;
  feed: PriceFeed;
  hub: HubServer;
  limiter: RateLimiter;
  faults: FaultController;
  recorder: Recorder;
  historyHours: number;
  variants: { current: Variants };
}

/** An account as the control API shows it (wire fields plus simulator settings). */
export interface ControlAccount extends WireAccount {
  userName: string;
  bracketMode: 'position' | 'autoOco';
  rejecting: boolean;
}

/** A contract as the control API shows it (ContractModel plus quote and market state). */
export interface ControlContract extends WireContract {
  feePerSide: number;
  walkTicks: number;
  marketOpen: boolean;
  frozen: boolean;
  quote: WireQuote;
}

/** Changes to a contract. */
export interface ContractPatch {
  activeContract?: boolean;
  feePerSide?: number;
  walkTicks?: number;
  /** False closes the market for this contract (orders answer OutsideTradingHours). */
  marketOpen?: boolean;
}

/** Variants plus the rate-limit switch, as `GET /control/variants` shows them. */
export type VariantsView = Variants & { rateLimit: boolean };

/** Everything at once (`GET /control/state`). */
export interface SimulatorState {
  clock: ClockSnapshot;
  users: { userName: string; userId: number; loginErrorCode: number | null }[];
  accounts: ControlAccount[];
  contracts: ControlContract[];
  orders: WireOrder[];
  positions: WirePosition[];
  trades: WireTrade[];
  variants: VariantsView;
  rateLimit: RateLimitSettings;
  walk: WalkSettings;
  paths: string[];
  replaying: string[];
  faults: FaultsSnapshot;
  connections: ConnectionInfo[];
  tokenLifetimeMs: number;
}

/** Clock changes: switch `mode`, jump to `now`, move by `advanceMs` (applied in that order). */
export interface ClockChange {
  now?: string | number;
  advanceMs?: number;
  mode?: ClockMode;
}

const VARIANT_CHECKS: { [K in keyof Variants]: (v: unknown) => boolean } = {
  wrappedUserEvents: (v) => typeof v === 'boolean',
  splitFills: (v) => v === null || (Number.isInteger(v) && (v as number) > 0),
  flipFill: (v) => v === 'split' || v === 'single',
  stopLimitPlaceable: (v) => typeof v === 'boolean',
  restrictCancelOnLiveAccounts: (v) => typeof v === 'boolean',
  validateExpiredToken: (v) => v === 'envelope' || v === 'http401',
  tickBars: (v) => typeof v === 'boolean',
  quoteSnapshotOnSubscribe: (v) => typeof v === 'boolean',
  initialOrderStatus: (v) => v === 1 || v === 6,
};

/** Validates a variants patch (unknown keys and bad values are rejected). */
export function checkVariants(patch: Record<string, unknown>): Partial<Variants> {
  for (const [key, value] of Object.entries(patch)) {
    const check = VARIANT_CHECKS[key as keyof Variants];
    if (!check) throw new ControlError('CONTROL_INVALID', `unknown variant ${key}`);
    if (!check(value))
      throw new ControlError('CONTROL_INVALID', `invalid value for variant ${key}: ${JSON.stringify(value)}`);
  }
  return patch as Partial<Variants>;
}

/**
 * The in-process control handle: the same operations as the HTTP control API under `/control`,
 * for tests and demos that run the simulator in-process.
 */
export class SimulatorControl {
  constructor(private readonly parts: SimulatorParts) {}

  // ---- state --------------------------------------------------------------------------------------

  state(): SimulatorState {
    const p = this.parts;
    const snapshot = p.engine.snapshot();
    return {
      clock: p.clock.snapshot(),
      users: p.engine.listUsers().map((u) => ({
        userName: u.userName,
        userId: u.userId ?? 0,
        loginErrorCode: u.loginErrorCode ?? null,
      })),
      accounts: p.engine.listAccounts().map(controlAccount),
      contracts: p.market.all().map((s) => this.contractView(s.contract.id)),
      ...snapshot,
      variants: this.variants(),
      rateLimit: p.limiter.current(),
      walk: p.feed.walkSettings(),
      paths: p.feed.activePaths(),
      replaying: p.feed.replaying(),
      faults: this.faults(),
      connections: p.hub.list(),
      tokenLifetimeMs: p.tokens.tokenLifetimeMs,
    };
  }

  // ---- users, accounts, contracts -------------------------------------------------------------------

  addUser(user: FixtureUser): { userName: string; userId: number } {
    parseFixture({ users: [user], accounts: [], contracts: [] });
    this.parts.engine.addUser(user);
    const added = this.parts.engine.findUser(user.userName) as FixtureUser;
    return { userName: added.userName, userId: added.userId ?? 0 };
  }

  addAccount(account: FixtureAccount): ControlAccount {
    const users = this.parts.engine.listUsers();
    parseFixture({ users, accounts: [account], contracts: [] });
    return controlAccount(this.parts.engine.addAccount(account, (users[0] as FixtureUser).userName));
  }

  /** Changes an account; balance / canTrade / visibility changes emit GatewayUserAccount. */
  updateAccount(id: number, patch: AccountPatch): ControlAccount {
    return controlAccount(this.parts.engine.updateAccount(id, patch));
  }

  /** Shorthand for `updateAccount(id, { canTrade })`. */
  setCanTrade(id: number, canTrade: boolean): ControlAccount {
    return this.updateAccount(id, { canTrade });
  }

  addContract(contract: FixtureContract): ControlContract {
    parseFixture({ users: [{ userName: 'x', apiKey: 'x' }], accounts: [], contracts: [contract] });
    this.parts.market.addContract(contract, this.parts.historyHours);
    return this.contractView(contract.id);
  }

  updateContract(id: string, patch: ContractPatch): ControlContract {
    const state = this.parts.market.require(id);
    if (patch.activeContract !== undefined) state.contract.activeContract = patch.activeContract;
    if (patch.feePerSide !== undefined) {
      if (!(patch.feePerSide >= 0)) throw new ControlError('CONTROL_INVALID', 'feePerSide must be >= 0');
      state.feePerSide = patch.feePerSide;
    }
    if (patch.walkTicks !== undefined) state.walkTicks = patch.walkTicks;
    if (patch.marketOpen !== undefined) state.marketOpen = patch.marketOpen;
    return this.contractView(id);
  }

  contractView(id: string): ControlContract {
    const s = this.parts.market.require(id);
    return {
      ...s.contract,
      feePerSide: s.feePerSide,
      walkTicks: s.walkTicks,
      marketOpen: s.marketOpen,
      frozen: s.frozen,
      quote: this.parts.market.quote(s),
    };
  }

  // ---- prices ---------------------------------------------------------------------------------------

  /** Sets bid / ask / last (a `last` is a print); matching runs and quotes go out. */
  setPrice(contractId: string, update: PriceUpdate): WireQuote {
    this.parts.market.apply(contractId, update);
    return this.quote(contractId);
  }

  quote(contractId: string): WireQuote {
    return this.parts.market.quote(this.parts.market.require(contractId));
  }

  runPath(contractId: string, spec: PathSpec): void {
    this.parts.feed.runPath(contractId, spec);
  }

  stopPath(contractId: string): boolean {
    return this.parts.feed.stopPath(contractId);
  }

  walk(): WalkSettings {
    return this.parts.feed.walkSettings();
  }

  setWalk(patch: Partial<WalkSettings>): WalkSettings {
    return this.parts.feed.setWalk(patch);
  }

  /** Steps the random walk synchronously (deterministic for a seed). */
  stepWalk(options: { contractId?: string; steps?: number } = {}): void {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1)
      throw new ControlError('CONTROL_INVALID', 'steps must be >= 1');
    this.parts.feed.step(options.contractId, steps);
  }

  replay(spec: ReplaySpec): { records: number; contracts: string[]; durationMs: number } {
    return this.parts.feed.replay(spec);
  }

  stopReplay(): boolean {
    return this.parts.feed.stopReplay();
  }

  /** Pushes `count` quote updates as fast as possible (the benchmark's quote source). */
  burst(contractId: string, count: number, batch?: number): Promise<{ count: number; ms: number }> {
    if (!Number.isInteger(count) || count < 1)
      throw new ControlError('CONTROL_INVALID', 'count must be >= 1');
    return this.parts.feed.burst(contractId, count, batch);
  }

  /** Opens or closes the market (one contract, or all). */
  setMarketOpen(open: boolean, contractId?: string): ControlContract[] {
    const states =
      contractId === undefined ? this.parts.market.all() : [this.parts.market.require(contractId)];
    for (const s of states) s.marketOpen = open;
    return states.map((s) => this.contractView(s.contract.id));
  }

  // ---- trading ------------------------------------------------------------------------------------

  /** Places an order as the trader would (same rules as Order/place, no token or rate limit). */
  placeOrder(request: Record<string, unknown>): Envelope & { orderId: number | null } {
    const r = this.parts.engine.placeOrder(null, request);
    return {
      orderId: r.orderId,
      success: r.errorCode === 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
    };
  }

  // ---- clock and tokens -----------------------------------------------------------------------------

  clock(): ClockSnapshot {
    return this.parts.clock.snapshot();
  }

  setClock(change: ClockChange): ClockSnapshot {
    // Mode first, so that `{ now, mode: 'manual' }` freezes exactly at `now`.
    if (change.mode !== undefined) this.parts.clock.setMode(change.mode);
    if (change.now !== undefined) this.parts.clock.set(change.now);
    if (change.advanceMs !== undefined) this.parts.clock.advance(change.advanceMs);
    return this.clock();
  }

  /** Expires one token, or every token, now. Optionally drops the hub connections too. */
  expireTokens(options: { token?: string; dropConnections?: boolean } = {}): { expired: number } {
    const expired = this.parts.tokens.expireNow(options.token);
    if (
      options.token !== undefined &&
      expired === 0 &&
      this.parts.tokens.lookup(options.token).status === 'unknown'
    ) {
      throw new ControlError('NOT_FOUND', 'no such token');
    }
    if (options.dropConnections) this.parts.hub.drop({ hub: 'all' });
    return { expired };
  }

  /** Lifetime of tokens issued from now on. */
  setTokenLifetime(lifetimeMs: number): { tokenLifetimeMs: number } {
    if (!Number.isFinite(lifetimeMs) || lifetimeMs < 1)
      throw new ControlError('CONTROL_INVALID', 'lifetimeMs must be >= 1');
    this.parts.tokens.setLifetime(lifetimeMs);
    return { tokenLifetimeMs: lifetimeMs };
  }

  sessions(): {
    userName: string;
    jti: string;
    token: string;
    issuedAt: string;
    expiresAt: string;
    loggedOut: boolean;
  }[] {
    return this.parts.tokens.list().map((s) => ({
      userName: s.userName,
      jti: s.jti,
      token: s.token,
      issuedAt: new Date(s.issuedAtMs).toISOString(),
      expiresAt: new Date(s.expiresAtMs).toISOString(),
      loggedOut: s.loggedOut,
    }));
  }

  // ---- variants and rate limit ----------------------------------------------------------------------

  variants(): VariantsView {
    return { ...this.parts.variants.current, rateLimit: this.parts.limiter.current().enabled };
  }

  setVariants(patch: Partial<VariantsView>): VariantsView {
    const { rateLimit, ...rest } = patch;
    if (rateLimit !== undefined && typeof rateLimit !== 'boolean') {
      throw new ControlError('CONTROL_INVALID', 'rateLimit must be a boolean');
    }
    const checked = checkVariants(rest as Record<string, unknown>);
    this.parts.variants.current = { ...this.parts.variants.current, ...checked };
    if (rateLimit !== undefined) this.parts.limiter.configure({ enabled: rateLimit });
    return this.variants();
  }

  resetVariants(): VariantsView {
    this.parts.variants.current = { ...DEFAULT_VARIANTS };
    return this.variants();
  }

  rateLimit(): RateLimitSettings {
    return this.parts.limiter.current();
  }

  /** Changes the limits; `reset: true` forgets the requests counted so far. */
  setRateLimit(patch: Partial<RateLimitSettings> & { reset?: boolean }): RateLimitSettings {
    const { reset, ...settings } = patch;
    for (const rule of [settings.general, settings.bars]) {
      if (
        rule &&
        ((rule.limit !== undefined && !(rule.limit >= 1)) ||
          (rule.windowMs !== undefined && !(rule.windowMs >= 1)))
      ) {
        throw new ControlError('CONTROL_INVALID', 'limit and windowMs must be >= 1');
      }
    }
    this.parts.limiter.configure(settings);
    if (reset) this.parts.limiter.reset();
    return this.rateLimit();
  }

  // ---- faults -------------------------------------------------------------------------------------

  faults(): FaultsSnapshot {
    return this.parts.faults.snapshot(
      this.parts.market
        .all()
        .filter((s) => s.frozen)
        .map((s) => s.contract.id),
    );
  }

  /** Delay or fail REST calls, hold them, drop their responses, or force an errorCode. */
  addRestFault(spec: RestFaultSpec): RestFault {
    return this.parts.faults.addRest(spec);
  }

  /** The next `count` closeContract / partialCloseContract calls answer OrderRejected. */
  rejectNextCloses(count: number): { rejectCloses: number } {
    if (!Number.isInteger(count) || count < 0)
      throw new ControlError('CONTROL_INVALID', 'count must be >= 0');
    this.parts.faults.rejectCloses = count;
    return { rejectCloses: count };
  }

  dropConnections(spec: DropSpec = {}): { dropped: number } {
    return { dropped: this.parts.hub.drop(spec) };
  }

  /** Sends the next `count` hub events (optionally of one name) twice. */
  duplicateEvents(options: { target?: string | null; count?: number } = {}): FaultsSnapshot {
    this.parts.faults.addDuplicate(options.target ?? null, positiveCount(options.count));
    return this.faults();
  }

  /** Holds each of the next `count` hub events (optionally of one name) behind the following one. */
  reorderEvents(options: { target?: string | null; count?: number } = {}): FaultsSnapshot {
    this.parts.faults.addReorder(options.target ?? null, positiveCount(options.count));
    return this.faults();
  }

  /** Freezes (or thaws) a contract's market-hub stream; prices keep moving underneath. */
  freezeQuotes(contractId: string, frozen = true): ControlContract {
    this.parts.market.require(contractId).frozen = frozen;
    return this.contractView(contractId);
  }

  /** Removes every fault and thaws every stream. */
  clearFaults(): FaultsSnapshot {
    this.parts.faults.clear();
    for (const s of this.parts.market.all()) s.frozen = false;
    return this.faults();
  }

  connections(): ConnectionInfo[] {
    return this.parts.hub.list();
  }
}

function positiveCount(count: number | undefined): number {
  const n = count ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new ControlError('CONTROL_INVALID', 'count must be >= 1');
  return n;
}

function controlAccount(a: AccountState): ControlAccount {
  return { ...wireAccount(a), userName: a.userName, bracketMode: a.bracketMode, rejecting: a.rejecting };
}
