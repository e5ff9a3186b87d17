// Public surface of the state module (the account views themselves are in account-view.ts).
export { StateManager, type StateManagerOptions, type ResetMarkInput } from './state-manager.js';
export {
  type StateUpdate,
  type PositionChange,
  type EntryFill,
  type ClosedRoundTrip,
  type RuleTimerRecord,
} from './state-update.js';
export {
  InMemoryStateStore,
  type InMemoryStateStoreOptions,
  type StateStoreFailure,
  type StateWriteLogEntry,
} from './in-memory-state-store.js';
export { StateError, StateStoreError, StateValueError } from './state.errors.js';
export { composeKey, splitKey } from './state-keys.js';
