/** Stable machine codes of the config module's errors. */
export type ConfigErrorCode =
  /** The file (or a proposed change) is not a valid Riskd config; `problems` lists every problem. */
  | 'CONFIG_INVALID'
  /** The file cannot be read (missing, no permission, a directory). */
  | 'CONFIG_UNREADABLE'
  /** Writing the file failed; the previous file is still in place. */
  | 'CONFIG_WRITE_FAILED'
  /** The file changed on disk since the version a change was based on. */
  | 'CONFIG_CONFLICT'
  /** The revision of a written change could not be recorded (the file is already written). */
  | 'CONFIG_REVISION_FAILED'
  /** A forced loosening without a reason (or an actor). */
  | 'CONFIG_FORCE_REASON_REQUIRED'
  /** Persisted pending changes that cannot be read back. */
  | 'PENDING_CHANGES_INVALID';

/**
 * One problem of a config, with the JSON path of the offending value in the same style as
 * core-engine's `RuleConfigError` (`accounts[1].rules[0].options.limit`). The path is `""` for the
 * whole file (JSON syntax errors, an unreadable file).
 */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** Something worth fixing that does not stop the config from loading (e.g. file permissions). */
export interface ConfigWarning {
  readonly code: 'CONFIG_PERMISSIONS' | 'CONFIG_RULE_PACKS_CHANGED';
  readonly path: string;
  readonly message: string;
}

/** Formats problems one per line, as the CLI and the logs show them. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `  ${p.path === '' ? '(file)' : p.path}: ${p.message}`).join('\n');
}

/**
 * The base error of the config module: a stable `code`, the config file it is about, and for
 * `CONFIG_INVALID` every problem found, so the admin fixes them all in one pass. Messages never
 * carry secrets (values are not quoted in problems about secret fields).
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly problems: readonly ConfigProblem[];
  /** The config file, when the error is about one. */
  readonly file: string | undefined;

  constructor(
    code: ConfigErrorCode,
    message: string,
    options: { problems?: readonly ConfigProblem[]; file?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.problems = Object.freeze([...(options.problems ?? [])]);
    this.file = options.file;
  }

  /** The one error an invalid config raises: every problem listed with its path. */
  static invalid(problems: readonly ConfigProblem[], file?: string): ConfigError {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const where = file === undefined ? 'config' : `config ${file}`;
    return new ConfigError('CONFIG_INVALID', `invalid ${where} (${count}):\n${formatProblems(problems)}`, {
      problems,
      ...(file === undefined ? {} : { file }),
    });
  }
}
