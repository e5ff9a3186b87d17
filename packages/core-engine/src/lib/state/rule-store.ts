import type { AccountId, Instant } from '../domain/types.js';
import type { StateNamespace } from '../ports/state-store.js';
import type { RuleInstanceState, RuleTimers } from '../rules/rule-api.js';
import { composeKey } from './state-keys.js';
import { StateValueError } from './state.errors.js';
import type { RuleTimerRecord } from './state-update.js';

/** Where rule state and timers report their changes (the state manager). */
export interface RuleStoreSink {
  persist(ns: StateNamespace, key: string, value: unknown): void;
  timerSet(record: RuleTimerRecord): void;
  timerCancelled(accountId: AccountId, instanceId: string, key: string): void;
}

/** Throws unless `value` is plain JSON (what the state store can keep). */
export function assertJson(value: unknown, path = '$'): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return;
    throw new StateValueError(`${path} is not a finite number`);
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertJson(v, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new StateValueError(`${path} is not a plain object`);
    }
    for (const [k, v] of Object.entries(value)) assertJson(v, `${path}.${k}`);
    return;
  }
  throw new StateValueError(`${path} is not JSON (${typeof value})`);
}

/**
 * A rule instance's persisted key/value state (ns `rule-state`, one record per key). Values are
 * kept by reference: a rule that changes a stored object must `set` it again to have it persisted.
 */
export class RuleStateHandle implements RuleInstanceState {
  private readonly values = new Map<string, unknown>();

  constructor(
    readonly accountId: AccountId,
    readonly instanceId: string,
    private readonly sink: RuleStoreSink,
  ) {}

  get<T = unknown>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    if (value === undefined) {
      this.delete(key);
      return;
    }
    assertJson(value);
    this.values.set(key, value);
    // Wrapped, because a null record value means "delete" to the store.
    this.sink.persist('rule-state', composeKey(this.accountId, this.instanceId, key), { value });
  }

  delete(key: string): void {
    if (this.values.delete(key)) {
      this.sink.persist('rule-state', composeKey(this.accountId, this.instanceId, key), null);
    }
  }

  /** Restores a persisted value without writing it back. */
  restore(key: string, value: unknown): void {
    this.values.set(key, value);
  }

  keys(): IterableIterator<string> {
    return this.values.keys();
  }
}

/**
 * A rule instance's persisted timers (ns `rule-timer`, one record per key). Setting or cancelling
 * one calls the state manager's hooks so the facade schedules it on the Clock.
 */
export class RuleTimersHandle implements RuleTimers {
  private readonly timers = new Map<string, RuleTimerRecord>();

  constructor(
    readonly accountId: AccountId,
    readonly instanceId: string,
    private readonly sink: RuleStoreSink,
  ) {}

  set(key: string, at: Instant, payload?: unknown): void {
    if (!Number.isFinite(at))
      throw new StateValueError(`timer ${JSON.stringify(key)}: invalid instant ${at}`);
    if (payload !== undefined) assertJson(payload);
    const record: RuleTimerRecord = {
      accountId: this.accountId,
      instanceId: this.instanceId,
      key,
      at,
      payload,
    };
    this.timers.set(key, record);
    this.sink.persist('rule-timer', composeKey(this.accountId, this.instanceId, key), record);
    this.sink.timerSet(record);
  }

  cancel(key: string): void {
    if (!this.timers.delete(key)) return;
    this.sink.persist('rule-timer', composeKey(this.accountId, this.instanceId, key), null);
    this.sink.timerCancelled(this.accountId, this.instanceId, key);
  }

  get(key: string): { readonly at: Instant; readonly payload: unknown } | undefined {
    return this.timers.get(key);
  }

  /**
   * A timer event arrived: true (and the timer is gone) when it is the timer as currently set; false
   * when the timer was moved or cancelled since (a stale firing).
   */
  fire(key: string, dueAt: Instant): boolean {
    const timer = this.timers.get(key);
    if (!timer || timer.at !== dueAt) return false;
    this.timers.delete(key);
    this.sink.persist('rule-timer', composeKey(this.accountId, this.instanceId, key), null);
    return true;
  }

  restore(record: RuleTimerRecord): void {
    this.timers.set(record.key, record);
  }

  records(): IterableIterator<RuleTimerRecord> {
    return this.timers.values();
  }
}
