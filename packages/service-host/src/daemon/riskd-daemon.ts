import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { brokerTopstepXModule, TOPSTEPX_CONFIG, type TopstepXConfig } from '@riskd/broker-topstepx';
import {
  AUDIT_LOG,
  BROKER_GATEWAY,
  CLOCK,
  LOGGER,
  NOTIFICATION_STORE,
  NOTIFIER,
  RiskdEngine,
  RuleRegistry,
  STATE_STORE,
  SystemClock,
  formatLockoutEnd,
  holdInForce,
  lockoutOfHold,
  resolveRuleSet,
  type AuditLog,
  type BrokerGateway,
  type Clock,
  type EnforcementTuning,
  type Fill,
  type ConnectionState,
  type Instant,
  type Lockout,
  type LockoutCondition,
  type Logger,
  type NotificationStore,
  type ResolvedRuleSet,
  type RulesConfig,
  type StartReport,
  type StateStore,
} from '@riskd/core-engine';
import { ChatNotifier, type ChatNotifierOptions, type PermanentFailure } from '@riskd/notifier';
import type { DestinationStream } from 'pino';
import { loadConfigFile, type ConfigEnv, type LoadedConfig } from '../config/config-loader.js';
import type { RiskdConfig } from '../config/config-schema.js';
import { createRootLogger, type ConsoleFormat, type RootLogger } from '../logging/root-logger.js';
import { StorageModule } from '../storage/storage.module.js';
import { listen } from '../api/server.js';
import { buildApp } from '../api/app.js';
import { Housekeeping, outboxPruneTask } from '../schedules/housekeeping.js';
import { ResetCatchUp } from '../schedules/reset-catch-up.js';
import { RiskdScheduler } from '../schedules/riskd-scheduler.js';
import { SessionWatch } from '../schedules/session-watch.js';
import { AccountMonitor } from './account-monitor.js';
import { BUILTIN_RULE_PACKS } from './builtin-packs.js';
import { ConfigController } from './config-controller.js';
import { DaemonControlPlane } from './daemon-control-plane.js';
import { AuditTee } from './audit-tee.js';
import { chatChannels } from './chat-channels.js';
import { ConnectionAlerts } from './connection-alerts.js';
import { CompositionRoot, type HostModule, type RequiredToken } from './composition-root.js';
import {
  CONTROL_RULE_ENTRY,
  controlRulePack,
  issueControlCommand,
  type ControlCommand,
  type ControlSwitches,
} from './control-rule.js';
import { EventHub } from './event-hub.js';
import { EXIT_CODES } from './exit-codes.js';
import { describeError } from './host-errors.js';
import {
  ENGINE_RULE_REGISTRY,
  ENGINE_RULE_SET,
  EVENT_HUB,
  LOADED_CONFIG,
  MARKET_CALENDAR,
  RISKD_ENGINE,
  ROOT_LOGGER,
} from './host-tokens.js';
import { LogAndStreamNotifier } from './log-notifier.js';
import { RunMarker, type PreviousRun } from './run-marker.js';
import { SwitchableCalendar } from './switchable-calendar.js';
import { RISKD_VERSION } from './version.js';
import { accountSummary, alertWire } from './wire-mappers.js';

/** Options of {@link RiskdDaemon}. */
export interface RiskdDaemonOptions {
  /** The config file. */
  readonly configPath: string;
  /** Where `...Env` secrets are read (default `process.env`). */
  readonly env?: ConfigEnv;
  /**
   * The Clock. Production uses the system clock; only tests that start the daemon in-process pass
   * a fake one (the `riskd` command has no way to set it).
   */
  readonly clock?: Clock;
  /** Config, database, logs, run marker. Default: the config file's folder. */
  readonly dataDir?: string;
  /** Console log format (default: pretty on a TTY, else JSON, on stderr). */
  readonly console?: ConsoleFormat;
  /** Extra log destinations (tests capture logs in memory). */
  readonly logStreams?: readonly DestinationStream[];
  /** Write log files under `<dataDir>/logs` (default true). */
  readonly logFiles?: boolean;
  /** Replaces the TopstepX gateway (tests: core-engine's FakeBroker). */
  readonly broker?: BrokerGateway;
  /** Overrides of the adapter's settings (benchmarks: rate limits off). */
  readonly brokerOverrides?: Partial<TopstepXConfig>;
  /** Overrides the config's `api.port` (0: any free port); null: no API at all. */
  readonly apiPort?: number | null;
  /** When the API port is taken, listen on a free port instead (the demo). Default false. */
  readonly apiPortFallback?: boolean;
  /** Run the node-cron jobs (default true; in-process tests call the jobs themselves). */
  readonly schedules?: boolean;
  /** The exit status of an admin stop (default 78; launchd runs it with 0). */
  readonly adminStopExitCode?: number;
  /** Enforcement tuning and persistence interval passed to the engine. */
  readonly engine?: { readonly enforcement?: EnforcementTuning; readonly persistIntervalMs?: number };
  /**
   * Runs as the Windows service (node-windows wrapper, which restarts whatever exits): an admin
   * stop stops the service itself first.
   */
  readonly windowsService?: boolean;
  /** Storage writer batching (benchmarks). */
  readonly storage?: { readonly batchMs?: number; readonly synchronous?: 'normal' | 'full' };
  /** Chat delivery tuning (tests shorten the coalescing window and the backoff). */
  readonly chat?: Pick<
    ChatNotifierOptions,
    'coalesceWindowMs' | 'initialBackoffMs' | 'maxBackoffMs' | 'giveUpAfterMs' | 'requestTimeoutMs' | 'fetch'
  >;
}

/** Why the daemon wants the process to end (admin stop) or to start afresh (admin restart). */
export interface ExitRequest {
  readonly code: number;
  readonly reason: string;
  readonly restart: boolean;
}

/** What the daemon reports once it protects the accounts. */
export interface ReadyInfo {
  readonly bootId: string;
  readonly apiUrl: string | null;
  readonly accounts: number;
  readonly protectedAccounts: number;
  readonly start: StartReport;
  readonly restart: RestartReport;
}

/** What happened between the previous run and this start. */
export interface RestartReport {
  readonly uncleanShutdown: boolean;
  /** When the previous run was last seen alive (null on a first or clean start, or unknown). */
  readonly downSince: Instant | null;
  readonly upAt: Instant;
  /** Fills that happened while the daemon was down (from the broker's snapshot). */
  readonly fillsReconciled: number;
  /** Decisions taken while starting (restored lockouts, breaches found in the snapshot). */
  readonly actionsOnStart: number;
  readonly resetsCaughtUp: number;
  readonly intentsRestored: number;
}

/** Required services and the module that provides each (the start-up check). */
const REQUIRED: readonly RequiredToken[] = [
  { token: CLOCK, name: 'Clock', providedBy: 'instances (clock)' },
  { token: LOGGER, name: 'Logger', providedBy: 'instances (logger)' },
  { token: LOADED_CONFIG, name: 'LoadedConfig', providedBy: 'instances (config)' },
  { token: MARKET_CALENDAR, name: 'MarketCalendar', providedBy: 'instances (calendar)' },
  { token: STATE_STORE, name: 'StateStore', providedBy: 'storage' },
  { token: AUDIT_LOG, name: 'AuditLog', providedBy: 'storage' },
  { token: NOTIFIER, name: 'Notifier', providedBy: 'notifier' },
  { token: EVENT_HUB, name: 'EventHub', providedBy: 'notifier' },
  { token: BROKER_GATEWAY, name: 'BrokerGateway', providedBy: 'broker' },
  { token: ENGINE_RULE_REGISTRY, name: 'RuleRegistry', providedBy: 'rules' },
  { token: ENGINE_RULE_SET, name: 'ResolvedRuleSet', providedBy: 'rules' },
  { token: RISKD_ENGINE, name: 'RiskdEngine', providedBy: 'engine' },
];

/** The adapter's settings from the config's `broker` section. */
export function topstepXConfig(config: RiskdConfig, overrides: Partial<TopstepXConfig> = {}): TopstepXConfig {
  const b = config.broker;
  const rl = b.rateLimit;
  const rateLimit =
    rl === undefined
      ? undefined
      : {
          ...(rl.limit === null ? { limit: Infinity } : rl.limit !== undefined ? { limit: rl.limit } : {}),
          ...(rl.windowMs !== undefined ? { windowMs: rl.windowMs } : {}),
          ...(rl.snapshotReserve !== undefined ? { snapshotReserve: rl.snapshotReserve } : {}),
        };
  return {
    apiUrl: b.apiUrl,
    userHubUrl: b.userHubUrl,
    marketHubUrl: b.marketHubUrl,
    userName: b.userName,
    apiKey: b.apiKey,
    staleQuoteMs: b.staleQuoteSeconds * 1000,
    ...(rateLimit ? { rateLimit } : {}),
    ...overrides,
  };
}

/** The rules the engine runs: the config's (as in force) plus the daemon's control rule. */
export function engineRulesConfig(config: Pick<RiskdConfig, 'rules' | 'accounts'>): RulesConfig {
  return { rules: [...config.rules, CONTROL_RULE_ENTRY], accounts: config.accounts };
}

/**
 * The riskd daemon: loads and validates the config (refusing to start with every problem
 * listed), builds the composition root (instances, then storage, notifier, broker, rules, engine,
 * schedules and the control API as modules), starts them in order (restore, missed resets,
 * broker snapshot, intents, then ready), and stops them in reverse. It records an unclean
 * shutdown of the previous run and alerts about it.
 */
export class RiskdDaemon {
  readonly bootId = randomUUID();
  readonly clock: Clock;
  readonly dataDir: string;
  phase: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' = 'created';
  startedAt: Instant | null = null;
  readyAt: Instant | null = null;

  // Set during start().
  root!: RootLogger;
  logger!: Logger;
  loaded!: LoadedConfig;
  /** The config in force (the rule-change discipline may hold loosenings back). */
  inForce!: RiskdConfig;
  calendar!: SwitchableCalendar;
  storage!: StorageModule;
  hub!: EventHub;
  notifier!: LogAndStreamNotifier;
  /** Discord and Telegram delivery through the durable outbox. */
  chat!: ChatNotifier;
  tee!: AuditTee;
  broker!: BrokerGateway;
  engine!: RiskdEngine;
  engineRegistry!: RuleRegistry;
  ruleSet!: ResolvedRuleSet;
  monitor!: AccountMonitor;
  marker!: RunMarker;
  readonly switches: ControlSwitches = { failsafe: null };
  restartReport: RestartReport | null = null;
  apiUrl: string | null = null;
  config!: ConfigController;
  controlPlane!: DaemonControlPlane;
  scheduler: RiskdScheduler | undefined;
  resetCatchUp!: ResetCatchUp;
  sessionWatch!: SessionWatch;
  housekeeping!: Housekeeping;
  private connectionAlerts: ConnectionAlerts | undefined;
  /** The broker connection as last seen, and since when. */
  brokerState: { state: ConnectionState; since: Instant | null } = { state: 'disconnected', since: null };

  private composition: CompositionRoot | undefined;
  private readonly extraModules: HostModule[] = [];
  private exitResolve!: (request: ExitRequest) => void;
  /** Resolves when the admin asked the daemon to stop or restart (the `run` command waits on it). */
  readonly exitRequested: Promise<ExitRequest>;
  private exitRequest: ExitRequest | null = null;
  private stopping: Promise<void> | undefined;

  constructor(readonly options: RiskdDaemonOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.dataDir = path.resolve(options.dataDir ?? path.dirname(path.resolve(options.configPath)));
    this.exitRequested = new Promise((resolve) => (this.exitResolve = resolve));
  }

  /** The exit status of an admin stop. */
  get adminStopExitCode(): number {
    return this.options.adminStopExitCode ?? EXIT_CODES.ADMIN_STOP;
  }

  /** Adds a module started after the engine (schedules, the API); called before `start()`. */
  addModule(module: HostModule): this {
    this.extraModules.push(module);
    return this;
  }

  /** Loads the config file: refuses with every problem listed when it is invalid. */
  async loadConfig(): Promise<LoadedConfig> {
    return loadConfigFile(this.options.configPath, {
      ...(this.options.env ? { env: this.options.env } : {}),
      builtinPacks: [...BUILTIN_RULE_PACKS],
      dataDir: this.dataDir,
    });
  }

  /**
   * Starts every module in order and resolves once the accounts are protected. A failure names
   * the module and its cause (and stops what had started).
   */
  async start(): Promise<ReadyInfo> {
    if (this.phase !== 'created') throw new Error(`daemon already ${this.phase}`);
    this.phase = 'starting';
    this.startedAt = this.clock.now();
    this.loaded = await this.loadConfig();
    this.inForce = this.loaded.config;
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    this.root = await createRootLogger({
      level: this.inForce.logging.level,
      ...(this.options.logFiles === false ? {} : { logDir: path.join(this.dataDir, 'logs') }),
      ...(this.options.console ? { console: this.options.console } : {}),
      ...(this.options.logStreams ? { streams: this.options.logStreams } : {}),
      clock: this.clock,
      base: { name: 'riskd', bootId: this.bootId },
    });
    if (this.inForce.logging.verbose) this.root.setVerbose(true);
    this.logger = this.root.logger.child({ component: 'daemon' });
    for (const warning of this.loaded.warnings)
      this.logger.warn({ path: warning.path, code: warning.code }, warning.message);

    this.marker = new RunMarker(this.dataDir, this.clock);
    const previous = this.marker.previousRun();
    this.calendar = new SwitchableCalendar(this.inForce.tradingDay);

    const composition = new CompositionRoot(this.root.logger.child({ component: 'composition' }));
    this.composition = composition;
    composition
      .instance(CLOCK, this.clock)
      .instance(LOGGER, this.root.logger)
      .instance(ROOT_LOGGER, this.root)
      .instance(LOADED_CONFIG, this.loaded)
      .instance(MARKET_CALENDAR, this.calendar);
    try {
      composition
        .use(this.storageModule())
        .use(this.notifierModule())
        .use(this.brokerModule())
        .use(this.rulesModule())
        .use(this.engineModule(previous))
        .use(this.configModule())
        .use(this.schedulesModule());
      for (const module of this.extraModules) composition.use(module);
      if (this.options.apiPort !== null) composition.use(this.apiModule());
      composition.check(REQUIRED);
      await composition.start();
    } catch (err) {
      this.phase = 'stopped';
      this.logger.fatal({ err }, `riskd did not start: ${describeError(err)}`);
      await this.root.flush();
      await this.root.close();
      throw err;
    }
    this.marker.begin(this.bootId);
    this.phase = 'running';
    this.readyAt = this.clock.now();
    const accounts = [...this.engine.state.accounts.all()];
    const protectedCount = accounts.filter((a) => this.isProtected(a.accountId)).length;
    const info: ReadyInfo = {
      bootId: this.bootId,
      apiUrl: this.apiUrl,
      accounts: accounts.length,
      protectedAccounts: protectedCount,
      start: this.startReport as StartReport,
      restart: this.restartReport as RestartReport,
    };
    this.logger.info(
      {
        apiUrl: this.apiUrl,
        accounts: info.accounts,
        protectedAccounts: protectedCount,
        bootId: this.bootId,
      },
      'riskd ready',
    );
    this.notifier.notify({
      id: `daemon:daemon-started:${this.bootId}`,
      at: this.readyAt,
      severity: 'info',
      kind: 'daemon-started',
      code: 'DAEMON_STARTED',
      title: 'Riskd started',
      message: `Riskd ${RISKD_VERSION} protects ${protectedCount} of ${accounts.length} accounts.`,
      fields: {
        version: RISKD_VERSION,
        accounts: String(accounts.length),
        protected: String(protectedCount),
      },
    });
    return info;
  }

  private startReport: StartReport | undefined;

  /** Whether Riskd protects an account (not configured `enabled: false`). */
  isProtected(accountId: number): boolean {
    const name = this.engine.state.account(accountId)?.account?.name;
    return this.ruleSet.forAccount(accountId, name).protected;
  }

  /** Stops every module in reverse order: drains enforcement, flushes the audit trail, closes storage. */
  stop(reason = 'stop requested'): Promise<void> {
    this.stopping ??= this.doStop(reason);
    return this.stopping;
  }

  private async doStop(reason: string): Promise<void> {
    if (this.phase === 'stopped' || this.phase === 'created') return;
    this.phase = 'stopping';
    this.logger.info({ reason }, 'riskd stopping');
    this.connectionAlerts?.stop();
    if (this.readyAt !== null) {
      this.notifier.notify({
        id: `daemon:daemon-stopped:${this.bootId}`,
        at: this.clock.now(),
        severity: 'warning',
        kind: 'daemon-stopped',
        code: 'DAEMON_STOPPED',
        title: 'Riskd stopped',
        message: `Riskd stopped (${reason}); the accounts are not protected until it runs again.`,
        fields: { reason },
      });
    }
    await this.composition?.stop();
    this.marker.end();
    this.phase = 'stopped';
    this.logger.info({ reason }, 'riskd stopped');
    await this.root.flush();
    await this.root.close();
  }

  /**
   * Simulates a crash for in-process tests: the run marker keeps its last heartbeat (as after a
   * kill -9) while timers, connections and storage are closed so the next daemon can start.
   */
  async crashForTest(): Promise<void> {
    this.marker.abandon();
    this.stopping ??= (async () => {
      this.phase = 'stopping';
      await this.composition?.stop();
      this.phase = 'stopped';
      await this.root.close();
    })();
    await this.stopping;
  }

  /** Asks the process to stop (or restart); the `run` command acts on it. */
  requestExit(request: ExitRequest): boolean {
    if (this.exitRequest) return false;
    this.exitRequest = request;
    this.exitResolve(request);
    return true;
  }

  get exitPending(): ExitRequest | null {
    return this.exitRequest;
  }

  /** Runs a control command on every protected account (or one). */
  command(accountId: number, command: ControlCommand): ReturnType<typeof issueControlCommand> {
    return issueControlCommand(this.engine, this.clock, accountId, command);
  }

  /** Resolves the engine's rule set from a config (its rules and accounts). */
  resolveEngineRuleSet(config: Pick<RiskdConfig, 'rules' | 'accounts'>): ResolvedRuleSet {
    return resolveRuleSet(this.engineRegistry, engineRulesConfig(config));
  }

  // ------------------------------------------------------------------------------------ modules

  private storageModule(): HostModule {
    return {
      name: 'storage',
      register: (container) => {
        this.storage = new StorageModule({
          url: this.inForce.storage.url,
          logger: this.root.logger,
          clock: this.clock,
          ...(this.options.storage?.batchMs !== undefined ? { batchMs: this.options.storage.batchMs } : {}),
          ...(this.options.storage?.synchronous ? { synchronous: this.options.storage.synchronous } : {}),
        });
        this.storage.register(container);
      },
      start: () => this.storage.start(),
      stop: () => this.storage.stop(),
    };
  }

  private notifierModule(): HostModule {
    return {
      name: 'notifier',
      register: (container) => {
        this.hub = new EventHub(this.root.logger.child({ component: 'live-events' }));
        const logger = this.root.logger.child({ component: 'notifier' });
        this.chat = new ChatNotifier({
          store: container.resolve<NotificationStore>(NOTIFICATION_STORE),
          clock: this.clock,
          logger,
          channels: chatChannels(this.inForce.notifications),
          timeZone: this.inForce.tradingDay.timezone,
          ...this.options.chat,
          onPermanentFailure: (failure) => this.notificationFailed(failure),
        });
        this.notifier = new LogAndStreamNotifier(this.root.logger, this.hub, this.chat);
        container.register(EVENT_HUB, { useValue: this.hub });
        container.register(NOTIFIER, { useValue: this.notifier });
      },
      start: () => this.chat.start(),
      stop: () => this.chat.stop(),
    };
  }

  /** The config's notification channels or trading-day zone changed (hot reload): deliver accordingly. */
  notificationsChanged(): void {
    this.chat.setChannels(chatChannels(this.inForce.notifications), this.inForce.tradingDay.timezone);
  }

  /**
   * A chat channel failed for good (or refused a message): the notifier has told the admin
   * channels; the audit trail, the log and the live stream get it here.
   */
  private notificationFailed(failure: PermanentFailure): void {
    const what =
      failure.scope === 'channel'
        ? `notification channel "${failure.channel}" (${failure.type}) failed for good and gets nothing more until the config changes`
        : `notification channel "${failure.channel}" (${failure.type}) refused a message`;
    const reason = `${what}: ${failure.reason}`;
    this.tee.append({
      at: failure.at,
      kind: 'system',
      code: 'NOTIFICATION_FAILED',
      reason,
      data: { ...failure },
    });
    this.hub.publish({
      type: 'alert',
      alert: alertWire({
        id: `daemon:notification-failed:${failure.channel}:${failure.at}`,
        at: failure.at,
        severity: 'critical',
        kind: 'notification-failed',
        code: 'NOTIFICATION_FAILED',
        title: `Notification channel ${failure.channel} failed`,
        message: reason,
      }),
    });
  }

  private brokerModule(): HostModule {
    return {
      name: 'broker',
      register: (container) => {
        if (this.options.broker) {
          container.register(BROKER_GATEWAY, { useValue: this.options.broker });
          return;
        }
        container.register(TOPSTEPX_CONFIG, {
          useValue: {
            ...topstepXConfig(this.inForce, this.options.brokerOverrides),
            calendar: this.calendar,
          },
        });
        brokerTopstepXModule.register(container);
      },
      // The engine connects the broker in its own start (restore first, then the snapshot).
    };
  }

  private rulesModule(): HostModule {
    return {
      name: 'rules',
      register: (container) => {
        this.engineRegistry = new RuleRegistry([
          ...this.loaded.registry.packs,
          controlRulePack(this.switches),
        ]);
        // The discipline may hold loosenings back across a restart: the rules in force are its.
        this.config = new ConfigController(this);
        this.inForce = this.config.inForce;
        this.calendar.replace(this.inForce.tradingDay);
        this.ruleSet = this.resolveEngineRuleSet(this.inForce);
        container.register(ENGINE_RULE_REGISTRY, { useValue: this.engineRegistry });
        container.register(ENGINE_RULE_SET, { useValue: this.ruleSet });
      },
    };
  }

  private engineModule(previous: PreviousRun): HostModule {
    let fillsWhileDown = 0;
    return {
      name: 'engine',
      register: (container) => {
        const hub = container.resolve(EVENT_HUB);
        this.broker = container.resolve(BROKER_GATEWAY);
        this.tee = new AuditTee(
          container.resolve<AuditLog>(AUDIT_LOG),
          hub,
          (id) => this.engine?.state.contract(id)?.symbol,
        );
        this.tee.onAppend((entry) => {
          if (this.phase !== 'running') return;
          if (entry.kind === 'reset') this.config.onReset();
          if (entry.kind === 'lockout-ended') {
            const lockout = (entry.data as { lockout?: Lockout } | undefined)?.lockout;
            if (lockout) this.config.lockoutEnded(lockout);
          }
        });
        this.connectionAlerts = new ConnectionAlerts({
          clock: this.clock,
          notifier: container.resolve(NOTIFIER),
          runId: this.bootId,
        });
        this.broker.onEvent((event) => {
          if (event.kind !== 'connection') return;
          const state = this.broker.connectionState();
          if (state !== this.brokerState.state) this.brokerState = { state, since: this.clock.now() };
          if (this.phase === 'running') this.connectionAlerts?.update(state);
        });
        const downSince = previous.clean ? null : (previous.previous?.aliveAt ?? null);
        // Counts the fills the broker reports from while the daemon was down (the restart report).
        const broker = new Proxy(this.broker, {
          get(target, prop, receiver) {
            if (prop === 'fillsSince') {
              return async (accountId: number, since: Instant): Promise<readonly Fill[]> => {
                const fills = await target.fillsSince(accountId, since);
                if (downSince !== null) fillsWhileDown += fills.filter((f) => f.time > downSince).length;
                return fills;
              };
            }
            const value = Reflect.get(target, prop, receiver) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        });
        this.engine = new RiskdEngine({
          clock: this.clock,
          logger: container.resolve(LOGGER),
          broker,
          store: container.resolve<StateStore>(STATE_STORE),
          audit: this.tee,
          notifier: container.resolve(NOTIFIER),
          calendar: container.resolve(MARKET_CALENDAR),
          ruleSet: container.resolve(ENGINE_RULE_SET),
          includeFees: this.inForce.includeFees,
          ...(this.options.engine?.enforcement ? { enforcement: this.options.engine.enforcement } : {}),
          ...(this.options.engine?.persistIntervalMs !== undefined
            ? { persistIntervalMs: this.options.engine.persistIntervalMs }
            : {}),
        });
        container.register(RISKD_ENGINE, { useValue: this.engine });
        this.monitor = new AccountMonitor({
          clock: this.clock,
          hub,
          accounts: () => this.engine.state.accounts.all(),
          onNewAccount: () => this.recordAccountsSeen(),
          summary: (view) =>
            accountSummary(
              view,
              {
                protected: this.isProtected(view.accountId),
                alertOnly: this.engine.enforcement.isAlertOnly(view.accountId),
              },
              this.clock.now(),
            ),
        });
      },
      start: async () => {
        const decisionsBefore = this.tee.counts['decision'] ?? 0;
        const report = await this.engine.start();
        this.startReport = report;
        const upAt = this.clock.now();
        this.restartReport = {
          uncleanShutdown: !previous.clean,
          downSince: previous.clean ? null : (previous.previous?.aliveAt ?? null),
          upAt,
          fillsReconciled: fillsWhileDown,
          actionsOnStart: (this.tee.counts['decision'] ?? 0) - decisionsBefore,
          resetsCaughtUp: report.resetsCaughtUp,
          intentsRestored: report.intentsRestored,
        };
        this.brokerState = { state: this.broker.connectionState(), since: this.clock.now() };
        this.recordRestart(this.restartReport);
        this.monitor.start();
      },
      stop: async () => {
        this.monitor.stop();
        await this.engine.stop();
      },
    };
  }

  private configModule(): HostModule {
    return {
      name: 'config',
      register: () => undefined,
      start: () => this.config.afterEngineStart(),
      stop: () => this.config.stop(),
    };
  }

  private schedulesModule(): HostModule {
    return {
      name: 'schedules',
      register: () => {
        const logger = this.root.logger;
        this.resetCatchUp = new ResetCatchUp({
          clock: this.clock,
          calendar: this.calendar,
          lastResetAt: () => this.engine.state.lastResetAt,
          applyReset: (at) => this.applyReset(at, 'schedule safety net'),
          logger,
        });
        this.sessionWatch = new SessionWatch({
          clock: this.clock,
          calendar: this.calendar,
          logger,
          onTransition: (t) =>
            this.tee.append({
              at: t.at,
              kind: 'system',
              code: t.open ? 'MARKET_OPEN' : 'MARKET_CLOSED',
              reason: t.open
                ? `market session open until ${t.next === null ? 'unknown' : new Date(t.next).toISOString()}`
                : `market closed; next session ${t.next === null ? 'unknown' : new Date(t.next).toISOString()}`,
              data: { boundary: t.boundary, next: t.next, earlyClose: t.earlyClose },
            }),
        });
        this.housekeeping = new Housekeeping(this.clock, logger)
          .add({ name: 'state-flush', run: () => this.engine.persistNow() })
          .add({ name: 'accounts-seen', run: () => this.recordAccountsSeen() })
          .add({ name: 'audit-flush', run: () => this.tee.flush() })
          .add({ name: 'log-flush', run: () => this.root.flush() })
          .add(outboxPruneTask({ store: this.storage.notifications, clock: this.clock, logger }));
        if (this.options.schedules === false) return;
        this.scheduler = new RiskdScheduler({
          clock: this.clock,
          timezone: this.calendar.timezone,
          logger,
          targets: {
            resetCheck: () => this.resetCatchUp.check(),
            sessionCheck: () => this.sessionWatch.check(),
            housekeeping: () => this.housekeeping.run(),
          },
        });
      },
      start: () => {
        this.sessionWatch.check();
        this.scheduler?.start();
      },
      stop: () => this.scheduler?.stop(),
    };
  }

  private apiModule(): HostModule {
    let app: ReturnType<typeof buildApp> | undefined;
    return {
      name: 'api',
      register: () => {
        this.controlPlane = new DaemonControlPlane(this);
        app = buildApp(this.controlPlane, {
          clock: this.clock,
          loggerInstance: this.root.pino.child({ component: 'api' }),
          version: RISKD_VERSION,
        });
      },
      start: async () => {
        if (!app) return;
        const port = this.options.apiPort ?? this.inForce.api.port;
        try {
          this.apiUrl = (await listen(app, { port })).url;
        } catch (err) {
          if (!this.options.apiPortFallback || port === 0) throw err;
          this.logger.warn({ port, err }, `port ${port} is taken: the API listens on a free port instead`);
          this.apiUrl = (await listen(app, { port: 0 })).url;
        }
      },
      stop: async () => {
        await app?.close();
      },
    };
  }

  private accountsSeenWrite: Promise<void> | undefined;

  /** Records the accounts the broker reported (storage's accounts-seen), at most one write at a time. */
  recordAccountsSeen(): Promise<void> {
    if (this.accountsSeenWrite) return this.accountsSeenWrite;
    const accounts = [...this.engine.state.accounts.all()].flatMap((v) =>
      v.account ? [{ id: v.accountId, name: v.account.name, simulated: v.account.simulated }] : [],
    );
    this.accountsSeenWrite = this.storage.accounts
      .touch(accounts)
      .catch((err: unknown) => this.logger.error({ err }, 'accounts seen could not be recorded'))
      .finally(() => (this.accountsSeenWrite = undefined));
    return this.accountsSeenWrite;
  }

  /** Applies a trading-day reset the engine's own timer missed (the schedule safety net). */
  private applyReset(at: Instant, by: string): void {
    this.engine.handle({
      kind: 'reset',
      at,
      weekStart: this.calendar.weekStartAt(at) === at,
      brokerTime: null,
      receivedAt: this.clock.now(),
      receivedNs: this.clock.monotonicNs(),
      origin: 'engine',
    });
    this.tee.append({
      at: this.clock.now(),
      kind: 'reset',
      reason: `trading day ${this.calendar.tradingDayAt(at).id} started (applied by the ${by})`,
      data: { resetAt: at, by },
    });
  }

  /**
   * Lifts a lockout outside its own end: an admin clear (with a reason) ends the whole lockout,
   * every hold included, and says so; the config fail-safe lifting or a config change that
   * unblocks a symbol ends only the hold of that condition (`by.cleared`, by default the
   * lockout's own end condition), and when another hold remains the lockout continues as it,
   * rewritten durably with its end timer. Audited (a `lockout-ended` row per ended hold, with
   * `continuesAs` when the scope stays locked), alerted and published.
   */
  liftLockout(
    lockout: Lockout,
    why: string,
    by: { kind: 'admin' | 'config'; actor: string; cleared?: LockoutCondition },
  ): void {
    const cleared = by.cleared ?? (lockout.end.kind === 'condition' ? lockout.end.condition : undefined);
    const result = this.engine.releaseLockout(
      lockout.id,
      by.kind === 'admin' ? { all: true } : cleared ? { cleared } : {},
    );
    if (!result || result.ended.length === 0) return;
    const now = this.clock.now();
    const before = result.lockout;
    const scope = before.scope.kind === 'account' ? 'account' : `symbol ${before.scope.symbol}`;
    const clearedBy = { kind: by.kind, actor: by.actor };
    if (by.kind === 'admin') {
      // The primary comes first; holds whose instant already passed no longer locked anything.
      const others = result.ended.slice(1).filter((h) => holdInForce(h, now));
      const what =
        others.length === 0
          ? `lockout of ${scope} (${before.code})`
          : `lockout of ${scope} (${before.code}) and its other holds (${others.map((h) => `${h.code} ${formatLockoutEnd(h.end)}`).join(', ')})`;
      const reason = `${what} cleared by the admin: ${why}`;
      this.tee.append({
        at: now,
        kind: 'lockout-ended',
        accountId: before.accountId,
        ruleId: before.ruleId,
        instanceId: before.instanceId,
        code: before.code,
        reason,
        data: { lockout: before, clearedBy, why },
      });
      this.notifier.notify({
        id: `daemon:lockout-lifted:${before.id}:${now}`,
        at: now,
        severity: 'warning',
        kind: 'lockout-cleared',
        accountId: before.accountId,
        ruleId: before.ruleId,
        code: before.code,
        title: 'Lockout cleared by the admin',
        message: reason,
      });
      return;
    }
    const remaining = result.remaining;
    for (const [i, hold] of result.ended.entries()) {
      const still = remaining
        ? `; the ${scope} stays locked ${formatLockoutEnd(remaining.end)} by ${remaining.code}`
        : '';
      const reason = `lockout of ${scope} (${hold.code}) lifted: ${why}${still}`;
      const ended = result.ended.length === 1 && !remaining ? before : lockoutOfHold(before, hold);
      this.tee.append({
        at: now,
        kind: 'lockout-ended',
        accountId: before.accountId,
        ruleId: hold.ruleId,
        instanceId: hold.instanceId,
        code: hold.code,
        reason,
        data: { lockout: ended, ...(remaining ? { continuesAs: remaining } : {}), clearedBy, why },
      });
      this.notifier.notify({
        id: `daemon:lockout-lifted:${before.id}:${now}${i === 0 ? '' : `:${i}`}`,
        at: now,
        severity: 'info',
        kind: 'lockout-ended',
        accountId: before.accountId,
        ruleId: hold.ruleId,
        code: hold.code,
        title: remaining
          ? `Still locked ${formatLockoutEnd(remaining.end)} by ${remaining.code}`
          : 'Lockout lifted',
        message: reason,
      });
    }
  }

  private recordRestart(report: RestartReport): void {
    const fields = {
      downSince: report.downSince === null ? null : new Date(report.downSince).toISOString(),
      upAt: new Date(report.upAt).toISOString(),
      fillsReconciled: report.fillsReconciled,
      actionsOnStart: report.actionsOnStart,
      resetsCaughtUp: report.resetsCaughtUp,
      intentsRestored: report.intentsRestored,
    };
    if (!report.uncleanShutdown) {
      this.logger.info(fields, 'started');
      return;
    }
    const down = report.downSince === null ? 'an unknown time' : fields.downSince;
    const message = `unclean shutdown, down from ${down} to ${fields.upAt}, ${report.fillsReconciled} fills reconciled, ${report.actionsOnStart} actions taken on start`;
    this.tee.append({
      at: report.upAt,
      kind: 'system',
      code: 'UNCLEAN_SHUTDOWN',
      reason: message,
      data: fields,
    });
    this.notifier.notify({
      id: `daemon:restart-report:${this.bootId}`,
      at: report.upAt,
      severity: 'critical',
      kind: 'restart-report',
      code: 'UNCLEAN_SHUTDOWN',
      title: 'Riskd restarted after an unclean shutdown',
      message,
    });
  }
}
