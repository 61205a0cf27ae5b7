/**
 * The MQTT credentials file: who connects as whom. The platform's CLI writes
 * it (importing this definition), the simulator reads it; one schema for both.
 *
 *   { "version": 1,
 *     "credentials": [
 *       { "username": "gas-0001", "secret": "…", "tenant": "t1", "devices": ["gas-0001"] },
 *       { "username": "gw-t1-a",  "secret": "…", "tenant": "t1", "devices": ["smoke-0001", "smoke-0002"] } ] }
 *
 * A device credential is named after its device and lists only it; a gateway
 * credential has a name of its own and lists several devices of one tenant.
 * The broker wants the MQTT client id equal to the username.
 */
import { readFileSync } from 'node:fs';
import { credentialsFileSchema, type CredentialsFile, type MqttCredential, type Device } from '@lifeline/core';

export { CREDENTIALS_FILE_VERSION, CREDENTIAL_SECRET_MIN_LENGTH, MqttCredential, CredentialsFile, credentialsFileSchema } from '@lifeline/core';

export class CredentialsError extends Error {}

/** A credentials file that has been checked and indexed by device. */
export interface LoadedCredentials extends CredentialsFile {
  path: string;
  /** The credential each device publishes through. */
  byDevice: Map<string, MqttCredential>;
}

/** True for a device's own credential (named after it, listing only it); false for a gateway's. */
export function isDeviceCredential(c: MqttCredential): boolean {
  return c.devices.length === 1 && c.devices[0] === c.username;
}

const MAX_PROBLEMS = 20;

/** Reads and checks a credentials file; every problem names the entry and the field. */
export function loadCredentialsFile(path: string, registry?: { byId: ReadonlyMap<string, Device> }): LoadedCredentials {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CredentialsError(`credentials ${path}: cannot read JSON: ${(err as Error).message}`);
  }
  return checkCredentialsFile(raw, path, registry);
}

/**
 * Checks the shape, then that usernames are unique, that each device is listed
 * once, that a credential named after a device lists only it and, given the
 * registry, that every device exists and belongs to the credential's tenant.
 */
export function checkCredentialsFile(raw: unknown, path = '(credentials)', registry?: { byId: ReadonlyMap<string, Device> }): LoadedCredentials {
  const r = credentialsFileSchema.check(raw);
  if (!r.ok) {
    // A missing field is reported twice by TypeBox (required, then its type): once per field is enough.
    const byField = new Map<string, string>();
    for (const e of r.errors) {
      const field = e.slice(0, e.indexOf(': '));
      if (!byField.has(field)) byField.set(field, e);
    }
    throw new CredentialsError(`credentials ${path}: ${[...byField.values()].map((e) => nameEntry(e, raw)).join('; ')}`);
  }
  const file = r.value;
  const problems: string[] = [];
  const usernames = new Map<string, number>();
  const byDevice = new Map<string, MqttCredential>();
  const owner = new Map<string, number>();
  for (let i = 0; i < file.credentials.length && problems.length < MAX_PROBLEMS; i++) {
    const c = file.credentials[i]!;
    const at = entry(i, c.username);
    const first = usernames.get(c.username);
    if (first !== undefined) problems.push(`${at}: username "${c.username}" is also credentials[${first}]'s`);
    else usernames.set(c.username, i);
    if (c.devices.includes(c.username) && c.devices.length > 1) {
      problems.push(`${at}: devices: a credential named after device "${c.username}" must list that device only`);
    }
    if (registry?.byId.has(c.username) && !c.devices.includes(c.username)) {
      problems.push(`${at}: username "${c.username}" is a device's id, but devices does not list it`);
    }
    c.devices.forEach((id, j) => {
      const prev = owner.get(id);
      if (prev !== undefined) {
        problems.push(`${at}: devices[${j}]: device "${id}" is listed twice (also by ${entry(prev, file.credentials[prev]!.username)})`);
        return;
      }
      owner.set(id, i);
      byDevice.set(id, c);
      if (!registry) return;
      const d = registry.byId.get(id);
      if (!d) problems.push(`${at}: devices[${j}]: device "${id}" is not in the registry`);
      else if (d.tenant !== c.tenant) problems.push(`${at}: devices[${j}]: device "${id}" belongs to tenant "${d.tenant}", not "${c.tenant}"`);
    });
  }
  if (problems.length) {
    const more = problems.length > MAX_PROBLEMS ? '; …' : '';
    throw new CredentialsError(`credentials ${path}: ${problems.slice(0, MAX_PROBLEMS).join('; ')}${more}`);
  }
  return { ...file, path, byDevice };
}

function entry(i: number, username: unknown): string {
  return typeof username === 'string' ? `credentials[${i}] ("${username}")` : `credentials[${i}]`;
}

/** "/credentials/3/secret: …" as `credentials[3] ("gas-0004"): secret: …`, naming the entry by its username. */
function nameEntry(error: string, raw: unknown): string {
  const m = /^\/credentials\/(\d+)(?:\/([^:]*))?: (.*)$/.exec(error);
  if (!m) return error;
  const i = Number(m[1]);
  const item = (raw as { credentials?: unknown[] }).credentials?.[i] as { username?: unknown } | undefined;
  const field = m[2] ? `${m[2].replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}: ` : '';
  return `${entry(i, item?.username)}: ${field}${m[3]}`;
}
