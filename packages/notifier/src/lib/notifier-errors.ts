/** Stable machine codes of the notifier's errors. */
export type NotifierErrorCode =
  /** `setPreferences` got preferences that do not validate (see `problems`). */
  | 'PREFERENCES_INVALID'
  /** The channel list does not validate (duplicate ids, missing URL or token, bad severity). */
  | 'CHANNELS_INVALID'
  /** The options do not validate (an unknown IANA time zone, a negative duration). */
  | 'OPTIONS_INVALID'
  /** The outbox was asked about an item it never stored. */
  | 'OUTBOX_ITEM_UNKNOWN'
  /** A test store refused an operation (closed after a simulated crash, or a scripted fault). */
  | 'STORE_UNAVAILABLE'
  /** A test helper was used wrongly (a fake server asked for its URL before it started). */
  | 'TESTING_MISUSE';

/** One validation problem: where (a JSON-path-like location) and what. */
export interface NotifierProblem {
  readonly path: string;
  readonly message: string;
}

/** Base class of every error the notifier throws; catch it with `instanceof` and read `code`. */
export class NotifierError extends Error {
  readonly code: NotifierErrorCode;
  /** Location of the (first) offending value, e.g. `quietHours.start` or `channels[1]`. */
  readonly path: string | undefined;

  constructor(code: NotifierErrorCode, message: string, options?: ErrorOptions & { path?: string }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.path = options?.path;
  }
}

/** Input that does not validate; `problems` lists every problem, `path` is the first one's. */
export class NotifierValidationError extends NotifierError {
  readonly problems: readonly NotifierProblem[];

  constructor(
    code: 'PREFERENCES_INVALID' | 'CHANNELS_INVALID' | 'OPTIONS_INVALID',
    problems: readonly NotifierProblem[],
  ) {
    const first = problems[0];
    super(code, problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
      ...(first ? { path: first.path } : {}),
    });
    this.problems = problems;
  }
}
