import type { Clock, Logger } from '@riskd/core-engine';
import { createTask, type ScheduledTask } from 'node-cron';
import { CRON_JOBS, type CronJobName, type CronJobSpec } from './cron-jobs.js';

/** What each cron job delegates to. Each callback asks the Clock what is due. */
export interface ScheduleTargets {
  resetCheck(): unknown;
  sessionCheck(): unknown;
  housekeeping(): unknown;
}

/** Options of {@link RiskdScheduler}. */
export interface RiskdSchedulerOptions {
  readonly targets: ScheduleTargets;
  /** IANA zone of zoned jobs (the trading-day zone). */
  readonly timezone: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A job as the status page shows it. */
export interface ScheduledJobInfo {
  readonly name: CronJobName;
  readonly expression: string;
  readonly description: string;
  readonly nextRun: string | null;
  readonly lastRun: string | null;
}

/**
 * The one scheduler of the daemon: every node-cron job is listed in {@link CRON_JOBS} and is a
 * thin delegate to a {@link ScheduleTargets} method. A job that throws is logged and runs again
 * at its next tick; jobs never overlap themselves.
 */
export class RiskdScheduler {
  private readonly tasks = new Map<CronJobName, ScheduledTask>();
  private readonly lastRuns = new Map<CronJobName, Date>();
  private readonly logger: Logger;
  private readonly delegates: Record<CronJobName, () => unknown>;

  constructor(private readonly options: RiskdSchedulerOptions) {
    this.logger = options.logger.child({ component: 'scheduler' });
    const t = options.targets;
    this.delegates = {
      [CRON_JOBS.RESET_CHECK.name]: () => t.resetCheck(),
      [CRON_JOBS.SESSION_CHECK.name]: () => t.sessionCheck(),
      [CRON_JOBS.HOUSEKEEPING.name]: () => t.housekeeping(),
    };
  }

  /** Creates and starts every job. */
  start(): void {
    for (const spec of Object.values(CRON_JOBS) as CronJobSpec[]) {
      const name = spec.name as CronJobName;
      if (this.tasks.has(name)) continue;
      const task = createTask(spec.expression, () => this.runNow(name), {
        name: `riskd:${name}`,
        noOverlap: true,
        // The API server and the broker connections keep the process alive, never a cron job.
        unref: true,
        suppressMissedWarning: true,
        ...(spec.zoned ? { timezone: this.options.timezone } : {}),
      });
      void task.start();
      this.tasks.set(name, task);
    }
    this.logger.info({ jobs: this.jobs().map((j) => j.name) }, 'schedules started');
  }

  /** Stops and removes every job. */
  async stop(): Promise<void> {
    for (const task of this.tasks.values()) await task.destroy();
    this.tasks.clear();
  }

  /** Runs one job now (what its cron tick does). Errors are logged, never thrown. */
  async runNow(name: CronJobName): Promise<void> {
    this.lastRuns.set(name, new Date(this.options.clock.now()));
    try {
      await this.delegates[name]();
    } catch (err) {
      this.logger.error({ err, job: name }, 'scheduled job failed');
    }
  }

  jobs(): ScheduledJobInfo[] {
    return (Object.values(CRON_JOBS) as CronJobSpec[]).map((spec) => {
      const name = spec.name as CronJobName;
      const next = this.tasks.get(name)?.getNextRun() ?? null;
      const last = this.lastRuns.get(name) ?? null;
      return {
        name,
        expression: spec.expression,
        description: spec.description,
        nextRun: next ? next.toISOString() : null,
        lastRun: last ? last.toISOString() : null,
      };
    });
  }
}
