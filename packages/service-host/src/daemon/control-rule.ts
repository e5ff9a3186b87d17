import {
  lockoutInForce,
  RULE_API_VERSION,
  type AccountId,
  type AlertSeverity,
  type EngineEvent,
  type LockoutEndSpec,
  type Outcome,
  type RiskdEngine,
  type RuleDecision,
  type RuleEntryConfig,
  type RulePack,
  type Clock,
  type AccountView,
} from '@riskd/core-engine';

/** The rule id and instance key of the daemon's own control rule. */
export const CONTROL_RULE_ID = 'riskd-control';
export const CONTROL_INSTANCE_ID = 'riskd.control';

/** Reason codes of the daemon's own decisions (audit trail, alerts). */
export const CONTROL_CODES = {
  selfLockout: 'SELF_LOCKOUT',
  adminLock: 'ADMIN_LOCK',
  adminFlatten: 'ADMIN_STOP_FLATTEN',
  configFailsafe: 'CONFIG_FAILSAFE',
} as const;

/**
 * A command for the control rule, carried as the payload of a rule timer that is due at once. The
 * engine turns it into a decision like any rule's: merged, lockouts persisted durably before any
 * order, the lockout guard sweeping entry orders, a Clock timer ending the lockout, audit rows and
 * alerts. So the daemon's own actions (self-lockout, the admin's flatten and lock at a stop, the
 * config fail-safe) take the same path as a breach, through the engine's public API.
 */
export interface ControlCommand {
  readonly flatten?: boolean;
  readonly lockout?: LockoutEndSpec;
  readonly code: string;
  readonly reason: string;
  readonly severity?: AlertSeverity;
  readonly data?: Readonly<Record<string, unknown>>;
  /** Do nothing when the account already has an account lockout in force (the fail-safe never replaces one). */
  readonly onlyIfUnlocked?: boolean;
}

/** Shared, mutable switches the control rule reads (the daemon owns them). */
export interface ControlSwitches {
  /** While set, every protected account without an account lockout in force gets the fail-safe lockout. */
  failsafe: { readonly reason: string } | null;
}

function isCommand(value: unknown): value is ControlCommand {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ControlCommand).code === 'string' &&
    typeof (value as ControlCommand).reason === 'string'
  );
}

function hasAccountLockout(account: AccountView, now: number): boolean {
  for (const lockout of account.lockouts.values()) {
    if (lockout.scope.kind === 'account' && lockoutInForce(lockout, now)) return true;
  }
  return false;
}

/** The fail-safe decision: block entries (no flatten) until a valid config is loaded. */
export function failsafeDecision(reason: string): RuleDecision {
  return {
    action: 'none',
    lockout: { scope: { kind: 'account' }, end: { kind: 'condition', condition: 'config-valid' } },
    code: CONTROL_CODES.configFailsafe,
    reason: `config file invalid: entries blocked until a valid config is loaded (${reason})`,
    severity: 'critical',
  };
}

/**
 * The daemon's control rule pack. Its one rule has no options and is added to every protected
 * account by the daemon (never by the config file): it executes {@link ControlCommand}s and, while
 * the config fail-safe is on, locks accounts that have no account lockout in force (a lockout in
 * force is never replaced by the fail-safe, so lifting the fail-safe never lifts another lockout).
 */
export function controlRulePack(switches: ControlSwitches): RulePack {
  return {
    name: '@riskd/service-host',
    version: '0.1.0',
    apiVersion: RULE_API_VERSION,
    rules: [
      {
        id: CONTROL_RULE_ID,
        title: 'Daemon control',
        description:
          "The daemon's own actions: the trader's self-lockout, the admin's flatten and lock at a stop, the config fail-safe.",
        optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
        events: ['timer', 'account'],
        create: () => ({
          evaluate(event: EngineEvent, ctx): readonly RuleDecision[] {
            if (event.kind === 'timer') {
              if (!isCommand(event.payload)) return [];
              const command = event.payload;
              if (command.onlyIfUnlocked && hasAccountLockout(ctx.account, ctx.now)) return [];
              return [
                {
                  action: command.flatten ? 'flatten' : 'none',
                  ...(command.lockout
                    ? { lockout: { scope: { kind: 'account' }, end: command.lockout } }
                    : {}),
                  code: command.code,
                  reason: command.reason,
                  ...(command.severity ? { severity: command.severity } : {}),
                  ...(command.data ? { data: command.data } : {}),
                },
              ];
            }
            const failsafe = switches.failsafe;
            if (failsafe && !hasAccountLockout(ctx.account, ctx.now))
              return [failsafeDecision(failsafe.reason)];
            return [];
          },
        }),
      },
    ],
  };
}

/** The entry the daemon appends to the universal rules (after the file's, so their paths stay). */
export const CONTROL_RULE_ENTRY: RuleEntryConfig = { rule: CONTROL_RULE_ID, id: CONTROL_INSTANCE_ID };

let commandSeq = 0;

/**
 * Issues a command to the control rule of one account and runs it through the engine at once.
 * Returns the engine's outcome (its lockouts and actions).
 */
export function issueControlCommand(
  engine: RiskdEngine,
  clock: Clock,
  accountId: AccountId,
  command: ControlCommand,
): Outcome {
  const now = clock.now();
  const key = `command-${now}-${commandSeq++}`;
  engine.state.ensureAccount(accountId);
  engine.state.ruleTimers(accountId, CONTROL_INSTANCE_ID).set(key, now, command);
  return engine.handle({
    kind: 'timer',
    accountId,
    instanceId: CONTROL_INSTANCE_ID,
    key,
    dueAt: now,
    payload: command,
    brokerTime: null,
    receivedAt: now,
    receivedNs: clock.monotonicNs(),
    origin: 'engine',
  });
}
