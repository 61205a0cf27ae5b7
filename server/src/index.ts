export * from './platform.js';
export * from './alerts/alert-manager.js';
export * from './alerts/alert-log.js';
