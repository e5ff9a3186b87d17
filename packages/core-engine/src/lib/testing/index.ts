// Real in-memory implementations of the ports for tests and benchmarks (src/testing.ts re-exports it).
export {
  FakeBroker,
  type FakeBrokerOptions,
  type FakeBrokerRequest,
  type FakeActionKind,
  type FakeActionEffect,
  type FakeActionFault,
  type FakeEventEffect,
  type FakeEventFault,
  type FaultHandle,
  type FakeAccountInit,
  type FakeOrderRequest,
  type FakeTradeResult,
  type FakePositionState,
  type FakeEventDraft,
} from './fake-broker.js';
export { FAKE_CONTRACTS, DEFAULT_FAKE_FEES } from './fake-contracts.js';
export { MemoryAuditLog } from './memory-audit-log.js';
export { MemoryNotifier } from './memory-notifier.js';
export { TestingError, FakeBrokerError, type TestingErrorCode } from './testing-errors.js';
export { reportBench } from './bench-report.js';
