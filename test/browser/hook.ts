/** The dashboard's read-only `window.__lifeline` hook, as browser tests see it (web/src/main.ts); there only once someone is logged in. */
import type { Me } from '@lifeline/core';

export interface LifelineHook {
  map: unknown;
  deviceCount(): number;
  renderedDeviceCount(): number;
  alerts(): unknown[];
  resolvedAlerts(): unknown[];
  connection(): 'connecting' | 'connected' | 'disconnected';
  ready(): Promise<void>;
  /** The logged-in person, as `GET /api/me` answered. */
  me(): Me;
}

declare global {
  interface Window {
    __lifeline?: LifelineHook;
  }
}
