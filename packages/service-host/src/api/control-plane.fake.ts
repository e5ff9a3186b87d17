import { createHash, timingSafeEqual } from 'node:crypto';
import { formatMoney, toMicros, type Clock } from '@riskd/core-engine';
import type {
  AccountDetail,
  AccountEntryWire,
  AccountFilterQuery,
  AccountId,
  AccountsConfigResponse,
  AccountsResponse,
  AccountSummary,
  AuditQuery,
  AuditRecordWire,
  AuditResponse,
  BrokerCredentialsRequest,
  BrokerCredentialsResponse,
  ClearLockoutResponse,
  ClockRequest,
  ClockResponse,
  ConfigChangeResponse,
  ConfigChangeWire,
  CredentialState,
  DaemonEvent,
  EnforcementsQuery,
  EnforcementsResponse,
  EnforcementWire,
  HealthResponse,
  LockoutsResponse,
  LockoutWire,
  LogLevel,
  LogLineWire,
  LogsQuery,
  LogsResponse,
  NotificationPreferencesWire,
  Page,
  PnlPoint,
  PnlQuery,
  PnlSeriesResponse,
  Problem,
  PutAccountsConfigRequest,
  PutRulesConfigRequest,
  RestartRequest,
  RestartResponse,
  Role,
  RuleEntryWire,
  RulesConfigResponse,
  RulesInForceResponse,
  RuleTimerWire,
  SelfLockoutRequest,
  SelfLockoutResponse,
  StatusResponse,
  StopRequest,
  StopResponse,
  TradingDayWire,
  WorkSessionWire,
} from '@riskd/api-client';
import { ControlPlaneError, type Actor, type ControlPlane } from './control-plane.js';

/** Rule ids the fake's config validation knows (a small catalog, like a loaded rule pack). */
export const FAKE_RULE_IDS: readonly string[] = Object.freeze([
  'daily-loss-limit',
  'max-contracts',
  'cooldown-after-loss',
  'trading-hours',
]);
/** Channels the fake's notification validation knows. */
export const FAKE_CHANNELS: readonly string[] = Object.freeze(['discord', 'telegram']);
/** The exit status a stop reports (the daemon's own is 78, `EX_CONFIG`). */
export const FAKE_STOP_EXIT_CODE = 78;
/** The fake's trading-day reset: 22:00 UTC (17:00 America/Chicago in summer time). */
const RESET_HOUR_UTC = 22;
const LEVEL_ORDER: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Something a caller did through a control-plane method, as the fake records it. */
export interface FakeCall {
  readonly method: string;
  readonly actor: Actor | null;
  readonly input: unknown;
}

function digest(password: string): Buffer {
  return createHash('sha256').update(password).digest();
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function money(dollars: number): string {
  return formatMoney(toMicros(dollars));
}

/** Offsets in a cursor the fake issued: `o:<n>`. */
function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^o:(\d+)$/.exec(cursor);
  if (!match)
    throw new ControlPlaneError('INVALID', 'unknown cursor', [
      { path: 'query.cursor', message: 'was not issued by this daemon' },
    ]);
  return Number(match[1]);
}

function page<T>(items: readonly T[], cursor: string | undefined, limit: number | undefined): Page<T> {
  const offset = parseCursor(cursor);
  const size = limit ?? 100;
  const slice = items.slice(offset, offset + size);
  return { items: slice, nextCursor: offset + size < items.length ? `o:${offset + size}` : null };
}

function within(at: string, from: string | undefined, to: string | undefined): boolean {
  const t = Date.parse(at);
  return (from === undefined || t >= Date.parse(from)) && (to === undefined || t <= Date.parse(to));
}

/**
 * An in-memory {@link ControlPlane} for the API's tests and the dashboards' development: two
 * practice accounts with a position, validation of rule and account config with problems and
 * paths, the change discipline (a higher number in options, a removed or disabled rule is a
 * loosening that waits for the reset unless forced), self-lockouts, clears, a clock-in journal,
 * paged enforcement and audit logs, live events, passwords (compared as SHA-256 digests in
 * constant time), and every call recorded with its actor. Time comes from the Clock.
 */
export class FakeControlPlane implements ControlPlane {
  readonly calls: FakeCall[] = [];
  readonly startedAt: number;
  phase: StatusResponse['phase'] = 'running';
  private readonly listeners = new Set<(event: DaemonEvent) => void>();
  private readonly passwords = new Map<Role, Buffer | 'none'>();
  private readonly accountsById = new Map<AccountId, AccountDetail>();
  private readonly pnlPoints = new Map<AccountId, PnlPoint[]>();
  private readonly lockoutsById = new Map<string, LockoutWire>();
  private readonly timers: RuleTimerWire[] = [];
  private readonly sessions: WorkSessionWire[] = [];
  private enforcementLog: EnforcementWire[] = [];
  private auditLog: AuditRecordWire[] = [];
  private logLines: LogLineWire[] = [];
  private notifications: NotificationPreferencesWire = { kinds: 'all', channels: [], quietHours: null };
  private rulesConfig: RuleEntryWire[] = [{ rule: 'daily-loss-limit', options: { limit: 500 } }];
  private accountsConfig: AccountEntryWire[] = [{ id: 101, preset: 'topstep-50k' }];
  private revision = 1;
  private brokerUser = 'trader@example.com';
  private brokerKey: string | undefined;
  private readonly failures = new Map<string, Error>();

  constructor(private readonly clock: Clock) {
    this.startedAt = clock.now();
    for (const [id, name] of [
      [101, 'PRAC-101'],
      [102, 'PRAC-102'],
    ] as const) {
      this.accountsById.set(id, this.seedAccount(id, name));
      this.pnlPoints.set(id, []);
    }
    this.addAudit({ kind: 'system', code: 'STARTED', reason: 'riskd started' });
    this.addLog('info', 'riskd ready', 'daemon');
  }

  // Test helpers --------------------------------------------------------------------------------

  /** Sets (or with undefined, removes) the password of a role; `none` only for the trader. */
  setPassword(role: Role, password: string | undefined): void {
    if (password === undefined) this.passwords.delete(role);
    else this.passwords.set(role, digest(password));
  }

  /** The admin chose no trader credential: trader routes accept local callers without a token. */
  setTraderCredentialNone(): void {
    this.passwords.set('trader', 'none');
  }

  /** Makes the next call of `method` throw `error` (e.g. an unexpected failure, to test 500s). */
  failNext(method: keyof ControlPlane, error: Error): void {
    this.failures.set(method, error);
  }

  /** Publishes a live event to every subscriber. */
  emit(event: DaemonEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Adds a P&L point to an account's series. */
  addPnlPoint(accountId: AccountId, point: PnlPoint): void {
    this.pnlPoints.get(accountId)?.push(point);
  }

  addLockout(lockout: LockoutWire): void {
    this.lockoutsById.set(lockout.id, lockout);
    this.refreshAccount(lockout.accountId);
  }

  addTimer(timer: RuleTimerWire): void {
    this.timers.push(timer);
  }

  /** Adds an enforcement (newest first in the log) and publishes it. */
  addEnforcement(enforcement: EnforcementWire): void {
    this.enforcementLog = [enforcement, ...this.enforcementLog];
    this.emit({ type: 'enforcement', enforcement });
  }

  /** Appends an audit row (seq and hash filled in). */
  addAudit(row: Partial<AuditRecordWire> & { kind: string }): AuditRecordWire {
    const seq = this.auditLog.length + 1;
    const record: AuditRecordWire = {
      seq,
      at: iso(this.clock.now()),
      accountId: null,
      contractId: null,
      ruleId: null,
      instanceId: null,
      code: null,
      reason: null,
      mode: null,
      idempotencyKey: null,
      event: null,
      timings: null,
      data: null,
      ...row,
      hash: createHash('sha256')
        .update(`${seq}:${JSON.stringify(row)}`)
        .digest('hex'),
    };
    this.auditLog.push(record);
    return record;
  }

  addLog(
    level: LogLevel,
    msg: string,
    component: string | null = null,
    fields: Record<string, unknown> = {},
  ): void {
    this.logLines.push({ time: iso(this.clock.now()), level, component, msg, fields });
  }

  /** The broker API key last stored (tests check it was received; the API never returns it). */
  get storedBrokerKey(): string | undefined {
    return this.brokerKey;
  }

  // ControlPlane --------------------------------------------------------------------------------

  async health(): Promise<HealthResponse> {
    this.call('health', null, undefined);
    const status = this.phase === 'running' ? 'ok' : this.phase;
    return { status, ready: this.phase === 'running', now: iso(this.clock.now()) };
  }

  async status(): Promise<StatusResponse> {
    this.call('status', null, undefined);
    const accounts = [...this.accountsById.values()];
    return {
      version: '0.1.0-fake',
      startedAt: iso(this.startedAt),
      now: iso(this.clock.now()),
      phase: this.phase,
      ready: this.phase === 'running',
      broker: { provider: 'topstepx', state: 'connected', since: iso(this.startedAt) },
      tradingDay: this.tradingDay(),
      lastResetAt: iso(this.previousReset()),
      market: { open: true, nextChangeAt: null },
      config: { revision: this.revision, loadedAt: iso(this.startedAt), failsafe: false, problems: [] },
      counts: {
        accounts: accounts.length,
        protectedAccounts: accounts.filter((a) => a.protected).length,
        openPositions: accounts.reduce((n, a) => n + a.positions.length, 0),
        lockouts: this.lockoutsById.size,
      },
      auth: { admin: await this.credentialState('admin'), trader: await this.credentialState('trader') },
    };
  }

  async accounts(): Promise<AccountsResponse> {
    this.call('accounts', null, undefined);
    return { accounts: [...this.accountsById.values()].map((a) => this.summary(a)) };
  }

  async account(id: AccountId): Promise<AccountDetail> {
    this.call('account', null, id);
    return this.detail(id);
  }

  async pnlSeries(id: AccountId, query: PnlQuery): Promise<PnlSeriesResponse> {
    this.call('pnlSeries', null, query);
    this.detail(id);
    const day = this.tradingDay();
    const from = query.from ?? day.start;
    const points = (this.pnlPoints.get(id) ?? []).filter((p) => within(p.at, from, query.to));
    const max = query.maxPoints ?? 500;
    const step = Math.max(1, Math.ceil(points.length / max));
    return { accountId: id, tradingDay: day, points: points.filter((_, i) => i % step === 0).slice(0, max) };
  }

  async rules(query: AccountFilterQuery): Promise<RulesInForceResponse> {
    this.call('rules', null, query);
    const accounts = [...this.accountsById.values()].filter(
      (a) => query.accountId === undefined || a.id === query.accountId,
    );
    return {
      accounts: accounts.map((a) => {
        const index = this.accountsConfig.findIndex((e) => e.id === a.id);
        return {
          accountId: a.id,
          name: a.name,
          protected: a.protected,
          source: index >= 0 ? `accounts[${index}]` : null,
          preset: this.accountsConfig[index]?.preset ?? null,
          rules: this.rulesConfig
            .filter((r) => r.enabled !== false)
            .map((r, i) => ({
              ruleId: r.rule,
              instanceId: r.id ?? r.rule,
              title: null,
              mode: r.mode ?? 'enforce',
              warnAt: r.warnAt ?? null,
              options: { ...(r.options ?? {}) },
              source: `rules[${i}]`,
            })),
          pending: [],
        };
      }),
    };
  }

  async lockouts(query: AccountFilterQuery): Promise<LockoutsResponse> {
    this.call('lockouts', null, query);
    this.expireLockouts();
    const match = (accountId: AccountId): boolean =>
      query.accountId === undefined || accountId === query.accountId;
    return {
      now: iso(this.clock.now()),
      lockouts: [...this.lockoutsById.values()].filter((l) => match(l.accountId)),
      timers: this.timers.filter((t) => match(t.accountId)),
    };
  }

  async enforcements(query: EnforcementsQuery): Promise<EnforcementsResponse> {
    this.call('enforcements', null, query);
    const items = this.enforcementLog.filter(
      (e) =>
        (query.accountId === undefined || e.accountId === query.accountId) &&
        (query.code === undefined || e.code === query.code) &&
        within(e.at, query.from, query.to),
    );
    return page(items, query.cursor, query.limit);
  }

  async audit(query: AuditQuery): Promise<AuditResponse> {
    this.call('audit', null, query);
    const rows = this.auditLog.filter(
      (r) =>
        (query.accountId === undefined || r.accountId === query.accountId) &&
        (query.kind === undefined || r.kind === query.kind) &&
        (query.ruleId === undefined || r.ruleId === query.ruleId) &&
        (query.code === undefined || r.code === query.code) &&
        within(r.at, query.from, query.to),
    );
    return page(query.order === 'asc' ? rows : [...rows].reverse(), query.cursor, query.limit);
  }

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  async clockIn(input: ClockRequest, actor: Actor): Promise<ClockResponse> {
    this.call('clockIn', actor, input);
    const open = this.sessions.find((s) => s.clockedOutAt === null);
    if (open) throw new ControlPlaneError('CONFLICT', `already clocked in since ${open.clockedInAt}`);
    const session: WorkSessionWire = {
      id: `s${this.sessions.length + 1}`,
      clockedInAt: iso(this.clock.now()),
      clockedOutAt: null,
      noteIn: input.note ?? null,
      noteOut: null,
    };
    this.sessions.push(session);
    return { session };
  }

  async clockOut(input: ClockRequest, actor: Actor): Promise<ClockResponse> {
    this.call('clockOut', actor, input);
    const index = this.sessions.findIndex((s) => s.clockedOutAt === null);
    if (index < 0) throw new ControlPlaneError('CONFLICT', 'not clocked in');
    const session = {
      ...this.sessions[index]!,
      clockedOutAt: iso(this.clock.now()),
      noteOut: input.note ?? null,
    };
    this.sessions[index] = session;
    return { session };
  }

  async getNotifications(): Promise<NotificationPreferencesWire> {
    this.call('getNotifications', null, undefined);
    return this.notifications;
  }

  async setNotifications(
    preferences: NotificationPreferencesWire,
    actor: Actor,
  ): Promise<NotificationPreferencesWire> {
    this.call('setNotifications', actor, preferences);
    const problems: Problem[] = [];
    preferences.channels.forEach((c, i) => {
      if (!FAKE_CHANNELS.includes(c))
        problems.push({ path: `body.channels[${i}]`, message: `unknown channel "${c}"` });
    });
    if (problems.length > 0)
      throw new ControlPlaneError('INVALID', 'invalid notification preferences', problems);
    this.notifications = preferences;
    return preferences;
  }

  async selfLockout(input: SelfLockoutRequest, actor: Actor): Promise<SelfLockoutResponse> {
    this.call('selfLockout', actor, input);
    const now = this.clock.now();
    const until = input.until === 'reset' ? this.nextReset() : Date.parse(input.until);
    if (until <= now) {
      throw new ControlPlaneError('INVALID', 'the lockout must end in the future', [
        { path: 'body.until', message: 'must be in the future' },
      ]);
    }
    const targets =
      input.accountId === undefined
        ? [...this.accountsById.values()].filter((a) => a.protected).map((a) => a.id)
        : [input.accountId];
    for (const id of targets)
      if (!this.accountsById.has(id)) throw new ControlPlaneError('NOT_FOUND', `no account ${id}`);
    const lockouts = targets.map((accountId): LockoutWire => {
      const existing = this.lockoutsById.get(`${accountId}:account`);
      // One lockout per scope, the latest end wins: a self-lockout never shortens one in force.
      const endsAt = existing?.endsAt && Date.parse(existing.endsAt) > until ? existing.endsAt : iso(until);
      return {
        id: `${accountId}:account`,
        accountId,
        scope: 'account',
        symbol: null,
        ruleId: 'self-lockout',
        instanceId: 'self-lockout',
        code: 'SELF_LOCKOUT',
        reason: input.reason ?? `trader locked the account until ${iso(until)}`,
        startedAt: iso(now),
        endsAt,
        endCondition: null,
      };
    });
    for (const lockout of lockouts) {
      this.addLockout(lockout);
      this.addAudit({
        kind: 'lockout-started',
        accountId: lockout.accountId,
        code: lockout.code,
        reason: lockout.reason,
      });
      this.emit({ type: 'lockout', change: 'started', lockout });
    }
    return { lockouts };
  }

  async getRulesConfig(): Promise<RulesConfigResponse> {
    this.call('getRulesConfig', null, undefined);
    return { revision: this.revision, rules: this.rulesConfig };
  }

  async putRulesConfig(input: PutRulesConfigRequest, actor: Actor): Promise<ConfigChangeResponse> {
    this.call('putRulesConfig', actor, input);
    this.checkRevision(input.expectedRevision);
    const problems = this.ruleProblems(input.rules, 'body.rules');
    if (problems.length > 0) throw new ControlPlaneError('INVALID', 'invalid rules config', problems);
    const changes = this.diffRules(this.rulesConfig, input.rules, 'rules', input.force === true);
    this.rulesConfig = input.rules.map((r) => ({ ...r }));
    return this.commit(changes, actor, input.reason);
  }

  async getAccountsConfig(): Promise<AccountsConfigResponse> {
    this.call('getAccountsConfig', null, undefined);
    return { revision: this.revision, accounts: this.accountsConfig };
  }

  async putAccountsConfig(input: PutAccountsConfigRequest, actor: Actor): Promise<ConfigChangeResponse> {
    this.call('putAccountsConfig', actor, input);
    this.checkRevision(input.expectedRevision);
    const problems: Problem[] = [];
    input.accounts.forEach((entry, i) => {
      if (entry.id === undefined && entry.name === undefined) {
        problems.push({ path: `body.accounts[${i}]`, message: 'needs an id or a name' });
      }
      problems.push(...this.ruleProblems(entry.rules ?? [], `body.accounts[${i}].rules`));
    });
    if (problems.length > 0) throw new ControlPlaneError('INVALID', 'invalid accounts config', problems);
    const changes: ConfigChangeWire[] = [];
    input.accounts.forEach((entry, i) => {
      const before = this.accountsConfig.find((e) =>
        entry.id !== undefined ? e.id === entry.id : e.name === entry.name,
      );
      changes.push(
        ...this.diffRules(
          before?.rules ?? [],
          entry.rules ?? [],
          `accounts[${i}].rules`,
          input.force === true,
        ),
      );
      if (before?.enabled !== false && entry.enabled === false) {
        changes.push(
          this.change(
            `accounts[${i}].enabled`,
            'account no longer protected',
            'looser',
            input.force === true,
          ),
        );
      }
    });
    this.accountsConfig = input.accounts.map((a) => ({ ...a }));
    return this.commit(changes, actor, input.reason);
  }

  async setBrokerCredentials(
    input: BrokerCredentialsRequest,
    actor: Actor,
  ): Promise<BrokerCredentialsResponse> {
    this.call('setBrokerCredentials', actor, { userName: input.userName, apiKey: '[redacted]' });
    this.brokerUser = input.userName;
    this.brokerKey = input.apiKey;
    return { userName: this.brokerUser, apiKeyStored: true, reconnecting: true };
  }

  async clearLockout(id: string, reason: string, actor: Actor): Promise<ClearLockoutResponse> {
    this.call('clearLockout', actor, { id, reason });
    const lockout = this.lockoutsById.get(id);
    if (!lockout) throw new ControlPlaneError('NOT_FOUND', `no lockout ${id}`);
    this.lockoutsById.delete(id);
    this.refreshAccount(lockout.accountId);
    this.addAudit({ kind: 'lockout-ended', accountId: lockout.accountId, code: 'ADMIN_CLEAR', reason });
    this.emit({ type: 'lockout', change: 'cleared', lockout });
    return { lockout, clearedAt: iso(this.clock.now()) };
  }

  async stop(input: StopRequest, actor: Actor): Promise<StopResponse> {
    this.call('stop', actor, input);
    if (this.phase === 'stopping')
      throw new ControlPlaneError('CONFLICT', 'a stop or restart is already under way');
    this.phase = 'stopping';
    const protectedIds = [...this.accountsById.values()].filter((a) => a.protected).map((a) => a.id);
    this.addAudit({ kind: 'system', code: 'ADMIN_STOP', reason: input.reason });
    return {
      accepted: true,
      exitCode: FAKE_STOP_EXIT_CODE,
      flattened: input.flatten ? protectedIds : [],
      locked: input.lock ? protectedIds : [],
      stoppingAt: iso(this.clock.now()),
    };
  }

  async restart(input: RestartRequest, actor: Actor): Promise<RestartResponse> {
    this.call('restart', actor, input);
    if (this.phase === 'stopping')
      throw new ControlPlaneError('CONFLICT', 'a stop or restart is already under way');
    this.phase = 'stopping';
    this.addAudit({ kind: 'system', code: 'ADMIN_RESTART', reason: input.reason });
    return { accepted: true, restartingAt: iso(this.clock.now()) };
  }

  async logs(query: LogsQuery): Promise<LogsResponse> {
    this.call('logs', null, query);
    const min = LEVEL_ORDER.indexOf(query.level ?? 'info');
    const lines = this.logLines.filter(
      (l) =>
        LEVEL_ORDER.indexOf(l.level) >= min &&
        (query.component === undefined || l.component === query.component) &&
        (query.since === undefined || Date.parse(l.time) >= Date.parse(query.since)),
    );
    return { lines: lines.slice(-(query.limit ?? 200)) };
  }

  async metrics(): Promise<string> {
    this.call('metrics', null, undefined);
    return [
      '# HELP riskd_events_total Broker events handled.',
      '# TYPE riskd_events_total counter',
      'riskd_events_total 0',
      '# HELP riskd_broker_connected Broker connection state (1 connected).',
      '# TYPE riskd_broker_connected gauge',
      'riskd_broker_connected 1',
    ].join('\n');
  }

  async credentialState(role: Role): Promise<CredentialState> {
    const stored = this.passwords.get(role);
    if (stored === undefined) return 'unset';
    return stored === 'none' ? 'none' : 'set';
  }

  async verifyPassword(role: Role, password: string): Promise<boolean> {
    this.call('verifyPassword', null, role);
    const stored = this.passwords.get(role);
    if (stored === undefined || stored === 'none') return false;
    return timingSafeEqual(stored, digest(password));
  }

  // Internals -----------------------------------------------------------------------------------

  private call(method: string, actor: Actor | null, input: unknown): void {
    this.calls.push({ method, actor, input });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private seedAccount(id: AccountId, name: string): AccountDetail {
    const now = this.clock.now();
    return {
      id,
      name,
      protected: true,
      alertOnly: false,
      canTrade: true,
      simulated: true,
      balance: money(50_000),
      equity: money(50_000 - 12.5),
      balanceAtReset: money(50_000),
      pnl: {
        realized: money(0),
        unrealized: money(-12.5),
        combined: money(-12.5),
        fees: money(0),
        peakRealized: money(0),
        peakCombined: money(0),
        stale: false,
      },
      openPositions: 1,
      workingOrders: 0,
      locked: false,
      lockoutIds: [],
      tradingDay: this.tradingDay(),
      positions: [
        {
          contractId: 'CON.F.US.MNQ.Z25',
          contractName: 'MNQZ5',
          symbol: 'MNQ',
          side: 'long',
          size: 1,
          averagePrice: 21000.25,
          basisPrice: 21000.25,
          mark: 20994,
          markStale: false,
          carried: false,
          openedAt: iso(now - 60_000),
          lastQuoteAt: iso(now),
          unrealized: money(-12.5),
        },
      ],
      orders: [],
      lockouts: [],
      roundTrips: [],
    };
  }

  private detail(id: AccountId): AccountDetail {
    const account = this.accountsById.get(id);
    if (!account) throw new ControlPlaneError('NOT_FOUND', `no account ${id}`);
    return account;
  }

  private summary(account: AccountDetail): AccountSummary {
    const { tradingDay: _d, positions: _p, orders: _o, lockouts: _l, roundTrips: _r, ...summary } = account;
    return summary;
  }

  private refreshAccount(accountId: AccountId): void {
    const account = this.accountsById.get(accountId);
    if (!account) return;
    const lockouts = [...this.lockoutsById.values()].filter((l) => l.accountId === accountId);
    const updated = {
      ...account,
      lockouts,
      lockoutIds: lockouts.map((l) => l.id),
      locked: lockouts.length > 0,
    };
    this.accountsById.set(accountId, updated);
  }

  private expireLockouts(): void {
    for (const lockout of [...this.lockoutsById.values()]) {
      if (lockout.endsAt !== null && Date.parse(lockout.endsAt) <= this.clock.now()) {
        this.lockoutsById.delete(lockout.id);
        this.refreshAccount(lockout.accountId);
      }
    }
  }

  private previousReset(): number {
    const now = this.clock.now();
    const d = new Date(now);
    const today = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), RESET_HOUR_UTC);
    return today <= now ? today : today - 86_400_000;
  }

  private nextReset(): number {
    return this.previousReset() + 86_400_000;
  }

  private tradingDay(): TradingDayWire {
    const end = this.nextReset();
    return { id: iso(end).slice(0, 10), start: iso(this.previousReset()), end: iso(end) };
  }

  private checkRevision(expected: number | undefined): void {
    if (expected !== undefined && expected !== this.revision) {
      throw new ControlPlaneError('CONFLICT', `the config is at revision ${this.revision}, not ${expected}`);
    }
  }

  private ruleProblems(rules: readonly RuleEntryWire[], path: string): Problem[] {
    const problems: Problem[] = [];
    const keys = new Map<string, number>();
    rules.forEach((entry, i) => {
      if (!FAKE_RULE_IDS.includes(entry.rule)) {
        problems.push({ path: `${path}[${i}].rule`, message: `unknown rule "${entry.rule}"` });
      }
      const key = entry.id ?? entry.rule;
      const first = keys.get(key);
      if (first !== undefined) {
        problems.push({
          path: `${path}[${i}].id`,
          message: `instance key "${key}" already used by ${path}[${first}]`,
        });
      } else {
        keys.set(key, i);
      }
      for (const [name, value] of Object.entries(entry.options ?? {})) {
        if (typeof value === 'number' && value < 0) {
          problems.push({ path: `${path}[${i}].options.${name}`, message: 'must be >= 0' });
        }
      }
    });
    return problems;
  }

  /** Compares rule lists by instance key: a higher number, a removal or a disabling is looser. */
  private diffRules(
    before: readonly RuleEntryWire[],
    after: readonly RuleEntryWire[],
    path: string,
    forced: boolean,
  ): ConfigChangeWire[] {
    const changes: ConfigChangeWire[] = [];
    const keyOf = (r: RuleEntryWire): string => r.id ?? r.rule;
    const old = new Map(before.map((r) => [keyOf(r), r]));
    after.forEach((entry, i) => {
      const previous = old.get(keyOf(entry));
      old.delete(keyOf(entry));
      const where = `${path}[${i}]`;
      if (!previous) {
        changes.push(this.change(where, `rule ${keyOf(entry)} added`, 'tighter', forced));
        return;
      }
      if (previous.enabled !== false && entry.enabled === false) {
        changes.push(this.change(`${where}.enabled`, `rule ${keyOf(entry)} disabled`, 'looser', forced));
        return;
      }
      for (const [name, value] of Object.entries(entry.options ?? {})) {
        const was = previous.options?.[name];
        if (typeof value === 'number' && typeof was === 'number' && value !== was) {
          const strictness = value > was ? 'looser' : 'tighter';
          changes.push(
            this.change(`${where}.options.${name}`, `${name} ${was} -> ${value}`, strictness, forced),
          );
        }
      }
    });
    for (const key of old.keys()) changes.push(this.change(path, `rule ${key} removed`, 'looser', forced));
    return changes;
  }

  private change(
    path: string,
    summary: string,
    strictness: 'tighter' | 'looser',
    forced: boolean,
  ): ConfigChangeWire {
    const waits = strictness === 'looser' && !forced;
    return {
      path,
      summary,
      strictness,
      appliesAt: waits ? iso(this.nextReset()) : null,
      forced: forced && strictness === 'looser',
    };
  }

  private commit(
    changes: ConfigChangeWire[],
    actor: Actor,
    reason: string | undefined,
  ): ConfigChangeResponse {
    this.revision += 1;
    this.addAudit({
      kind: 'system',
      code: 'CONFIG_CHANGED',
      reason: reason ?? `revision ${this.revision} by ${actor.role}`,
    });
    return { revision: this.revision, changes };
  }
}
