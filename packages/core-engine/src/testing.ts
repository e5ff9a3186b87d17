// The testing entry (`@riskd/core-engine/testing`): real in-memory implementations of the ports
// and small test rules, for the tests and benchmarks of every package.
export * from './lib/testing/index.js';
export { InMemoryStateStore } from './lib/state/index.js';
export * from './lib/risk/test-rules.fake.js';
export { FakeRiskState, FakeAccountView, testEvents, PLAIN_UPDATE } from './lib/risk/risk-state.fake.js';
