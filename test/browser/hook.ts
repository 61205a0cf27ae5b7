/** The dashboard's read-only `window.__lifeline` hook, as browser tests see it (web/src/main.ts). */
export interface LifelineHook {
  map: unknown;
  deviceCount(): number;
  renderedDeviceCount(): number;
  alerts(): unknown[];
  resolvedAlerts(): unknown[];
  connection(): 'connecting' | 'connected' | 'disconnected';
  ready(): Promise<void>;
}

declare global {
  interface Window {
    __lifeline?: LifelineHook;
  }
}
