/** Stable machine codes of the errors the in-memory test implementations throw. */
export type TestingErrorCode =
  | 'FAKE_BROKER_UNKNOWN_ACCOUNT'
  | 'FAKE_BROKER_UNKNOWN_CONTRACT'
  | 'FAKE_BROKER_UNKNOWN_ORDER'
  | 'FAKE_BROKER_NO_PRICE'
  | 'FAKE_BROKER_INVALID_ARGUMENT';

/** Base class of every error thrown by core-engine's testing implementations; catch it with `instanceof`. */
export class TestingError extends Error {
  readonly code: TestingErrorCode;

  constructor(code: TestingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A test drove the {@link FakeBroker} into something a real broker would refuse outright. */
export class FakeBrokerError extends TestingError {}
