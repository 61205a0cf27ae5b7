/** Node-only helpers shared by ingest, server, simulators, tests and benchmarks. */
export * from './node/config.js';
export * from './node/logger.js';
export * from './node/line-protocol.js';
export * from './node/influx-client.js';
export * from './node/influx-writer.js';
export * from './node/spool.js';
export * from './node/spooled-writer.js';
export * from './node/registry.js';
export * from './node/district.js';
export * from './node/backoff.js';
export * from './node/durable-file.js';
export * from './node/json-file.js';
export * from './node/outbox-schema.js';
export * from './node/rule-state-schema.js';
export * from './node/snapshot-file.js';
export * from './node/start-phases.js';
export * from './node/latest-values-schema.js';
