/** Stable machine codes of the market calendar's errors. */
export type CalendarErrorCode = 'CALENDAR_CONFIG_INVALID' | 'CALENDAR_INPUT_INVALID' | 'CALENDAR_NO_SESSION';

/** Base class of every error the market calendar throws; catch it with `instanceof`. */
export class CalendarError extends Error {
  readonly code: CalendarErrorCode;

  constructor(code: CalendarErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in a `tradingDay` config, with the JSON path of the offending value. */
export interface CalendarConfigProblem {
  /** E.g. `tradingDay.holidays[2].close`. */
  readonly path: string;
  readonly message: string;
}

/** The `tradingDay` config is invalid; `problems` lists every problem found, not just the first. */
export class CalendarConfigError extends CalendarError {
  readonly problems: readonly CalendarConfigProblem[];

  constructor(problems: readonly CalendarConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      'CALENDAR_CONFIG_INVALID',
      `invalid market calendar config (${count}):\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
    this.problems = Object.freeze([...problems]);
  }
}

/** A caller passed an invalid argument (a non-finite instant, a malformed date or time). */
export class CalendarInputError extends CalendarError {
  constructor(message: string) {
    super('CALENDAR_INPUT_INVALID', message);
  }
}

/** No session starts within the search horizon (a config without sessions, or closed for a year). */
export class CalendarNoSessionError extends CalendarError {
  constructor(message: string) {
    super('CALENDAR_NO_SESSION', message);
  }
}
