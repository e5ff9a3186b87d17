/** Stable codes of the daemon, CLI and service-install errors. */
export type HostErrorCode =
  | 'HOST_STARTUP_FAILED'
  | 'HOST_TOKEN_MISSING'
  | 'HOST_BAD_USAGE'
  | 'HOST_SERVICE_INSTALL'
  | 'HOST_CONTROL_REFUSED'
  | 'HOST_NOT_FOUND'
  | 'HOST_NOT_READY';

/**
 * Base error of the daemon's own code (composition root, CLI, schedules, logging, service
 * install). Storage, API and config have their own error classes.
 */
export class HostError extends Error {
  constructor(
    readonly code: HostErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A module failed to start: names the module and carries the cause. */
export class StartupError extends HostError {
  constructor(
    readonly module: string,
    cause: unknown,
  ) {
    super('HOST_STARTUP_FAILED', `module "${module}" failed to start: ${describeError(cause)}`, { cause });
  }
}

/** A required DI token is not registered: says which module should have provided it. */
export class MissingTokenError extends HostError {
  constructor(readonly missing: readonly { token: string; providedBy: string }[]) {
    super(
      'HOST_TOKEN_MISSING',
      `required services are not registered: ${missing
        .map((m) => `${m.token} (register the ${m.providedBy} module before starting)`)
        .join('; ')}`,
    );
  }
}

/** The command line was used wrongly (exit code 2). */
export class UsageError extends HostError {
  constructor(message: string) {
    super('HOST_BAD_USAGE', message);
  }
}

/** Installing, removing or inspecting the system service failed. */
export class ServiceInstallError extends HostError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HOST_SERVICE_INSTALL', message, options);
  }
}

/** A control request was refused (a reason missing, a lockout the trader may not shorten, ...). */
export class ControlRefusedError extends HostError {
  constructor(message: string) {
    super('HOST_CONTROL_REFUSED', message);
  }
}

/** A control request named something that does not exist (an account, a lockout). */
export class NotFoundError extends HostError {
  constructor(message: string) {
    super('HOST_NOT_FOUND', message);
  }
}

/** The message of an unknown thrown value, with the code of a coded error in front. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const base =
      typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && !base.includes(cause.message))
      return `${base} (caused by ${cause.message})`;
    return base;
  }
  return String(err);
}
