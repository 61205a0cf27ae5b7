/**
 * The simulators package: the district simulator (and its load mode), the
 * registry generator (the sample, or a city of N devices), and the
 * credentials file the simulator reads, whose definition the platform's
 * credentials tool imports to write it.
 */
export * from './credentials-file.js';
export { planConnections, type ConnectionPlan, type Grouping, type PlannedConnection, type PlanSource, type TenantConnections } from './connection-plan.js';
export { CONNECT_CONCURRENCY } from './connections.js';
export { buildCity, buildRegistry, formatRegistry, sizesFor, type Sizes } from './generate-registry.js';
export { Bursts, ReportSchedule, reportIntervalMs, type BurstPlan } from './report-schedule.js';
export { MAX_IN_FLIGHT, MAX_IN_FLIGHT_PER_CONNECTION, redactUrl, Simulator, SimulatorError, type SimulatorOptions, type SimulatorStats } from './simulator.js';
