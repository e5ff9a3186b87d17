/** Stable machine codes of the risk engine's errors. */
export type RiskErrorCode = 'MERGE_INPUT_INVALID';

/** Base class of every error the risk engine throws; catch it with `instanceof`. */
export class RiskError extends Error {
  readonly code: RiskErrorCode;

  constructor(code: RiskErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
