import type { Alert } from './schemas/alert.js';
import type { DeviceView } from './schemas/api.js';

/** Patches to devices, batched and throttled by the server; never raw telemetry. */
export type DevicePatch = Pick<DeviceView, 'id' | 'status' | 'level' | 'lastSeen' | 'values'>;

export interface ServerToClientEvents {
  /** Every change of an alert, carrying the whole alert. */
  alert: (alert: Alert) => void;
  devices: (patches: DevicePatch[]) => void;
}

// The dashboard changes alerts over REST so that every change has one validated path.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ClientToServerEvents {}
