import { logger } from '@lifeline/core/node';
import { hashDeviceSecret } from '../store/secrets.js';
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
 * own credential, the gateways, and the reserved ingest identity) and asks a
 * running Mosquitto to reload them. Returns how many credentials were written.
 */
export async function syncMosquittoFiles(store: DeviceCredentialStore, s: MosquittoSync): Promise<number> {
  if (!s.ingestPassword) throw new Error('MQTT_PASSWORD is empty: the ingest identity needs a password of its own on Mosquitto');
  const credentials = (await store.list()).filter((c) => !c.disabled);
  writeMosquittoAuth(s.dir, { credentials, ingest: { username: s.ingestUsername, secretHash: hashDeviceSecret(s.ingestPassword) } });
  if (s.pidFile) reloadMosquitto(s.pidFile);
  log.info({ dir: s.dir, credentials: credentials.length }, 'Mosquitto password and ACL files written');
  return credentials.length;
}
