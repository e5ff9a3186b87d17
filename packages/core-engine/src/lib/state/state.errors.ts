/** Base error of the state manager and the in-memory state store, with a stable `code`. */
export class StateError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A value that cannot be persisted (rule state must be JSON) or a malformed persisted record. */
export class StateValueError extends StateError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('STATE_VALUE_INVALID', message, options);
  }
}

/** A `StateStore` could not load or write records. */
export class StateStoreError extends StateError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super('STATE_STORE_FAILED', message, options);
  }
}
