// Public surface of the enforcement engine (src/index.ts re-exports it).
export {
  EnforcementEngine,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_ATTEMPT_WINDOW_MS,
  DEFAULT_CONFIRM_TIMEOUT_MS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_RETRY_FAILED_AFTER_MS,
  SHADOW_REPEAT_MS,
  closeKey,
  reduceKey,
  cancelKey,
  type EnforcementOptions,
  type EnforcementTaskInfo,
  type EnforcementActionKind,
  type EnforcementLevel,
  type EnforcementTaskState,
} from './enforcement-engine.js';
export { EnforcementError, EnforcementConfigError, type EnforcementErrorCode } from './enforcement-errors.js';
export { compactEvent } from './enforcement-format.js';
