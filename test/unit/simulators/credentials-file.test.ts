import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS, loadRegistry } from '@lifeline/core/node';
import {
  CredentialsError,
  checkCredentialsFile,
  credentialsFileSchema,
  isDeviceCredential,
  loadCredentialsFile,
  type CredentialsFile,
  type MqttCredential,
} from '../../../simulators/src/credentials-file.js';

const registry = loadRegistry(CONFIG_KEYS.registryPath.default);
const secret = 's3cret-0123456789abcdef';
const [a, b, c] = registry.devices.filter((d) => d.tenant === registry.devices[0]!.tenant);
const other = registry.devices.find((d) => d.tenant !== a!.tenant)!;

const own = (id: string, tenant: string): MqttCredential => ({ username: id, secret, tenant, devices: [id] });
const valid = (): CredentialsFile => ({
  version: 1,
  credentials: [own(a!.id, a!.tenant), { username: 'gw-1', secret, tenant: b!.tenant, devices: [b!.id, c!.id] }, own(other.id, other.tenant)],
});
const fails = (file: unknown) => () => checkCredentialsFile(file, 'creds.json', registry);

describe('the credentials file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-creds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts device and gateway credentials and indexes them by device', () => {
    const file = path.join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(valid()));
    const creds = loadCredentialsFile(file, registry);
    expect(creds.path).toBe(file);
    expect(creds.byDevice.get(a!.id)?.username).toBe(a!.id);
    expect(creds.byDevice.get(b!.id)?.username).toBe('gw-1');
    expect(creds.byDevice.get(c!.id)?.username).toBe('gw-1');
    expect(isDeviceCredential(creds.byDevice.get(a!.id)!)).toBe(true);
    expect(isDeviceCredential(creds.byDevice.get(c!.id)!)).toBe(false);
  });

  it('has one schema the writer can check against without a registry', () => {
    expect(credentialsFileSchema.check(valid()).ok).toBe(true);
    expect(checkCredentialsFile({ version: 1, credentials: [own('gas-9999', 't')] }).byDevice.size).toBe(1);
  });

  it('names the entry and the field of a missing field', () => {
    const file = valid() as { credentials: Partial<MqttCredential>[] };
    delete file.credentials[1]!.secret;
    expect(fails(file)).toThrow(CredentialsError);
    expect(fails(file)).toThrow(/credentials creds\.json: credentials\[1\] \("gw-1"\): secret: Expected required property/);
  });

  it('names the entry and the field of a bad value, down to the device', () => {
    const short = valid();
    short.credentials[0]!.secret = 'changeme';
    expect(fails(short)).toThrow(new RegExp(`credentials\\[0\\] \\("${a!.id}"\\): secret: Expected string length greater or equal to 16`));
    const slash = valid();
    slash.credentials[1]!.devices[1] = 'gas/0001';
    expect(fails(slash)).toThrow(/credentials\[1\] \("gw-1"\): devices\[1\]: Expected string to match/);
  });

  it('refuses another version, or no credentials list', () => {
    expect(fails({ ...valid(), version: 2 })).toThrow(/\/version: Expected 1/);
    expect(fails({ version: 1 })).toThrow(/\/credentials: Expected required property/);
  });

  it('refuses a username used twice', () => {
    const file = valid();
    file.credentials.push({ username: 'gw-1', secret, tenant: a!.tenant, devices: ['gas-9999'] });
    expect(fails(file)).toThrow(/credentials\[3\] \("gw-1"\): username "gw-1" is also credentials\[1\]'s/);
  });

  it('refuses a device listed twice, naming both entries', () => {
    const file = valid();
    file.credentials[1]!.devices.push(a!.id);
    expect(fails(file)).toThrow(
      new RegExp(`credentials\\[1\\] \\("gw-1"\\): devices\\[2\\]: device "${a!.id}" is listed twice \\(also by credentials\\[0\\] \\("${a!.id}"\\)\\)`),
    );
  });

  it("refuses a device that is not in the registry, or not of the credential's tenant", () => {
    const unknown = valid();
    unknown.credentials[1]!.devices.push('gas-9999');
    expect(fails(unknown)).toThrow(/credentials\[1\] \("gw-1"\): devices\[2\]: device "gas-9999" is not in the registry/);
    const foreign = valid();
    foreign.credentials[1]!.devices.push(other.id);
    foreign.credentials.pop();
    expect(fails(foreign)).toThrow(new RegExp(`device "${other.id}" belongs to tenant "${other.tenant}", not "${b!.tenant}"`));
  });

  it('refuses a credential named after a device that lists other devices, or not that one', () => {
    const mixed = valid();
    mixed.credentials[0]!.devices.push(b!.id);
    mixed.credentials[1]!.devices = [c!.id];
    expect(fails(mixed)).toThrow(new RegExp(`a credential named after device "${a!.id}" must list that device only`));
    const borrowed = valid();
    borrowed.credentials[1]!.username = a!.id;
    borrowed.credentials.shift();
    expect(fails(borrowed)).toThrow(new RegExp(`username "${a!.id}" is a device's id, but devices does not list it`));
  });

  it('says which file could not be read', () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ "version": 1,');
    expect(() => loadCredentialsFile(file, registry)).toThrow(new RegExp(`credentials ${file}: cannot read JSON`));
  });
});
