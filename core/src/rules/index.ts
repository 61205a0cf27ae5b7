export * from './schema.js';
export * from './defaults.js';
export * from './check.js';
export * from './effective.js';
export * from './rules-text.js';
