// The config module of the daemon (ARCHITECTURE.md "Configuration"): the file's model and JSON
// Schema, loading and validation, atomic rewrites with revisions, the rule-change discipline,
// hot reload and the fail-safe. The composition root imports it from here.
export * from './config-errors.js';
export * from './config-schema.js';
export * from './config-paths.js';
export * from './config-secrets.js';
export * from './config-loader.js';
export * from './config-diff.js';
export * from './config-writer.js';
export * from './rule-change-discipline.js';
export * from './config-fail-safe.js';
export * from './config-watcher.js';
