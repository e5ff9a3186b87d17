import type { Clock, Logger } from '@riskd/core-engine';

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
