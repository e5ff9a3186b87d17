import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { AuditEntry, Clock, Logger, StateRecord } from '@riskd/core-engine';
import { canonicalJson } from './audit-chain.mjs';
import { auditCheckpointPath } from './storage-paths.js';
import { StorageNotStartedError, StorageValueError, StorageWriterError } from './storage.errors.js';
import type {
  AuditOp,
  FromWorker,
  NotifyCommand,
  NotifyOp,
  StateOp,
  ToWorker,
  WriterConfig,
  WriterFault,
  WriterHead,
  WriterOp,
} from './storage-writer.protocol.js';

/** Options of {@link StorageWriter}. */
export interface StorageWriterOptions {
  /** The SQLite file (migrations already applied). */
  readonly dbPath: string;
  /** The audit checkpoint file (default: {@link auditCheckpointPath} of `dbPath`). */
  readonly checkpointPath?: string;
  readonly logger: Logger;
  /** Stamps `createdAt`/`updatedAt` of what is written. */
  readonly clock: Clock;
  /**
   * SQLite `synchronous` of the writer's connection. `normal` (default): a commit survives a
   * crash of the process (kill -9) but the last commits may be lost on a power cut; `full` also
   * fsyncs the WAL and the checkpoint file on every commit (slower durable writes).
   */
  readonly synchronous?: 'normal' | 'full';
  /** Non-durable writes wait at most this long for their commit (default 50 ms). */
  readonly batchMs?: number;
  /** A commit is made as soon as this many operations wait (default 2,000). */
  readonly batchMaxOps?: number;
  /** Worker restarts allowed without a commit in between before the writer gives up (default 3). */
  readonly maxRestarts?: number;
  /** Fault injection for tests (first worker only). */
  readonly fault?: WriterFault;
}

/** What a committed batch reports to {@link StorageWriter.onCommit} listeners. */
export interface CommitInfo {
  readonly ops: number;
  readonly auditRows: number;
  readonly head: WriterHead;
  /** Time spent in the transaction, ms. */
  readonly ms: number;
}

/** Counters since start. */
export interface StorageWriterStats {
  readonly batches: number;
  readonly ops: number;
  readonly auditRows: number;
  readonly failedOps: number;
  readonly restarts: number;
  readonly head: WriterHead | null;
}

interface Waiter {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

type WriterState = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'broken';

const STOP_TIMEOUT_MS = 10_000;

/**
 * The storage writer: a worker thread with its own SQLite connection (WAL) that applies engine
 * state writes, audit appends and notification changes in call order. Calls are queued on this
 * thread and posted once per tick (a durable write or a flush posts at once); the worker commits
 * them in batches.
 * A durable write resolves once its transaction, holding every earlier write, is committed.
 * If the worker dies, a new one is started and the writes it had not committed are sent again
 * (the WriterMark row tells which were), so nothing is lost or written twice.
 */
export class StorageWriter {
  private readonly session = randomUUID();
  private readonly log: Logger;
  private worker: Worker | undefined;
  private state: WriterState = 'idle';
  private nextId = 1;
  private acked = 0;
  private outbox: WriterOp[] = [];
  private inflight: WriterOp[] = [];
  private commitRequested = false;
  private postScheduled: NodeJS.Immediate | undefined;
  private waiters: Waiter[] = [];
  private consecutiveRestarts = 0;
  private readonly listeners = new Set<(info: CommitInfo) => void>();
  private stopped: (() => void) | undefined;
  private startDone: Promise<void> | undefined;
  private restartDone: Promise<void> | undefined;
  private counters = { batches: 0, ops: 0, auditRows: 0, failedOps: 0, restarts: 0 };
  private lastHead: WriterHead | null = null;
  /** Rows changed by committed notification ops, kept until their caller reads them. */
  private readonly notifyResults = new Map<number, number>();

  constructor(private readonly options: StorageWriterOptions) {
    this.log = options.logger.child({ component: 'storage-writer' });
  }

  /** Starts the worker; resolves once it has opened the database and checked the checkpoint. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new StorageWriterError(`storage writer cannot start from ${this.state}`);
    this.state = 'starting';
    this.startDone = this.spawn(this.options.fault);
    try {
      await this.startDone;
    } catch (err) {
      this.state = 'broken';
      throw err;
    }
    this.state = 'running';
    this.postNow();
  }

  /**
   * Queues state records (null value deletes). Non-durable: resolves when queued. Durable:
   * resolves once committed together with every earlier write. Rejects without writing anything
   * when a value is not JSON.
   */
  writeState(records: readonly StateRecord[], durable: boolean): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    let r: [string, string, string | null][];
    try {
      r = records.map((rec) => [rec.ns, rec.key, serializeValue(rec)]);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new StorageValueError(String(err)));
    }
    if (r.length === 0) return durable ? this.flush() : Promise.resolve();
    const op: StateOp = { id: this.nextId++, k: 's', r, at: this.options.clock.now() };
    this.outbox.push(op);
    if (!durable) {
      this.schedulePost();
      return Promise.resolve();
    }
    return this.waitFor(op.id);
  }

  /** Queues an audit row; never throws (a refused append is logged). */
  appendAudit(entry: AuditEntry): void {
    const refusal = this.refusal();
    if (refusal) {
      this.log.error({ err: refusal, kind: entry.kind, code: entry.code }, 'audit entry dropped');
      return;
    }
    const op: AuditOp = { id: this.nextId++, k: 'a', e: entry, at: this.options.clock.now() };
    this.outbox.push(op);
    this.schedulePost();
  }

  /**
   * Queues a change to the notification tables, always durable: resolves once it is committed
   * together with every earlier write, with the number of rows it changed (null when a restarted
   * worker found it already committed by its predecessor and the count is unknown).
   */
  writeNotification(command: NotifyCommand): Promise<number | null> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    const op: NotifyOp = { id: this.nextId++, k: 'n', n: command, at: this.options.clock.now() };
    this.outbox.push(op);
    return this.waitFor(op.id).then(
      () => this.takeNotifyResult(op.id),
      (err: unknown) => {
        this.notifyResults.delete(op.id);
        throw err;
      },
    );
  }

  /** Resolves once everything queued so far is committed (rejects if some of it was given up). */
  flush(): Promise<void> {
    const last = this.nextId - 1;
    if (last <= this.acked) return Promise.resolve();
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    return this.waitFor(last);
  }

  /** Commits what is queued, stops the worker and closes its connection. */
  async stop(): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') {
      this.state = 'stopped';
      return;
    }
    if (this.state === 'restarting' || this.state === 'starting') await this.whenRunning();
    if (this.state !== 'running' || !this.worker) {
      this.state = 'stopped';
      this.rejectAll(new StorageWriterError('storage writer stopped'));
      return;
    }
    this.postNow();
    this.state = 'stopping';
    const worker = this.worker;
    const exited = new Promise<void>((resolve) => {
      this.stopped = resolve;
    });
    this.post({ t: 'stop' });
    const timeout = setTimeout(() => {
      this.log.error({}, 'storage writer did not stop in time; terminating it');
      void worker?.terminate();
    }, STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timeout);
    this.state = 'stopped';
    this.rejectAll(new StorageWriterError('storage writer stopped before these writes were committed'));
  }

  /** Calls `listener` after every committed batch; returns a function that removes it. */
  onCommit(listener: (info: CommitInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Counters since start and the last committed chain head. */
  stats(): StorageWriterStats {
    return { ...this.counters, head: this.lastHead };
  }

  /** The worker thread, for tests that kill it. */
  get workerForTests(): Worker | undefined {
    return this.worker;
  }

  private refusal(): Error | undefined {
    switch (this.state) {
      case 'starting':
      case 'running':
      case 'restarting':
        return undefined;
      case 'broken':
        return new StorageWriterError('storage writer is broken (its worker kept failing)');
      default:
        return new StorageNotStartedError('storage writer');
    }
  }

  private waitFor(upTo: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ upTo, resolve, reject });
      this.commitRequested = true;
      this.postNow();
    });
  }

  private schedulePost(): void {
    this.postScheduled ??= setImmediate(() => this.postNow());
  }

  private postNow(): void {
    if (this.postScheduled) {
      clearImmediate(this.postScheduled);
      this.postScheduled = undefined;
    }
    if (this.state !== 'running' && this.state !== 'stopping') return;
    if (this.outbox.length === 0) {
      if (this.commitRequested) this.post({ t: 'commit' });
      this.commitRequested = false;
      return;
    }
    const ops = this.outbox;
    this.outbox = [];
    this.postOps(ops, this.commitRequested);
    this.commitRequested = false;
  }

  private postOps(ops: WriterOp[], commit: boolean): void {
    try {
      this.post({ t: 'ops', ops, commit });
    } catch {
      // An audit entry holding something structured clone refuses (a function, a class with
      // private state): send its JSON form instead.
      this.post({ t: 'ops', ops: ops.map(toCloneable), commit });
    }
    for (const op of ops) this.inflight.push(op);
  }

  private post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }

  private spawn(fault: WriterFault | undefined): Promise<void> {
    const config: WriterConfig = {
      dbPath: this.options.dbPath,
      checkpointPath: this.options.checkpointPath ?? auditCheckpointPath(this.options.dbPath),
      session: this.session,
      synchronous: this.options.synchronous ?? 'normal',
      batchMs: this.options.batchMs ?? 50,
      batchMaxOps: this.options.batchMaxOps ?? 2_000,
      startedAt: this.options.clock.now(),
      ...(fault ? { fault } : {}),
    };
    // The worker is plain JavaScript and needs no loader: it does not inherit this process's
    // flags (tsx's or vitest's hooks, `--input-type`, `--eval`), so it starts the same everywhere.
    const worker = new Worker(new URL('./storage-writer.worker.mjs', import.meta.url), {
      workerData: config,
      execArgv: [],
    });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      let lastError: unknown;
      worker.on('message', (msg: FromWorker) => {
        if (msg.t === 'ready') {
          ready = true;
          this.onReady(msg.head, msg.mark);
          resolve();
          return;
        }
        this.onMessage(msg);
      });
      worker.on('error', (err) => {
        lastError = err;
        this.log.error({ err }, 'storage writer worker failed');
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        if (!ready) {
          reject(
            new StorageWriterError(`storage writer worker exited (code ${code}) before it was ready`, {
              cause: lastError,
            }),
          );
          return;
        }
        this.onExit(code);
      });
    });
  }

  private onReady(head: WriterHead, mark: { session: string; lastOp: number } | null): void {
    this.lastHead = head;
    // A restarted worker: what its predecessor committed is acknowledged now; the rest is resent
    // in order, ahead of anything queued meanwhile.
    if (mark && mark.session === this.session) this.acknowledge(mark.lastOp);
    if (this.inflight.length > 0) {
      const resend = this.inflight;
      this.inflight = [];
      this.postOps(resend, this.waiters.length > 0);
    }
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.t) {
      case 'committed': {
        this.consecutiveRestarts = 0;
        this.counters.batches += 1;
        this.counters.ops += msg.ops;
        this.counters.auditRows += msg.auditRows;
        this.lastHead = msg.head;
        if (msg.results) for (const [id, rows] of msg.results) this.notifyResults.set(id, rows);
        this.acknowledge(msg.upTo);
        if (msg.auditRows > 0) {
          this.log.info(
            {
              auditRows: msg.head.rows,
              headSeq: msg.head.seq,
              headHash: msg.head.hash,
              batchRows: msg.auditRows,
            },
            'audit checkpoint',
          );
        }
        if (msg.checkpointError) {
          this.log.error({ err: { message: msg.checkpointError } }, 'audit checkpoint file not written');
        }
        const info: CommitInfo = { ops: msg.ops, auditRows: msg.auditRows, head: msg.head, ms: msg.ms };
        for (const listener of this.listeners) listener(info);
        break;
      }
      case 'failed': {
        this.counters.failedOps += msg.ops;
        const err = new StorageWriterError(
          `storage batch of ${msg.ops} writes given up: ${msg.error.message}`,
        );
        this.log.error({ err, ops: msg.ops, code: msg.error.code }, 'storage writes lost');
        this.acknowledge(msg.upTo, err);
        break;
      }
      case 'log':
        this.log[msg.level](msg.obj, msg.msg);
        break;
      case 'stopped':
      case 'ready':
        break;
    }
  }

  /** Ops up to `upTo` are done (committed, or given up with `err`): settle their waiters. */
  private acknowledge(upTo: number, err?: Error): void {
    if (upTo > this.acked) this.acked = upTo;
    let drop = 0;
    while (drop < this.inflight.length && (this.inflight[drop] as WriterOp).id <= upTo) drop += 1;
    if (drop > 0) this.inflight.splice(0, drop);
    const remaining: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.upTo <= upTo) {
        if (err) w.reject(err);
        else w.resolve();
      } else {
        remaining.push(w);
      }
    }
    this.waiters = remaining;
  }

  private onExit(code: number): void {
    if (this.state === 'stopping') {
      this.stopped?.();
      return;
    }
    this.consecutiveRestarts += 1;
    this.counters.restarts += 1;
    const maxRestarts = this.options.maxRestarts ?? 3;
    if (this.consecutiveRestarts > maxRestarts) {
      this.state = 'broken';
      const lost = this.inflight.length + this.outbox.length;
      this.inflight = [];
      this.outbox = [];
      this.log.fatal({ code, lost }, 'storage writer worker keeps failing; storage is off');
      this.rejectAll(new StorageWriterError('storage writer is broken (its worker kept failing)'));
      return;
    }
    this.log.error(
      { code, pending: this.inflight.length + this.outbox.length },
      'storage writer worker exited; restarting it',
    );
    this.state = 'restarting';
    this.restartDone = this.spawn(undefined).then(
      () => {
        if (this.state !== 'restarting') return;
        this.state = 'running';
        this.postNow();
      },
      (err: unknown) => {
        this.log.error({ err }, 'storage writer worker could not restart');
        this.onExit(-1);
      },
    );
  }

  private takeNotifyResult(id: number): number | null {
    const rows = this.notifyResults.get(id);
    this.notifyResults.delete(id);
    return rows ?? null;
  }

  private async whenRunning(): Promise<void> {
    if (this.startDone) await this.startDone.catch(() => undefined);
    // A failed restart starts another one (and replaces restartDone) before it settles.
    while (this.state === 'restarting' && this.restartDone) await this.restartDone;
  }

  private rejectAll(err: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
  }
}

function serializeValue(rec: StateRecord): string | null {
  if (rec.value === null) return null;
  let json: string | undefined;
  try {
    json = JSON.stringify(rec.value);
  } catch (err) {
    throw new StorageValueError(`record ${rec.ns}/${rec.key} is not JSON`, { cause: err });
  }
  if (json === undefined) throw new StorageValueError(`record ${rec.ns}/${rec.key} is not JSON`);
  return json;
}

function toCloneable(op: WriterOp): WriterOp {
  if (op.k !== 'a') return op;
  let text: string | undefined;
  try {
    text = canonicalJson(op.e);
  } catch (err) {
    text = canonicalJson({ at: op.e.at, kind: op.e.kind, data: { unserializable: String(err) } });
  }
  return { ...op, e: JSON.parse(text ?? '{}') as AuditEntry };
}
