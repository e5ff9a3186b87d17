export * from './outcome.js';
export * from './risk-errors.js';
export * from './risk-inputs.js';
export { compareDecisions, compareLockoutEnds, mergeDecisions, type MergeEnv } from './merge.js';
export * from './lockout-guard.js';
export * from './risk-engine.js';
