export * from './ingest.js';
export * from './parse.js';
export * from './points.js';
export * from './dead-letters.js';
export * from './mqtt-source.js';
export * from './rules/engine.js';
export * from './rules/threshold.js';
