/** The store of record (PostgreSQL): open it with `openStore(DATABASE_URL)`. */
export * from './types.js';
export * from './register-types.js';
export { openStore, DEFAULT_POOL_SIZE, type OpenStoreOptions } from './open-store.js';
export { MIGRATIONS, type Migration } from './migrations.js';
export { SESSION_TOUCH_MS } from './sessions.js';
export { API_KEY_TOUCH_MS } from './api-keys.js';
export { AUDIT_LIST_DEFAULT_LIMIT, AUDIT_LIST_MAX_LIMIT } from './audit.js';
// Brokers check device secrets against the hashes they cache, without a round trip.
export { verifyDeviceSecret, hashDeviceSecret, MOSQUITTO_ITERATIONS } from './secrets.js';
