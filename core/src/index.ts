/** Browser-safe definitions shared by every package. Node-only helpers live in `./node`. */
export * from './levels.js';
export * from './topics.js';
export * from './validate.js';
export * from './kinds.js';
export * from './schemas/telemetry.js';
export * from './schemas/event.js';
export * from './schemas/status.js';
export * from './schemas/device.js';
export * from './schemas/alert.js';
export * from './schemas/api.js';
export * from './schemas/signal.js';
export * from './socket-events.js';
export * from './rules/index.js';
export * from './auth.js';
export * from './schemas/credentials-file.js';
