import { logger } from '@lifeline/core/node';
import type { DeviceCredentialStore } from '../store/types.js';
import { reloadMosquitto, writeMosquittoAuth } from './mosquitto-files.js';

const log = logger('broker-auth');

export interface MosquittoSync {
  dir: string;
  pidFile: string | null;
  ingestUsername: string;
  ingestPassword: string;
}

/**
 * Writes Mosquitto's password and ACL files from the store (every device's
 * own credential, the gateways, and the reserved ingest identity) and, when
 * they changed, asks a running Mosquitto to reload them. Returns how many
 * credentials were written.
 */
export async function syncMosquittoFiles(store: DeviceCredentialStore, s: MosquittoSync): Promise<number> {
  if (!s.ingestPassword) throw new Error('MQTT_PASSWORD is empty: the ingest identity needs a password of its own on Mosquitto');
  const credentials = (await store.list()).filter((c) => !c.disabled);
  // The secret itself, so an unchanged ingest hash is kept and the files change only when credentials do.
  const r = writeMosquittoAuth(s.dir, { credentials, ingest: { username: s.ingestUsername, secret: s.ingestPassword } });
  for (const k of r.skipped.slice(0, 10)) log.warn({ username: k.username, reason: k.reason }, 'credential left out of the Mosquitto files');
  if (r.changed && s.pidFile) reloadMosquitto(s.pidFile);
  log.info({ dir: s.dir, written: r.written, skipped: r.skipped.length, changed: r.changed }, 'Mosquitto password and ACL files in step with the store');
  return r.written;
}
