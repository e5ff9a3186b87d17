import type { Logger } from '@riskd/core-engine';
import type { pino } from 'pino';

/**
 * core-engine's `Logger` port over pino: object first, message second, errors under `err`
 * (pino's standard serializer), `child()` bindings per component.
 */
export class PinoLoggerAdapter implements Logger {
  constructor(readonly pino: pino.Logger) {}

  trace(obj: object, msg?: string): void {
    this.pino.trace(obj, msg);
  }
  debug(obj: object, msg?: string): void {
    this.pino.debug(obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.pino.info(obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.pino.warn(obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.pino.error(obj, msg);
  }
  fatal(obj: object, msg?: string): void {
    this.pino.fatal(obj, msg);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new PinoLoggerAdapter(this.pino.child(bindings));
  }
}
