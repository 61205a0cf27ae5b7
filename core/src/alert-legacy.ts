import type { Alert, AlertSilence } from './schemas/alert.js';

/** What an alert logged before the `silence` tag carried in its place. */
export interface LegacySilenceFields {
  silenced?: boolean;
  /** `flapping`, `correlated`, or the id of the maintenance silence. */
  silenceReason?: string;
}

/**
 * An alert read back from the alert log, in today's form. The log keeps the
 * whole alert as JSON and the schema lets unknown fields through, so an alert
 * silenced before the tag existed must be mapped here, or a restart would
 * notify and escalate it. An old correlated alert did not record its site:
 * `siteOf` names the site its device stands at; a device at none cannot have
 * been folded into a site alert, and is restored unsilenced.
 */
export function upgradeLegacySilence(a: Alert & LegacySilenceFields, siteOf: (device: string) => string | undefined): Alert {
  if (!('silenced' in a) && !('silenceReason' in a)) return a;
  const { silenced, silenceReason, ...alert } = a;
  if (alert.silence || !silenced || !silenceReason) return alert;
  const silence = legacySilence(silenceReason, () => siteOf(a.device));
  return silence ? { ...alert, silence } : alert;
}

function legacySilence(reason: string, site: () => string | undefined): AlertSilence | undefined {
  if (reason === 'flapping') return { kind: 'flapping' };
  if (reason !== 'correlated') return { kind: 'maintenance', id: reason };
  const s = site();
  return s === undefined ? undefined : { kind: 'correlated', site: s };
}
