export * from './riskd-engine.js';
