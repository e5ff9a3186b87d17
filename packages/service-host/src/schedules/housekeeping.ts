import type { Clock, Instant, Logger } from '@riskd/core-engine';

/** One maintenance chore (storage maintenance, a state flush, a log flush). */
export interface HousekeepingTask {
  readonly name: string;
  run(): Promise<void> | void;
}

/** What one housekeeping round did. */
export interface HousekeepingReport {
  readonly ran: readonly { readonly name: string; readonly ms: number }[];
  readonly failed: readonly { readonly name: string; readonly error: string }[];
}

/** Runs the registered chores one after another; one failing does not stop the others. */
export class Housekeeping {
  private readonly tasks: HousekeepingTask[] = [];
  private readonly logger: Logger;

  constructor(
    private readonly clock: Clock,
    logger: Logger,
  ) {
    this.logger = logger.child({ component: 'housekeeping' });
  }

  add(task: HousekeepingTask): this {
    this.tasks.push(task);
    return this;
  }

  async run(): Promise<HousekeepingReport> {
    const ran: { name: string; ms: number }[] = [];
    const failed: { name: string; error: string }[] = [];
    for (const task of this.tasks) {
      const started = this.clock.now();
      try {
        await task.run();
        ran.push({ name: task.name, ms: this.clock.now() - started });
      } catch (err) {
        failed.push({ name: task.name, error: err instanceof Error ? err.message : String(err) });
        this.logger.error({ err, task: task.name }, 'housekeeping task failed');
      }
    }
    this.logger.info({ ran, failed: failed.length }, 'housekeeping done');
    return { ran, failed };
  }
}

/** How long delivered and failed outbox items are kept (30 days), then pruned. */
export const OUTBOX_RETENTION_MS = 30 * 24 * 60 * 60 * 1_000;

/** What the outbox prune needs of the notification store (storage's `PrismaNotificationStore`). */
export interface OutboxPruner {
  /** Deletes delivered and failed items created before `before`; resolves with how many. */
  prune(before: Instant): Promise<number>;
}

/** Options of {@link outboxPruneTask}. */
export interface OutboxPruneOptions {
  readonly store: OutboxPruner;
  /** "Now" of each round (tests pass a FakeClock). */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default {@link OUTBOX_RETENTION_MS}. */
  readonly retentionMs?: number;
}

/**
 * The chore that prunes the notification outbox: delivered and failed items created more than
 * `retentionMs` before the Clock's now are deleted; pending items stay, however old.
 */
export function outboxPruneTask(options: OutboxPruneOptions): HousekeepingTask {
  const retentionMs = options.retentionMs ?? OUTBOX_RETENTION_MS;
  const logger = options.logger.child({ component: 'housekeeping' });
  return {
    name: 'notification-outbox-prune',
    run: async () => {
      const before = options.clock.now() - retentionMs;
      const pruned = await options.store.prune(before);
      logger.info({ pruned, before: new Date(before).toISOString() }, 'notification outbox pruned');
    },
  };
}
