// @ts-check

/**
 * Stable machine codes of the errors the Riskd tools throw.
 * @typedef {'INVALID_OPTIONS' | 'TARGET_EXISTS'} RiskdToolsErrorCode
 */

/** Base class of every error the Riskd tools throw; catch it with `instanceof` and read `code`. */
export class RiskdToolsError extends Error {
  /**
   * @param {RiskdToolsErrorCode} code
   * @param {string} message
   * @param {ErrorOptions} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = new.target.name;
    /** @readonly */
    this.code = code;
  }
}
