/** Stable machine codes of the simulator's own errors (not the gateway's errorCode enums). */
export type SimulatorErrorCode =
  'FIXTURE_INVALID' | 'CONTROL_INVALID' | 'NOT_FOUND' | 'CONFLICT' | 'REPLAY_INVALID' | 'CLI_USAGE';

/** Base error of the simulator: every error it throws carries a stable `code`. */
export class SimulatorError extends Error {
  readonly code: SimulatorErrorCode;

  constructor(code: SimulatorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimulatorError';
    this.code = code;
  }
}

/** A fixture file or object that does not match the documented format; lists every problem. */
export class FixtureError extends SimulatorError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('FIXTURE_INVALID', `invalid fixture:\n- ${problems.join('\n- ')}`);
    this.name = 'FixtureError';
    this.problems = problems;
  }
}

/**
 * A control request that cannot be applied. `status` is the HTTP status the control API answers
 * with (400 for a bad request, 404 for an unknown account/contract/token, 409 for a duplicate).
 */
export class ControlError extends SimulatorError {
  readonly status: 400 | 404 | 409;

  constructor(code: 'CONTROL_INVALID' | 'NOT_FOUND' | 'CONFLICT' | 'REPLAY_INVALID', message: string) {
    super(code, message);
    this.name = 'ControlError';
    this.status = code === 'NOT_FOUND' ? 404 : code === 'CONFLICT' ? 409 : 400;
  }
}
