/**
 * The simulators package: the district simulator, and the credentials file
 * it reads, whose definition the platform's credentials tool imports to write it.
 */
export * from './credentials-file.js';
export { planConnections, type ConnectionPlan, type PlannedConnection, type PlanSource, type TenantConnections } from './connection-plan.js';
export { CONNECT_CONCURRENCY } from './connections.js';
export { redactUrl, Simulator, SimulatorError, type SimulatorOptions, type SimulatorStats } from './simulator.js';
