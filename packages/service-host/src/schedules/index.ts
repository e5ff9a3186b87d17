export { CRON_JOBS, type CronJobName, type CronJobSpec } from './cron-jobs.js';
export {
  RiskdScheduler,
  type RiskdSchedulerOptions,
  type ScheduledJobInfo,
  type ScheduleTargets,
} from './riskd-scheduler.js';
export { ResetCatchUp, type ResetCatchUpOptions } from './reset-catch-up.js';
export { SessionWatch, type SessionTransition, type SessionWatchOptions } from './session-watch.js';
export { Housekeeping, type HousekeepingReport, type HousekeepingTask } from './housekeeping.js';
