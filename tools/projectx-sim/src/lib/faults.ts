import { ControlError } from './errors.js';

/**
 * A REST fault, applied to the next `count` matching requests (null = until cleared):
 * - `delay`: answer normally after `delayMs`;
 * - `status`: answer HTTP `status` (500, 429 with `Retry-After`, 503, …) without executing;
 * - `hang`: never answer, or destroy the socket after `holdMs` (a client-side timeout);
 * - `dropResponse`: execute the call, then destroy the socket instead of answering;
 * - `errorCode`: answer HTTP 200 `{ success: false, errorCode, errorMessage }` without executing.
 */
export interface RestFaultSpec {
  /** Endpoint below `/api/` (`Position/closeContract`), a full path (`/api/...`), or `*` for all. */
  path: string;
  kind: 'delay' | 'status' | 'hang' | 'dropResponse' | 'errorCode';
  delayMs?: number;
  status?: number;
  /** Retry-After seconds sent with a 429 status fault. Default 1. */
  retryAfterSeconds?: number;
  holdMs?: number | null;
  errorCode?: number;
  errorMessage?: string | null;
  /** How many matching requests to affect. Default 1; null = every one until cleared. */
  count?: number | null;
}

/** A registered REST fault. */
export interface RestFault extends RestFaultSpec {
  id: number;
  /** Requests still to affect (null = unlimited). */
  remaining: number | null;
}

/** A hub-event fault: duplicate or reorder the next `count` events (optionally of one name). */
export interface EventFault {
  target: string | null;
  remaining: number;
}

/** Everything the fault controller holds, as the control API shows it. */
export interface FaultsSnapshot {
  rest: RestFault[];
  rejectCloses: number;
  duplicate: EventFault[];
  reorder: EventFault[];
  frozenContracts: string[];
}

const REST_KINDS = new Set(['delay', 'status', 'hang', 'dropResponse', 'errorCode']);

/** Holds the injected faults; the gateway and the hubs consume them. */
export class FaultController {
  private rest: RestFault[] = [];
  private nextId = 1;
  private duplicate: EventFault[] = [];
  private reorder: EventFault[] = [];
  /** Closes (closeContract and partialCloseContract) still to reject with OrderRejected. */
  rejectCloses = 0;

  addRest(spec: RestFaultSpec): RestFault {
    if (!REST_KINDS.has(spec.kind))
      throw new ControlError('CONTROL_INVALID', `unknown fault kind ${spec.kind}`);
    if (spec.kind === 'status' && (spec.status === undefined || spec.status < 400 || spec.status > 599)) {
      throw new ControlError('CONTROL_INVALID', 'a status fault needs a status between 400 and 599');
    }
    if (spec.kind === 'errorCode' && (spec.errorCode === undefined || !Number.isInteger(spec.errorCode))) {
      throw new ControlError('CONTROL_INVALID', 'an errorCode fault needs an integer errorCode');
    }
    if (spec.kind === 'delay' && !(typeof spec.delayMs === 'number' && spec.delayMs >= 0)) {
      throw new ControlError('CONTROL_INVALID', 'a delay fault needs delayMs >= 0');
    }
    const count = spec.count === undefined ? 1 : spec.count;
    const fault: RestFault = { ...spec, path: normalizePath(spec.path), id: this.nextId++, remaining: count };
    this.rest.push(fault);
    return fault;
  }

  /** Takes the first fault matching an endpoint (`Order/place`), consuming one of its uses. */
  takeRest(endpoint: string): RestFault | undefined {
    const index = this.rest.findIndex((f) => f.path === '*' || f.path === endpoint);
    if (index < 0) return undefined;
    const fault = this.rest[index] as RestFault;
    if (fault.remaining !== null) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.rest.splice(index, 1);
    }
    return fault;
  }

  addDuplicate(target: string | null, count: number): void {
    this.duplicate.push({ target, remaining: count });
  }

  addReorder(target: string | null, count: number): void {
    this.reorder.push({ target, remaining: count });
  }

  /** Whether the next event named `name` is to be duplicated (consumes one use). */
  takeDuplicate(name: string): boolean {
    return take(this.duplicate, name);
  }

  /** Whether the next event named `name` is to be held back behind the following one. */
  takeReorder(name: string): boolean {
    return take(this.reorder, name);
  }

  snapshot(frozenContracts: string[]): FaultsSnapshot {
    return {
      rest: this.rest.map((f) => ({ ...f })),
      rejectCloses: this.rejectCloses,
      duplicate: this.duplicate.map((f) => ({ ...f })),
      reorder: this.reorder.map((f) => ({ ...f })),
      frozenContracts,
    };
  }

  clear(): void {
    this.rest = [];
    this.duplicate = [];
    this.reorder = [];
    this.rejectCloses = 0;
  }
}

function take(list: EventFault[], name: string): boolean {
  const index = list.findIndex((f) => f.target === null || f.target === name);
  if (index < 0) return false;
  const fault = list[index] as EventFault;
  fault.remaining -= 1;
  if (fault.remaining <= 0) list.splice(index, 1);
  return true;
}

/** `/api/Order/place` and `Order/place` both name the endpoint `Order/place`. */
export function normalizePath(path: string): string {
  if (path === '*') return path;
  return path.replace(/^\/?api\//, '').replace(/^\//, '');
}
