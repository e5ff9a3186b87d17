/** Stable machine codes of the enforcement engine's errors. */
export type EnforcementErrorCode = 'ENFORCEMENT_CONFIG_INVALID';

/** Base class of every error the enforcement engine throws; catch it with `instanceof`. */
export class EnforcementError extends Error {
  readonly code: EnforcementErrorCode;

  constructor(code: EnforcementErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An {@link EnforcementOptions} value is out of range (e.g. `maxAttempts: 0`, an empty backoff). */
export class EnforcementConfigError extends EnforcementError {
  constructor(message: string) {
    super('ENFORCEMENT_CONFIG_INVALID', message);
  }
}
