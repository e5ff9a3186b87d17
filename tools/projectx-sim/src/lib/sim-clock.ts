import { ControlError } from './errors.js';

/** `real`: wall time plus an offset that `set`/`advance` move. `manual`: time moves only by control. */
export type ClockMode = 'real' | 'manual';

/** Options of the simulator clock. */
export interface ClockOptions {
  /** Start instant (ISO-8601 or epoch ms). Default: now. */
  start?: string | number;
  /** Default `real`. `manual` freezes time between control calls (useful for deterministic runs). */
  mode?: ClockMode;
}

/** What the control API reports about the clock. */
export interface ClockSnapshot {
  now: string;
  nowMs: number;
  mode: ClockMode;
  offsetMs: number;
}

/**
 * The simulator's one source of time: token expiry, rate-limit windows, order/trade timestamps,
 * quotes and bars all read it. Real time by default; settable and jumpable through the control
 * API. Timers (random walk, paths, pings) run on real time regardless of the clock.
 */
export class SimulatorClock {
  private mode: ClockMode;
  private offsetMs = 0;
  private manualMs = 0;

  constructor(
    options: ClockOptions = {},
    private readonly wallNow: () => number = Date.now,
  ) {
    this.mode = options.mode ?? 'real';
    const start = options.start === undefined ? this.wallNow() : parseInstant(options.start);
    this.manualMs = start;
    this.offsetMs = start - this.wallNow();
  }

  /** Current simulator time in epoch milliseconds. */
  now(): number {
    return this.mode === 'manual' ? this.manualMs : this.wallNow() + this.offsetMs;
  }

  /** Jumps to an instant (ISO-8601 or epoch ms). */
  set(instant: string | number): void {
    const target = parseInstant(instant);
    this.manualMs = target;
    this.offsetMs = target - this.wallNow();
  }

  /** Moves time forward (or backward with a negative value). */
  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new ControlError('CONTROL_INVALID', `advanceMs must be a finite number`);
    this.set(this.now() + ms);
  }

  /** Switches between real and manual time, keeping the current instant. */
  setMode(mode: ClockMode): void {
    const current = this.now();
    this.mode = mode;
    this.set(current);
  }

  snapshot(): ClockSnapshot {
    const nowMs = this.now();
    return { now: new Date(nowMs).toISOString(), nowMs, mode: this.mode, offsetMs: this.offsetMs };
  }
}

/** Parses an ISO-8601 string or epoch milliseconds; throws a ControlError on anything else. */
export function parseInstant(instant: string | number): number {
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (!Number.isFinite(ms)) throw new ControlError('CONTROL_INVALID', `not an instant: ${String(instant)}`);
  return ms;
}
