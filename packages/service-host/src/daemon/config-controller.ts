import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigChangeWire } from '@riskd/api-client';
import type { AccountId, Clock, Instant, Lockout, Logger } from '@riskd/core-engine';
import { diffConfigDocuments } from '../config/config-diff.js';
import { ConfigError, type ConfigProblem } from '../config/config-errors.js';
import { isConfigFailSafeLockout } from '../config/config-fail-safe.js';
import type { LoadConfigOptions, LoadedConfig } from '../config/config-loader.js';
import type { ConfigDocument, RiskdConfig } from '../config/config-schema.js';
import { ConfigWatcher } from '../config/config-watcher.js';
import { updateConfigFile, type ConfigRevision } from '../config/config-writer.js';
import {
  lockoutsLiftedByConfig,
  parsePendingChanges,
  RuleChangeDiscipline,
  serializePendingChanges,
  type ConfigChangePlan,
  type PendingChange,
  type PendingChanges,
  type ProtectionChange,
  type ResetApplication,
} from '../config/rule-change-discipline.js';
import { CONTROL_CODES, failsafeDecision } from './control-rule.js';
import type { RiskdDaemon } from './riskd-daemon.js';

/** Where the loosenings waiting for the next reset are kept across restarts. */
export const PENDING_CHANGES_FILE = 'pending-config-changes.json';

/** The fail-safe while it is in force. */
export interface FailsafeState {
  readonly since: Instant;
  readonly problems: readonly ConfigProblem[];
}

/** Options of a config write through the API. */
export interface ConfigWriteInput {
  readonly actor: string;
  readonly expectedRevision?: number;
  readonly force?: boolean;
  readonly reason?: string;
}

/** A change of the config as the API reports it. */
export interface AppliedChange {
  readonly revision: number;
  readonly changes: readonly ConfigChangeWire[];
}

function changePath(change: ProtectionChange): string {
  if (change.type === 'section') return change.section;
  const subject =
    change.subject.kind === 'universal'
      ? 'rules'
      : change.subject.kind === 'account'
        ? `accounts[id=${change.subject.id}]`
        : `accounts[name=${change.subject.name}]`;
  return change.type === 'rule' ? `${subject}.${change.instanceId}` : subject;
}

function changeSummary(change: ProtectionChange): string {
  // `why` names the subject already ("universal rules: max-contracts options looser: limit 5 -> 9").
  return change.why;
}

/**
 * The daemon's side of the config: the rule-change discipline with its persisted pending state,
 * hot reload (the config module's watcher), the fail-safe, admin writes through the API, and
 * applying what changes to the running engine (rules, calendar, log level).
 */
export class ConfigController {
  readonly discipline: RuleChangeDiscipline;
  failsafe: FailsafeState | null = null;
  /** The id of the latest config revision (0 before any). */
  revision = 0;
  loadedAt: Instant;
  private watcher: ConfigWatcher | undefined;
  private readonly logger: Logger;
  private readonly pendingFile: string;
  private writing: Promise<unknown> = Promise.resolve();
  /** When the loosenings persisted by the previous run were recorded (the start plan re-records them). */
  private readonly persistedAt: Instant | undefined;

  constructor(private readonly daemon: RiskdDaemon) {
    this.logger = daemon.root.logger.child({ component: 'config' });
    this.pendingFile = path.join(daemon.dataDir, PENDING_CHANGES_FILE);
    this.loadedAt = daemon.clock.now();
    const persisted = this.readPending();
    this.persistedAt = persisted?.recordedAt;
    this.discipline = new RuleChangeDiscipline({
      registry: daemon.loaded.registry,
      clock: daemon.clock,
      config: daemon.loaded.config,
      hash: daemon.loaded.hash,
      persisted,
      accounts: () => this.knownAccounts(),
    });
    for (const problem of this.discipline.restoreProblems) this.logger.error({ problem }, problem.message);
    this.persistPending(this.discipline.pendingState);
  }

  private get clock(): Clock {
    return this.daemon.clock;
  }

  /** The config in force now. */
  get inForce(): RiskdConfig {
    return this.discipline.inForce;
  }

  /** The loosenings waiting for the next reset. */
  get pending(): readonly PendingChange[] {
    return this.discipline.pending;
  }

  private knownAccounts(): { id: AccountId; name?: string }[] {
    const engine = this.daemon.engine as RiskdDaemonEngine | undefined;
    if (!engine) return [];
    return [...engine.state.accounts.all()].map((v) => ({
      id: v.accountId,
      ...(v.account?.name ? { name: v.account.name } : {}),
    }));
  }

  private loadOptions(): LoadConfigOptions {
    return {
      ...(this.daemon.options.env ? { env: this.daemon.options.env } : {}),
      registry: this.daemon.loaded.registry,
      registryRulePacks: this.daemon.loaded.config.rulePacks,
      dataDir: this.daemon.dataDir,
    };
  }

  /**
   * After the engine started: catch up a reset that passed while loosenings were waiting, lift
   * fail-safe lockouts left from a previous run (a valid config is loaded now), read the latest
   * revision, and start watching the file.
   */
  async afterEngineStart(): Promise<void> {
    const state = this.discipline.pendingState;
    const lastReset = this.daemon.engine.state.lastResetAt;
    const recordedAt = Math.min(this.persistedAt ?? Infinity, state?.recordedAt ?? Infinity);
    if (state && lastReset !== null && lastReset > recordedAt) {
      this.logger.info(
        { lastReset },
        'a trading-day reset passed while loosenings were waiting: applying them',
      );
      this.applyReset(this.discipline.applyPendingAtReset());
    }
    this.liftFailsafeLockouts('a valid config was loaded at start');
    const latest = await this.daemon.storage.configRevisions.list({ limit: 1 });
    this.revision = latest[0]?.id ?? 0;
    if (latest[0]?.configHash !== this.daemon.loaded.hash) {
      // The file changed while the daemon was down (or this is the first start): record it.
      this.revision = (
        await this.daemon.storage.configRevisions.append({
          actor: 'file',
          reason: latest[0] ? 'config file changed while riskd was not running' : 'first start',
          diff: [],
          configHash: this.daemon.loaded.hash,
        })
      ).id;
    }
    this.watcher = new ConfigWatcher({
      path: this.daemon.loaded.path,
      clock: this.clock,
      initial: this.daemon.loaded,
      loadOptions: this.loadOptions(),
      onChange: (loaded) => this.onFileChange(loaded),
      onInvalid: (problems) => this.onInvalid(problems),
      onValid: () => this.onValid(),
      logger: this.daemon.root.logger,
    });
    this.watcher.start();
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = undefined;
  }

  /** Reads the file now (tests). */
  async checkFile(): Promise<void> {
    await this.watcher?.check();
  }

  // ------------------------------------------------------------------------------- hot reload

  private async onFileChange(loaded: LoadedConfig): Promise<void> {
    const previous = this.daemon.loaded;
    const revision = await this.daemon.storage.configRevisions.append({
      actor: 'file',
      reason: 'config file edited',
      diff: diffConfigDocuments(previous.document, loaded.document),
      configHash: loaded.hash,
    });
    this.revision = revision.id;
    this.daemon.loaded = loaded;
    this.loadedAt = this.clock.now();
    const plan = this.discipline.propose(loaded.config, { hash: loaded.hash });
    this.applyPlan(plan, 'file', undefined);
  }

  private onInvalid(problems: readonly ConfigProblem[]): void {
    const first = problems[0];
    const reason = first ? `${first.path === '' ? '' : `${first.path}: `}${first.message}` : 'unreadable';
    const already = this.failsafe !== null;
    this.failsafe = { since: this.failsafe?.since ?? this.clock.now(), problems };
    this.daemon.switches.failsafe = { reason };
    const locked: AccountId[] = [];
    for (const view of this.daemon.engine.state.accounts.all()) {
      if (!this.daemon.isProtected(view.accountId)) continue;
      const decision = failsafeDecision(reason);
      const outcome = this.daemon.command(view.accountId, {
        code: decision.code,
        reason: decision.reason,
        severity: 'critical',
        lockout: { kind: 'condition', condition: 'config-valid' },
        onlyIfUnlocked: true,
      });
      if (outcome.accounts.size > 0) locked.push(view.accountId);
    }
    const message = `config file ${this.daemon.loaded.path} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): the last good config stays in force and new entries are blocked on every account until a valid file is loaded`;
    this.logger.error({ problems, locked }, message);
    this.daemon.tee.append({
      at: this.clock.now(),
      kind: 'system',
      code: CONTROL_CODES.configFailsafe,
      reason: message,
      data: { problems, locked, repeated: already },
    });
    this.daemon.notifier.notify({
      id: `config:failsafe:${this.clock.now()}`,
      at: this.clock.now(),
      severity: 'critical',
      kind: 'config-invalid',
      code: CONTROL_CODES.configFailsafe,
      title: 'Config file invalid: entries blocked',
      message: `${message}. ${problems.map((p) => `${p.path || '(file)'}: ${p.message}`).join('; ')}`,
    });
  }

  private onValid(): void {
    if (!this.failsafe) return;
    this.failsafe = null;
    this.daemon.switches.failsafe = null;
    const lifted = this.liftFailsafeLockouts('a valid config was loaded');
    this.daemon.notifier.notify({
      id: `config:failsafe-lifted:${this.clock.now()}`,
      at: this.clock.now(),
      severity: 'info',
      kind: 'config-valid',
      code: CONTROL_CODES.configFailsafe,
      title: 'Config file valid again',
      message: `the config file is valid again: the fail-safe lockouts of ${lifted.length} account(s) are lifted`,
    });
  }

  /**
   * While the fail-safe holds, an account whose other lockout ended gets the fail-safe lockout
   * (the fail-safe is only set on accounts without an account lockout). Nothing to do when only
   * one hold of the lockout ended and another keeps the account locked.
   */
  lockoutEnded(lockout: Lockout): void {
    const failsafe = this.daemon.switches.failsafe;
    if (!failsafe || lockout.scope.kind !== 'account' || isConfigFailSafeLockout(lockout)) return;
    if (this.daemon.engine.state.account(lockout.accountId)?.lockouts.has(lockout.id)) return;
    queueMicrotask(() => {
      if (!this.daemon.switches.failsafe || this.daemon.phase !== 'running') return;
      const decision = failsafeDecision(failsafe.reason);
      this.daemon.command(lockout.accountId, {
        code: decision.code,
        reason: decision.reason,
        severity: 'critical',
        lockout: { kind: 'condition', condition: 'config-valid' },
        onlyIfUnlocked: true,
      });
    });
  }

  /**
   * Ends the fail-safe's hold (`config-valid`) on every lockout it holds; a lockout held by
   * something else too (a time lockout that came after the fail-safe) continues as that.
   */
  private liftFailsafeLockouts(why: string): Lockout[] {
    const lifted = this.daemon.engine.state.allLockouts().filter(isConfigFailSafeLockout);
    for (const lockout of lifted) {
      this.daemon.liftLockout(lockout, why, { kind: 'config', actor: 'config', cleared: 'config-valid' });
    }
    return lifted;
  }

  // ----------------------------------------------------------------------------------- resets

  /** At every trading-day reset: the waiting loosenings take effect. */
  onReset(): void {
    if (this.discipline.pending.length === 0) return;
    this.applyReset(this.discipline.applyPendingAtReset());
  }

  private applyReset(application: ResetApplication): void {
    this.persistPending(undefined);
    this.installRules(application.rulesChanged, application.calendarChanged, application.includeFeesChanged);
    const summary = application.applied.map(changeSummary);
    this.logger.info({ applied: summary }, 'loosening config changes took effect at the trading-day reset');
    this.daemon.tee.append({
      at: this.clock.now(),
      kind: 'system',
      code: 'CONFIG_LOOSENED_AT_RESET',
      reason: `${summary.length} loosening change(s) took effect at the trading-day reset`,
      data: { applied: summary },
    });
  }

  // ------------------------------------------------------------------------------- apply plans

  private applyPlan(plan: ConfigChangePlan, actor: string, forceReason: string | undefined): void {
    this.persistPending(plan.pendingState);
    this.installRules(plan.rulesChanged, plan.calendarChanged, plan.includeFeesChanged);
    const level = plan.effective.logging.level;
    if (!this.daemon.root.verbose && this.daemon.root.pino.level !== level)
      this.daemon.root.pino.level = level;
    if (plan.effective.logging.verbose !== this.daemon.root.verbose)
      this.daemon.root.setVerbose(plan.effective.logging.verbose);
    const now = this.clock.now();
    const nextReset = this.daemon.calendar.nextReset(now);
    const data = {
      actor,
      tightened: plan.tightened.map(changeSummary),
      loosened: plan.loosened.map(changeSummary),
      pendingUntil: plan.pending.length > 0 ? new Date(nextReset).toISOString() : null,
      restartRequired: plan.restartRequired.map(changeSummary),
    };
    this.logger.info(data, 'config change applied');
    this.daemon.tee.append({
      at: now,
      kind: 'system',
      code: 'CONFIG_CHANGED',
      reason:
        `config changed by ${actor}: ${plan.tightened.length} tightening(s) now, ${plan.loosened.length} loosening(s) ${plan.forced ? 'forced now' : plan.pending.length > 0 ? 'at the next reset' : ''}`.trim(),
      data,
    });
    if (plan.forced) {
      const message = `${plan.forced.actor} forced ${plan.forced.changes.length} loosening change(s) now: ${forceReason ?? plan.forced.reason} (${plan.forced.changes.map(changeSummary).join('; ')})`;
      this.daemon.tee.append({
        at: now,
        kind: 'system',
        code: 'CONFIG_LOOSENING_FORCED',
        reason: message,
        data: {
          reason: plan.forced.reason,
          actor: plan.forced.actor,
          changes: plan.forced.changes.map(changeSummary),
        },
      });
      this.daemon.notifier.notify({
        id: `config:forced:${now}`,
        at: now,
        severity: 'critical',
        kind: 'config-forced',
        code: 'CONFIG_LOOSENING_FORCED',
        title: 'Risk limits loosened now by the admin',
        message,
      });
    }
    if (plan.restartRequired.length > 0) {
      this.logger.warn(
        { changes: plan.restartRequired.map(changeSummary) },
        'some config changes take effect on restart',
      );
    }
  }

  private installRules(rulesChanged: boolean, calendarChanged: boolean, includeFeesChanged: boolean): void {
    const effective = this.discipline.inForce;
    this.daemon.inForce = effective;
    if (calendarChanged) this.daemon.calendar.replace(effective.tradingDay);
    this.daemon.notificationsChanged();
    if (rulesChanged) {
      const ruleSet = this.daemon.resolveEngineRuleSet(effective);
      this.daemon.ruleSet = ruleSet;
      this.daemon.engine.configure(ruleSet);
      const nameOf = (id: AccountId): string | undefined =>
        this.daemon.engine.state.account(id)?.account?.name;
      for (const lockout of lockoutsLiftedByConfig(this.daemon.engine.state.allLockouts(), ruleSet, nameOf)) {
        this.daemon.liftLockout(lockout, 'its rule no longer blocks the symbol', {
          kind: 'config',
          actor: 'config',
          cleared: 'symbol-unblocked',
        });
      }
    }
    if (includeFeesChanged) {
      // The engine reads includeFees when it is built: restart it (state is persisted) to apply it.
      this.logger.warn(
        { includeFees: effective.includeFees },
        'includeFees changed: restarting the engine to apply it',
      );
      this.daemon.requestExit({ code: 0, reason: 'includeFees changed', restart: true });
    }
  }

  // --------------------------------------------------------------------------- admin writes

  /**
   * Writes one section through the API: validated (nothing written when invalid), the file
   * rewritten atomically with a revision, then planned under the discipline and applied.
   */
  write(
    section: 'rules' | 'accounts' | 'broker',
    value: unknown,
    input: ConfigWriteInput,
  ): Promise<AppliedChange> {
    const run = this.writing.then(() => this.doWrite(section, value, input));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async doWrite(
    section: 'rules' | 'accounts' | 'broker',
    value: unknown,
    input: ConfigWriteInput,
  ): Promise<AppliedChange> {
    if (input.expectedRevision !== undefined && input.expectedRevision !== this.revision) {
      throw new ConfigError(
        'CONFIG_CONFLICT',
        `the config is at revision ${this.revision}, not ${input.expectedRevision}: reload it and apply the change again`,
      );
    }
    const force =
      input.force && input.reason !== undefined && input.reason.trim() !== ''
        ? { reason: input.reason.trim(), actor: input.actor }
        : undefined;
    const result = await updateConfigFile(
      this.daemon.loaded.path,
      (document: ConfigDocument) =>
        section === 'broker'
          ? { ...document, broker: value as Record<string, unknown> }
          : { ...document, [section]: value },
      {
        ...this.loadOptions(),
        clock: this.clock,
        actor: input.actor,
        ...(input.reason ? { reason: input.reason } : {}),
        recordRevision: async (revision: ConfigRevision) => {
          const view = await this.daemon.storage.configRevisions.append({
            at: revision.at,
            actor: revision.actor,
            ...(revision.reason ? { reason: revision.reason } : {}),
            diff: revision.diff,
            configHash: revision.hashAfter,
          });
          this.revision = view.id;
        },
      },
    );
    if (!result.changed) return { revision: this.revision, changes: [] };
    this.daemon.loaded = result.loaded;
    this.loadedAt = this.clock.now();
    this.watcher?.accept(result.loaded);
    const plan = this.discipline.propose(result.loaded.config, {
      hash: result.loaded.hash,
      ...(force ? { force } : {}),
    });
    this.applyPlan(plan, input.actor, force?.reason);
    const nextReset = new Date(this.daemon.calendar.nextReset(this.clock.now())).toISOString();
    const forced = plan.forced !== undefined;
    return {
      revision: this.revision,
      changes: [
        ...plan.tightened.map((c) => ({
          path: changePath(c),
          summary: changeSummary(c),
          strictness: 'tighter' as const,
          appliesAt: null,
          forced: false,
        })),
        ...plan.loosened.map((c) => ({
          path: changePath(c),
          summary: changeSummary(c),
          strictness: 'looser' as const,
          appliesAt: forced ? null : nextReset,
          forced,
        })),
      ],
    };
  }

  // ------------------------------------------------------------------------- pending state

  private readPending(): PendingChanges | undefined {
    let text: string;
    try {
      text = readFileSync(this.pendingFile, 'utf8');
    } catch {
      return undefined;
    }
    try {
      return parsePendingChanges(text);
    } catch (err) {
      this.logger.error(
        { err, file: this.pendingFile },
        'the waiting config changes cannot be read: ignored',
      );
      return undefined;
    }
  }

  private persistPending(state: PendingChanges | undefined): void {
    try {
      if (!state) {
        rmSync(this.pendingFile, { force: true });
        return;
      }
      const tmp = `${this.pendingFile}.tmp`;
      writeFileSync(tmp, serializePendingChanges(state), { mode: 0o600 });
      renameSync(tmp, this.pendingFile);
    } catch (err) {
      this.logger.error({ err, file: this.pendingFile }, 'the waiting config changes could not be saved');
    }
  }
}

type RiskdDaemonEngine = RiskdDaemon['engine'];
