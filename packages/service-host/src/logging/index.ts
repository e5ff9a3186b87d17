export {
  createRootLogger,
  LOG_FILE_ROTATION,
  type ConsoleFormat,
  type RootLogger,
  type RootLoggerOptions,
} from './root-logger.js';
export { PinoLoggerAdapter } from './pino-logger-adapter.js';
export { LogRing, type LogRecord } from './log-ring.js';
export { MemoryLogSink, LEVEL_VALUES } from './memory-log-sink.js';
export { REDACTED, REDACT_PATHS, SECRET_KEYS } from './redaction.js';
