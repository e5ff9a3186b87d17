import { spawn } from 'node:child_process';
import type {
  AccountDetail,
  AccountFilterQuery,
  AccountId,
  AccountRulesWire,
  AccountsConfigResponse,
  AccountsResponse,
  AuditQuery,
  AuditRecordWire,
  AuditResponse,
  BrokerCredentialsRequest,
  BrokerCredentialsResponse,
  ClearLockoutResponse,
  ClockRequest,
  ClockResponse,
  ConfigChangeResponse,
  CredentialState,
  DaemonEvent,
  EnforcementAction,
  EnforcementOutcome,
  EnforcementsQuery,
  EnforcementsResponse,
  EnforcementWire,
  HealthResponse,
  LockoutsResponse,
  LogLevel,
  LogsQuery,
  LogsResponse,
  NotificationPreferencesWire,
  PnlQuery,
  PnlSeriesResponse,
  PutAccountsConfigRequest,
  PutRulesConfigRequest,
  RestartRequest,
  RestartResponse,
  Role,
  RuleInstanceWire,
  RulesConfigResponse,
  RulesInForceResponse,
  SelfLockoutRequest,
  SelfLockoutResponse,
  StatusResponse,
  StopRequest,
  StopResponse,
  WorkSessionWire,
} from '@riskd/api-client';
import {
  lockoutInForce,
  type AccountView,
  type Instant,
  type NotificationPreferences,
  type TimerHandle,
} from '@riskd/core-engine';
import { NotifierValidationError } from '@riskd/notifier';
import { ControlPlaneError, type Actor, type ControlPlane } from '../api/control-plane.js';
import { ConfigError } from '../config/config-errors.js';
import { isConfigFailSafeLockout } from '../config/config-fail-safe.js';
import type { AuditRecordView, EnforcementView } from '../storage/audit-query.repository.js';
import type { ClockEventView } from '../storage/clock-journal.repository.js';
import { credentialState, verifyRolePassword } from './credentials.js';
import { CONTROL_CODES, CONTROL_INSTANCE_ID, CONTROL_RULE_ID } from './control-rule.js';
import { LATENCY_BUCKETS_MS, PrometheusText } from './metrics.js';
import type { RiskdDaemon } from './riskd-daemon.js';
import { RISKD_VERSION } from './version.js';
import {
  accountDetail,
  accountSummary,
  iso,
  isoOrNull,
  lockoutsInForce,
  lockoutWire,
  tradingDayWire,
} from './wire-mappers.js';

const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const LEVEL_NAMES = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, k])) as Record<
  number,
  LogLevel
>;

function actorName(actor: Actor): string {
  return actor.role;
}

function cursorNumber(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(cursor)) {
    throw new ControlPlaneError('INVALID', 'unknown cursor', [
      { path: 'query.cursor', message: 'is not a cursor this daemon issued' },
    ]);
  }
  return Number(cursor);
}

function instant(value: string | undefined, path: string): Instant | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (!Number.isFinite(at))
    throw new ControlPlaneError('INVALID', `${path} is not an instant`, [
      { path, message: 'must be an ISO 8601 instant' },
    ]);
  return at;
}

function auditWire(r: AuditRecordView): AuditRecordWire {
  return {
    seq: r.seq,
    at: iso(r.at),
    kind: r.kind,
    accountId: r.accountId ?? null,
    contractId: r.contractId ?? null,
    ruleId: r.ruleId ?? null,
    instanceId: r.instanceId ?? null,
    code: r.code ?? null,
    reason: r.reason ?? null,
    mode: r.mode ?? null,
    idempotencyKey: r.idempotencyKey ?? null,
    event: r.event ?? null,
    timings: r.timings
      ? {
          receivedAt: isoOrNull(r.timings.receivedAt),
          decidedAt: isoOrNull(r.timings.decidedAt),
          sentAt: isoOrNull(r.timings.sentAt),
          confirmedAt: isoOrNull(r.timings.confirmedAt),
        }
      : null,
    data: r.data ?? null,
    hash: r.hash,
  };
}

function enforcementAction(view: EnforcementView): EnforcementAction {
  const level = view.level ?? '';
  if (level === 'flatten' || level === 'close' || level === 'reduce' || level === 'cancel') return level;
  const key = view.idempotencyKey;
  if (key.includes(':reduce-to-')) return 'reduce';
  if (key.includes(':cancel-')) return 'cancel';
  return 'close';
}

function enforcementOutcome(view: EnforcementView): EnforcementOutcome {
  switch (view.state) {
    case 'confirmed':
      return 'confirmed';
    case 'escalated': {
      const last = view.entries[view.entries.length - 1];
      return (last?.data as { to?: string } | undefined)?.to === 'alert' ? 'failed' : 'superseded';
    }
    default:
      return 'in-progress';
  }
}

/** Work sessions from the clock-in/out journal (oldest first). */
function sessionsOf(events: readonly ClockEventView[]): WorkSessionWire[] {
  const sessions: WorkSessionWire[] = [];
  for (const e of [...events].sort((a, b) => a.at - b.at || a.id - b.id)) {
    const open = sessions[sessions.length - 1];
    if (e.kind === 'in') {
      sessions.push({
        id: String(e.id),
        clockedInAt: iso(e.at),
        clockedOutAt: null,
        noteIn: e.note ?? null,
        noteOut: null,
      });
    } else if (open && open.clockedOutAt === null) {
      sessions[sessions.length - 1] = { ...open, clockedOutAt: iso(e.at), noteOut: e.note ?? null };
    }
  }
  return sessions;
}

/**
 * The daemon's implementation of the control API's `ControlPlane`: reads from the engine's state,
 * storage and the config controller; trader and admin actions go through the engine (control
 * rule), the config controller (discipline) and storage, each audited.
 */
export class DaemonControlPlane implements ControlPlane {
  private stopping = false;

  constructor(private readonly daemon: RiskdDaemon) {}

  private get now(): Instant {
    return this.daemon.clock.now();
  }

  private get engine() {
    return this.daemon.engine;
  }

  private flags(view: AccountView) {
    return {
      protected: this.daemon.isProtected(view.accountId),
      alertOnly: this.engine.enforcement.isAlertOnly(view.accountId),
    };
  }

  private view(id: AccountId): AccountView {
    const view = this.engine.state.account(id);
    if (!view) throw new ControlPlaneError('NOT_FOUND', `account ${id} is not known`);
    return view;
  }

  private views(query: AccountFilterQuery = {}): AccountView[] {
    if (query.accountId !== undefined) return [this.view(query.accountId)];
    return [...this.engine.state.accounts.all()].sort((a, b) => a.accountId - b.accountId);
  }

  // ---------------------------------------------------------------------------------- reads

  async health(): Promise<HealthResponse> {
    const phase = this.daemon.phase;
    return {
      status:
        phase === 'running' ? 'ok' : phase === 'starting' || phase === 'created' ? 'starting' : 'stopping',
      ready: phase === 'running',
      now: iso(this.now),
    };
  }

  async status(): Promise<StatusResponse> {
    const now = this.now;
    const calendar = this.daemon.calendar;
    const views = [...this.engine.state.accounts.all()];
    const session = calendar.sessionAt(now);
    let nextChange: Instant | null = session ? session.end : null;
    if (!session) {
      try {
        nextChange = calendar.nextSessionStart(now);
      } catch {
        nextChange = null;
      }
    }
    const phase = this.daemon.phase;
    const failsafe = this.daemon.config.failsafe;
    return {
      version: RISKD_VERSION,
      startedAt: iso(this.daemon.startedAt ?? now),
      now: iso(now),
      phase:
        phase === 'running'
          ? 'running'
          : phase === 'starting' || phase === 'created'
            ? 'starting'
            : 'stopping',
      ready: phase === 'running',
      broker: {
        provider: this.daemon.inForce.broker.provider,
        state: this.daemon.broker.connectionState(),
        since: isoOrNull(this.daemon.brokerState.since),
      },
      tradingDay: tradingDayWire(calendar.tradingDayAt(now)),
      lastResetAt: isoOrNull(this.engine.state.lastResetAt),
      market: { open: session !== null, nextChangeAt: isoOrNull(nextChange) },
      config: {
        revision: this.daemon.config.revision,
        loadedAt: iso(this.daemon.config.loadedAt),
        failsafe: failsafe !== null,
        problems: failsafe?.problems ?? [],
      },
      counts: {
        accounts: views.length,
        protectedAccounts: views.filter((v) => this.daemon.isProtected(v.accountId)).length,
        openPositions: views.reduce((n, v) => n + v.positions.size, 0),
        lockouts: views.reduce((n, v) => n + lockoutsInForce(v, now).length, 0),
      },
      auth: { admin: await this.credentialState('admin'), trader: await this.credentialState('trader') },
    };
  }

  async accounts(): Promise<AccountsResponse> {
    const now = this.now;
    return { accounts: this.views().map((v) => accountSummary(v, this.flags(v), now)) };
  }

  async account(id: AccountId): Promise<AccountDetail> {
    const view = this.view(id);
    return accountDetail(view, this.flags(view), this.now);
  }

  async pnlSeries(id: AccountId, query: PnlQuery): Promise<PnlSeriesResponse> {
    const view = this.view(id);
    const day = view.tradingDay;
    const from = instant(query.from, 'query.from') ?? day.start;
    const to = instant(query.to, 'query.to') ?? this.now;
    return {
      accountId: id,
      tradingDay: tradingDayWire(day),
      points: this.daemon.monitor.points(id, from, to, query.maxPoints ?? 500),
    };
  }

  async rules(query: AccountFilterQuery): Promise<RulesInForceResponse> {
    const pending = this.daemon.config.pending;
    const nextReset = iso(this.daemon.calendar.nextReset(this.now));
    const accounts: AccountRulesWire[] = this.views(query).map((view) => {
      const name = view.account?.name;
      const set = this.daemon.ruleSet.forAccount(view.accountId, name);
      const entry = this.daemon.ruleSet.accountConfig(view.accountId, name);
      const rules: RuleInstanceWire[] = set.instances
        .filter((i) => i.ruleId !== CONTROL_RULE_ID)
        .map((i) => ({
          ruleId: i.ruleId,
          instanceId: i.instanceId,
          title: this.daemon.engineRegistry.rule(i.ruleId)?.title ?? null,
          mode: i.mode,
          warnAt: i.warnAt ?? null,
          options: i.options,
          source: i.source,
        }));
      const mine = pending.filter(
        (p) =>
          p.type === 'section' ||
          p.subject.kind === 'universal' ||
          (p.subject.kind === 'account' && p.subject.id === view.accountId) ||
          (p.subject.kind === 'account-name' &&
            name !== undefined &&
            p.subject.name.toLowerCase() === name.toLowerCase()),
      );
      return {
        accountId: view.accountId,
        name: name ?? null,
        protected: set.protected,
        source: set.source ?? null,
        preset: entry?.preset ?? null,
        rules,
        pending: mine.map((p) => ({
          path:
            p.type === 'section'
              ? p.section
              : p.type === 'rule'
                ? `${p.subjectLabel}.${p.instanceId}`
                : p.subjectLabel,
          summary: p.why,
          appliesAt: nextReset,
        })),
      };
    });
    return { accounts };
  }

  async lockouts(query: AccountFilterQuery): Promise<LockoutsResponse> {
    const now = this.now;
    const views = this.views(query);
    const ids = new Set(views.map((v) => v.accountId));
    const timers = this.engine.state
      .allRuleTimers()
      .filter((t) => ids.has(t.accountId) && t.instanceId !== CONTROL_INSTANCE_ID)
      .map((t) => ({
        accountId: t.accountId,
        ruleId:
          this.daemon.ruleSet
            .forAccount(t.accountId, this.engine.state.account(t.accountId)?.account?.name)
            .instance(t.instanceId)?.ruleId ?? null,
        instanceId: t.instanceId,
        key: t.key,
        at: iso(t.at),
      }))
      .sort((a, b) => a.at.localeCompare(b.at));
    return {
      now: iso(now),
      lockouts: views.flatMap((v) => lockoutsInForce(v, now)).map(lockoutWire),
      timers,
    };
  }

  async enforcements(query: EnforcementsQuery): Promise<EnforcementsResponse> {
    const since = instant(query.from, 'query.from');
    const until = instant(query.to, 'query.to');
    const cursor = cursorNumber(query.cursor);
    const page = await this.daemon.storage.audit.enforcements({
      ...(query.accountId !== undefined ? { accountId: query.accountId } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    const items: EnforcementWire[] = page.enforcements
      .filter((e) => query.code === undefined || e.code === query.code)
      .map((e) => {
        const first = e.entries[0];
        const contractId = e.contractId ?? null;
        return {
          id: e.idempotencyKey,
          at: iso(e.firstAt),
          accountId: e.accountId ?? 0,
          contractId,
          symbol: contractId === null ? null : (this.engine.state.contract(contractId)?.symbol ?? null),
          ruleId: e.ruleId ?? null,
          instanceId: e.entries.find((x) => x.instanceId !== undefined)?.instanceId ?? null,
          code: e.code ?? first?.kind ?? 'ENFORCEMENT',
          reason: e.reason ?? '',
          mode: first?.mode ?? 'enforce',
          action: enforcementAction(e),
          outcome: enforcementOutcome(e),
          idempotencyKey: e.idempotencyKey,
          attempts: e.attempts,
          timings: {
            receivedAt: isoOrNull(e.timings.receivedAt),
            decidedAt: isoOrNull(e.timings.decidedAt),
            sentAt: isoOrNull(e.timings.sentAt),
            confirmedAt: isoOrNull(e.timings.confirmedAt),
          },
          latencyMs:
            e.timings.receivedAt !== undefined && e.timings.confirmedAt !== undefined
              ? e.timings.confirmedAt - e.timings.receivedAt
              : null,
        };
      });
    return { items, nextCursor: page.nextCursor === null ? null : String(page.nextCursor) };
  }

  async audit(query: AuditQuery): Promise<AuditResponse> {
    const since = instant(query.from, 'query.from');
    const until = instant(query.to, 'query.to');
    const cursor = cursorNumber(query.cursor);
    if (query.order === 'asc') {
      // Oldest first: page forward from the cursor (the repository pages newest first only).
      const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
      const rows = await this.daemon.storage.prisma.client.auditEntry.findMany({
        where: {
          ...(query.accountId !== undefined ? { accountId: query.accountId } : {}),
          ...(query.kind !== undefined ? { kind: query.kind } : {}),
          ...(query.code !== undefined ? { code: query.code } : {}),
          ...(query.ruleId !== undefined ? { ruleId: query.ruleId } : {}),
          ...(cursor !== undefined ? { seq: { gt: cursor } } : {}),
          ...(since !== undefined || until !== undefined
            ? {
                at: {
                  ...(since !== undefined ? { gte: new Date(since) } : {}),
                  ...(until !== undefined ? { lt: new Date(until) } : {}),
                },
              }
            : {}),
        },
        orderBy: { seq: 'asc' },
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      const parse = (text: string | null): unknown => (text === null ? null : (JSON.parse(text) as unknown));
      return {
        items: page.map((row) => ({
          seq: row.seq,
          at: row.at.toISOString(),
          kind: row.kind,
          accountId: row.accountId,
          contractId: row.contractId,
          ruleId: row.ruleId,
          instanceId: row.instanceId,
          code: row.code,
          reason: row.reason,
          mode: row.mode as AuditRecordWire['mode'],
          idempotencyKey: row.idempotencyKey,
          event: parse(row.event),
          timings: (() => {
            const t = parse(row.timings) as Record<string, number> | null;
            return t
              ? {
                  receivedAt: isoOrNull(t['receivedAt']),
                  decidedAt: isoOrNull(t['decidedAt']),
                  sentAt: isoOrNull(t['sentAt']),
                  confirmedAt: isoOrNull(t['confirmedAt']),
                }
              : null;
          })(),
          data: parse(row.data),
          hash: row.hash,
        })),
        nextCursor: rows.length > limit ? String(page[page.length - 1]?.seq) : null,
      };
    }
    const page = await this.daemon.storage.audit.list({
      ...(query.accountId !== undefined ? { accountId: query.accountId } : {}),
      ...(query.kind !== undefined ? { kind: query.kind as never } : {}),
      ...(query.code !== undefined ? { code: query.code } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    return {
      items: page.entries
        .filter((e) => query.ruleId === undefined || e.ruleId === query.ruleId)
        .map(auditWire),
      nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
    };
  }

  subscribe(listener: (event: DaemonEvent) => void): () => void {
    return this.daemon.hub.subscribe(listener);
  }

  // ------------------------------------------------------------------------------ trader

  private async sessions(): Promise<WorkSessionWire[]> {
    return sessionsOf(await this.daemon.storage.clockJournal.list({ limit: 1000 }));
  }

  clockIn(input: ClockRequest, actor: Actor): Promise<ClockResponse> {
    return this.clock('in', input, actor);
  }

  clockOut(input: ClockRequest, actor: Actor): Promise<ClockResponse> {
    return this.clock('out', input, actor);
  }

  /** Appends a clock-in or clock-out to the journal (in, then out, alternately) and audits it. */
  private async clock(kind: 'in' | 'out', input: ClockRequest, actor: Actor): Promise<ClockResponse> {
    const open = (await this.sessions()).at(-1);
    const clockedIn = open !== undefined && open.clockedOutAt === null;
    if (kind === 'in' && clockedIn) throw new ControlPlaneError('CONFLICT', 'already clocked in');
    if (kind === 'out' && !clockedIn) throw new ControlPlaneError('CONFLICT', 'not clocked in');
    const event = await this.daemon.storage.clockJournal.append({
      kind,
      ...(input.note ? { note: input.note } : {}),
    });
    this.daemon.tee.append({
      at: event.at,
      kind: 'system',
      code: kind === 'in' ? 'CLOCK_IN' : 'CLOCK_OUT',
      reason: `clocked ${kind} by ${actorName(actor)}`,
      data: { note: input.note ?? null },
    });
    const session = (await this.sessions()).at(-1) as WorkSessionWire;
    return { session };
  }

  async getNotifications(): Promise<NotificationPreferencesWire> {
    return preferencesWire(await this.daemon.chat.getPreferences());
  }

  async setNotifications(
    preferences: NotificationPreferencesWire,
    actor: Actor,
  ): Promise<NotificationPreferencesWire> {
    let saved: NotificationPreferencesWire;
    try {
      saved = preferencesWire(
        await this.daemon.chat.setPreferences({
          kinds: preferences.kinds,
          channels: preferences.channels,
          ...(preferences.quietHours ? { quietHours: preferences.quietHours } : {}),
        }),
      );
    } catch (err) {
      if (!(err instanceof NotifierValidationError)) throw err;
      const configured = this.daemon.chat
        .channelSummaries()
        .filter((c) => c.audience !== 'admin')
        .map((c) => c.id);
      throw new ControlPlaneError(
        'INVALID',
        `invalid notification preferences (trader channels: ${configured.join(', ') || 'none'})`,
        err.problems.map((p) => ({ path: `body.${p.path}`, message: p.message })),
      );
    }
    this.daemon.tee.append({
      at: this.now,
      kind: 'system',
      code: 'NOTIFICATIONS_CHANGED',
      reason: `notification preferences changed by ${actorName(actor)}`,
      data: saved,
    });
    return saved;
  }

  async selfLockout(input: SelfLockoutRequest, actor: Actor): Promise<SelfLockoutResponse> {
    const now = this.now;
    let until: Instant | 'reset';
    if (input.until === 'reset') until = 'reset';
    else {
      const at = Date.parse(input.until);
      if (!Number.isFinite(at) || at <= now) {
        throw new ControlPlaneError('INVALID', 'until must be "reset" or an instant in the future', [
          { path: 'body.until', message: 'must be "reset" or an ISO instant in the future' },
        ]);
      }
      until = at;
    }
    const targets =
      input.accountId !== undefined
        ? [this.view(input.accountId)]
        : this.views().filter((v) => this.daemon.isProtected(v.accountId));
    for (const view of targets) {
      if (!this.daemon.isProtected(view.accountId)) {
        throw new ControlPlaneError('INVALID', `account ${view.accountId} is not protected by Riskd`, [
          { path: 'body.accountId', message: 'is configured enabled: false' },
        ]);
      }
    }
    const endText = until === 'reset' ? 'the next trading-day reset' : new Date(until).toISOString();
    for (const view of targets) {
      this.daemon.command(view.accountId, {
        code: CONTROL_CODES.selfLockout,
        reason: `the trader locked this account until ${endText}${input.reason ? `: ${input.reason}` : ''}`,
        severity: 'warning',
        lockout: until === 'reset' ? { kind: 'reset' } : { kind: 'at', at: until },
        data: { by: actorName(actor), via: actor.via },
      });
    }
    // The lockouts are written durably by the engine before any order; wait for that commit.
    await this.engine.persistNow();
    await this.daemon.storage.writer.flush();
    return {
      lockouts: targets
        .flatMap((v) => lockoutsInForce(v, now).filter((l) => l.scope.kind === 'account'))
        .map(lockoutWire),
    };
  }

  // ------------------------------------------------------------------------------- admin

  async getRulesConfig(): Promise<RulesConfigResponse> {
    return {
      revision: this.daemon.config.revision,
      rules: (this.daemon.loaded.document['rules'] ?? []) as RulesConfigResponse['rules'],
    };
  }

  async getAccountsConfig(): Promise<AccountsConfigResponse> {
    return {
      revision: this.daemon.config.revision,
      accounts: (this.daemon.loaded.document['accounts'] ?? []) as AccountsConfigResponse['accounts'],
    };
  }

  private async writeSection(
    section: 'rules' | 'accounts',
    value: unknown,
    input: PutRulesConfigRequest | PutAccountsConfigRequest,
    actor: Actor,
  ): Promise<ConfigChangeResponse> {
    if (input.force && (input.reason === undefined || input.reason.trim() === '')) {
      throw new ControlPlaneError('INVALID', 'forcing a loosening now needs a reason', [
        { path: 'body.reason', message: 'is required when force is true (it is audited and alerted)' },
      ]);
    }
    try {
      return await this.daemon.config.write(section, value, {
        actor: actorName(actor),
        ...(input.expectedRevision !== undefined ? { expectedRevision: input.expectedRevision } : {}),
        ...(input.force !== undefined ? { force: input.force } : {}),
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
      });
    } catch (err) {
      throw this.configError(err, section);
    }
  }

  private configError(err: unknown, section: string): unknown {
    if (!(err instanceof ConfigError)) return err;
    if (err.code === 'CONFIG_INVALID') {
      return new ControlPlaneError(
        'INVALID',
        `the ${section} change is invalid: nothing was written`,
        err.problems.map((p) => ({ path: p.path === '' ? 'body' : p.path, message: p.message })),
      );
    }
    if (err.code === 'CONFIG_CONFLICT') return new ControlPlaneError('CONFLICT', err.message);
    if (err.code === 'CONFIG_FORCE_REASON_REQUIRED') {
      return new ControlPlaneError('INVALID', err.message, [{ path: 'body.reason', message: err.message }]);
    }
    return err;
  }

  putRulesConfig(input: PutRulesConfigRequest, actor: Actor): Promise<ConfigChangeResponse> {
    return this.writeSection('rules', input.rules, input, actor);
  }

  putAccountsConfig(input: PutAccountsConfigRequest, actor: Actor): Promise<ConfigChangeResponse> {
    return this.writeSection('accounts', input.accounts, input, actor);
  }

  async setBrokerCredentials(
    input: BrokerCredentialsRequest,
    actor: Actor,
  ): Promise<BrokerCredentialsResponse> {
    const current = { ...((this.daemon.loaded.document['broker'] ?? {}) as Record<string, unknown>) };
    delete current['apiKeyEnv'];
    try {
      await this.daemon.config.write(
        'broker',
        { ...current, userName: input.userName, apiKey: input.apiKey },
        { actor: actorName(actor), reason: 'broker credentials changed' },
      );
    } catch (err) {
      throw this.configError(err, 'broker');
    }
    this.daemon.tee.append({
      at: this.now,
      kind: 'system',
      code: 'BROKER_CREDENTIALS_CHANGED',
      reason: `broker credentials of ${input.userName} stored by ${actorName(actor)}; reconnecting`,
    });
    // The adapter takes its credentials when it is built: restart the daemon in-process to reconnect.
    setImmediate(() =>
      this.daemon.requestExit({ code: 0, reason: 'broker credentials changed', restart: true }),
    );
    return { userName: input.userName, apiKeyStored: true, reconnecting: true };
  }

  async clearLockout(id: string, reason: string, actor: Actor): Promise<ClearLockoutResponse> {
    if (reason.trim() === '') {
      throw new ControlPlaneError('INVALID', 'a reason is required', [
        { path: 'body.reason', message: 'must not be blank' },
      ]);
    }
    const lockout = this.engine.state.allLockouts().find((l) => l.id === id && lockoutInForce(l, this.now));
    if (!lockout) throw new ControlPlaneError('NOT_FOUND', `no lockout ${id} in force`);
    if (isConfigFailSafeLockout(lockout) && this.daemon.config.failsafe) {
      throw new ControlPlaneError(
        'CONFLICT',
        'the config fail-safe holds this lockout: fix the config file to lift it',
      );
    }
    this.daemon.liftLockout(lockout, reason.trim(), { kind: 'admin', actor: actorName(actor) });
    await this.daemon.storage.writer.flush();
    return { lockout: lockoutWire(lockout), clearedAt: iso(this.now) };
  }

  async stop(input: StopRequest, actor: Actor): Promise<StopResponse> {
    if (input.reason.trim() === '') {
      throw new ControlPlaneError('INVALID', 'a reason is required', [
        { path: 'body.reason', message: 'must not be blank' },
      ]);
    }
    if (this.stopping || this.daemon.exitPending)
      throw new ControlPlaneError('CONFLICT', 'a stop or restart is already under way');
    this.stopping = true;
    const now = this.now;
    const targets = this.views().filter((v) => this.daemon.isProtected(v.accountId));
    const flattened: AccountId[] = [];
    const locked: AccountId[] = [];
    for (const view of targets) {
      if (!input.flatten && !input.lock) break;
      this.daemon.command(view.accountId, {
        code: input.flatten ? CONTROL_CODES.adminFlatten : CONTROL_CODES.adminLock,
        reason: `the admin stopped Riskd: ${input.reason}`,
        severity: 'critical',
        ...(input.flatten ? { flatten: true } : {}),
        ...(input.lock ? { lockout: { kind: 'reset' as const } } : {}),
      });
      if (input.flatten) flattened.push(view.accountId);
      if (input.lock) locked.push(view.accountId);
    }
    const code = this.daemon.adminStopExitCode;
    const message = `the admin stopped Riskd (${input.reason})${flattened.length > 0 ? `, flattening ${flattened.length} account(s)` : ''}${locked.length > 0 ? `, locking ${locked.length} account(s) until the reset` : ''}; it exits with status ${code} and the service manager will not restart it`;
    this.daemon.tee.append({
      at: now,
      kind: 'system',
      code: 'ADMIN_STOP',
      reason: message,
      data: { by: actorName(actor), reason: input.reason, flattened, locked, exitCode: code },
    });
    this.daemon.notifier.notify({
      id: `daemon:admin-stop:${now}`,
      at: now,
      severity: 'critical',
      kind: 'admin-stop',
      code: 'ADMIN_STOP',
      title: 'Riskd stopped by the admin: accounts are no longer protected',
      message,
    });
    // Let the flatten go out (bounded), then ask the process to exit once this answer is sent.
    void this.afterStop(code, input.reason);
    return { accepted: true, exitCode: code, flattened, locked, stoppingAt: iso(now) };
  }

  private async afterStop(code: number, reason: string): Promise<void> {
    let bound: TimerHandle | undefined;
    await Promise.race([
      this.engine.enforcement.idle(),
      new Promise<void>((resolve) => (bound = this.daemon.clock.scheduleIn(5_000, resolve))),
    ]);
    if (bound) this.daemon.clock.cancel(bound);
    if (this.daemon.options.windowsService) {
      // The node-windows wrapper restarts whatever exits: stop the service itself.
      spawn('sc.exe', ['stop', 'riskd'], { detached: true, stdio: 'ignore' }).unref();
    }
    setImmediate(() => this.daemon.requestExit({ code, reason: `admin stop: ${reason}`, restart: false }));
  }

  async restart(input: RestartRequest, actor: Actor): Promise<RestartResponse> {
    if (input.reason.trim() === '') {
      throw new ControlPlaneError('INVALID', 'a reason is required', [
        { path: 'body.reason', message: 'must not be blank' },
      ]);
    }
    if (this.stopping || this.daemon.exitPending)
      throw new ControlPlaneError('CONFLICT', 'a stop or restart is already under way');
    this.stopping = true;
    const now = this.now;
    this.daemon.tee.append({
      at: now,
      kind: 'system',
      code: 'ADMIN_RESTART',
      reason: `restart requested by ${actorName(actor)}: ${input.reason}`,
    });
    this.daemon.notifier.notify({
      id: `daemon:admin-restart:${now}`,
      at: now,
      severity: 'warning',
      kind: 'admin-restart',
      code: 'ADMIN_RESTART',
      title: 'Riskd restarting',
      message: `the admin restarts Riskd: ${input.reason}`,
    });
    setImmediate(() =>
      this.daemon.requestExit({ code: 0, reason: `admin restart: ${input.reason}`, restart: true }),
    );
    return { accepted: true, restartingAt: iso(now) };
  }

  async logs(query: LogsQuery): Promise<LogsResponse> {
    const min = LEVELS[query.level ?? 'info'];
    const since = instant(query.since, 'query.since');
    const records = this.daemon.root.ring
      .recent(this.daemon.root.ring.capacity, min)
      .filter(
        (r) =>
          (since === undefined || r.time >= since) &&
          (query.component === undefined || r['component'] === query.component),
      );
    const limited = records.slice(Math.max(0, records.length - (query.limit ?? 200)));
    return {
      lines: limited.map((r) => {
        const {
          level,
          time,
          msg,
          component,
          pid: _pid,
          hostname: _host,
          name: _name,
          bootId: _boot,
          ...fields
        } = r as Record<string, unknown> & {
          level: number;
          time: number;
        };
        return {
          time: iso(time),
          level: LEVEL_NAMES[level] ?? 'info',
          component: typeof component === 'string' ? component : null,
          msg: typeof msg === 'string' ? msg : '',
          fields,
        };
      }),
    };
  }

  async metrics(): Promise<string> {
    const engine = this.engine;
    const broker = this.daemon.broker.connectionState();
    const views = [...engine.state.accounts.all()];
    const now = this.now;
    const tee = this.daemon.tee;
    const memory = process.memoryUsage();
    const chat = this.daemon.chat.stats();
    const text = new PrometheusText()
      .metric(
        'riskd_up',
        'gauge',
        'Whether the daemon protects the accounts (1) or is starting or stopping (0).',
        [{ value: this.daemon.phase === 'running' ? 1 : 0 }],
      )
      .metric('riskd_events_total', 'counter', 'Events the engine processed.', [
        { value: engine.counters.events },
      ])
      .metric('riskd_decisions_total', 'counter', 'Rule decisions that led to an outcome.', [
        { value: engine.counters.decisions },
      ])
      .metric('riskd_outcomes_total', 'counter', 'Merged outcomes handed to enforcement.', [
        { value: engine.counters.outcomes },
      ])
      .metric('riskd_rule_evaluations_total', 'counter', 'Rule evaluations.', [
        { value: engine.risk.evaluations },
      ])
      .metric(
        'riskd_audit_rows_total',
        'counter',
        'Audit rows appended, by kind.',
        Object.entries(tee.counts).map(([kind, value]) => ({ labels: { kind }, value })),
      )
      .metric(
        'riskd_alerts_total',
        'counter',
        'Alerts raised, by severity.',
        Object.entries(this.daemon.notifier.counts).map(([severity, value]) => ({
          labels: { severity },
          value,
        })),
      )
      .histogram(
        'riskd_enforcement_latency_ms',
        `From the triggering event's arrival to the broker's confirmation (buckets ${LATENCY_BUCKETS_MS.join(', ')} ms).`,
        tee.latency,
      )
      .metric(
        'riskd_broker_connected',
        'gauge',
        'Broker connection state (1 for the current state).',
        (['connected', 'connecting', 'reconnecting', 'disconnected'] as const).map((state) => ({
          labels: { state },
          value: broker === state ? 1 : 0,
        })),
      )
      .metric('riskd_accounts', 'gauge', 'Accounts known.', [{ value: views.length }])
      .metric('riskd_open_positions', 'gauge', 'Open positions across accounts.', [
        { value: views.reduce((n, v) => n + v.positions.size, 0) },
      ])
      .metric('riskd_lockouts', 'gauge', 'Lockouts in force.', [
        { value: views.reduce((n, v) => n + lockoutsInForce(v, now).length, 0) },
      ])
      .metric('riskd_pending_enforcements', 'gauge', 'Enforcement actions in flight.', [
        { value: engine.enforcement.pendingActions().length },
      ])
      .metric('riskd_config_failsafe', 'gauge', 'Whether the config fail-safe is in force.', [
        { value: this.daemon.config.failsafe ? 1 : 0 },
      ])
      .metric(
        'riskd_notifications_total',
        'counter',
        'Chat notifications (outbox items, one per alert and channel) by outcome.',
        (['enqueued', 'delivered', 'retried', 'failed', 'suppressed'] as const).map((outcome) => ({
          labels: { outcome },
          value: chat[outcome],
        })),
      )
      .metric('riskd_notification_messages_total', 'counter', 'Chat messages delivered.', [
        { value: chat.messagesSent },
      ])
      .metric(
        'riskd_notification_channel_failed',
        'gauge',
        'Chat channels given up on (1) until the config changes.',
        this.daemon.chat.channelSummaries().map((c) => ({
          labels: { channel: c.id },
          value: c.state === 'failed' ? 1 : 0,
        })),
      )
      .metric('riskd_process_resident_memory_bytes', 'gauge', "The daemon's resident set size.", [
        { value: memory.rss },
      ])
      .metric(
        'riskd_process_heap_bytes',
        'gauge',
        "The main thread's JavaScript heap: used and total (reserved) bytes; external is memory held by JavaScript objects outside it (buffers, WebAssembly).",
        [
          { labels: { kind: 'used' }, value: memory.heapUsed },
          { labels: { kind: 'total' }, value: memory.heapTotal },
          { labels: { kind: 'external' }, value: memory.external },
        ],
      );
    return text.text();
  }

  credentialState(role: Role): Promise<CredentialState> {
    return credentialState(this.daemon.storage, role);
  }

  verifyPassword(role: Role, password: string): Promise<boolean> {
    return verifyRolePassword(this.daemon.storage, role, password);
  }
}

function preferencesWire(p: NotificationPreferences): NotificationPreferencesWire {
  return { kinds: p.kinds, channels: [...p.channels], quietHours: p.quietHours ?? null };
}
