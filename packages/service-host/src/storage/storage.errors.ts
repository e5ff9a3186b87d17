/** Base error of Riskd's storage (Prisma, migrations, the storage writer, the audit trail). */
export class StorageError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Migrations could not be read, created or applied. */
export class MigrationError extends StorageError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('STORAGE_MIGRATION_FAILED', message, options);
  }
}

/** The storage writer could not commit, or is stopped or broken. */
export class StorageWriterError extends StorageError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('STORAGE_WRITE_FAILED', message, options);
  }
}

/** A value that cannot be stored (not JSON, out of range). */
export class StorageValueError extends StorageError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('STORAGE_VALUE_INVALID', message, options);
  }
}

/** Used before `start()` or after `stop()`. */
export class StorageNotStartedError extends StorageError {
  constructor(what: string) {
    super('STORAGE_NOT_STARTED', `${what} is not started`);
  }
}

/** A stored password hash is malformed or uses unsupported parameters. */
export class CredentialFormatError extends StorageError {
  constructor(message: string) {
    super('STORAGE_CREDENTIAL_INVALID', message);
  }
}
