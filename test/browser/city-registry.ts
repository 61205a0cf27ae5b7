/**
 * A city-size registry for browser tests, from the project's own generator
 * (`buildCity`, as `generate-registry --devices N` writes it), in a temp file.
 *
 * Every device reports once a day here (`intervalS`): a test that wakes
 * thousands of them must not see them all fall offline (and raise thousands
 * of offline alerts) a minute and a half later, in the middle of its checks.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Device, Registry } from '@lifeline/core';
import { checkRegistry } from '@lifeline/core/node';
import { buildCity, formatRegistry } from '../../simulators/src/generate-registry.js';
import { tempDataDir } from '../support/services.js';

const QUIET_INTERVAL_S = 86_400;

export interface CityRegistry {
  path: string;
  registry: Registry;
  devices: Device[];
  /** Deletes the file (about 25 MB at 100,000 devices). */
  remove(): void;
}

export function writeCityRegistry(devices: number): CityRegistry {
  const registry = buildCity(devices);
  for (const d of registry.devices) d.intervalS = QUIET_INTERVAL_S;
  checkRegistry(registry, '(city registry)');
  const dir = tempDataDir('city-registry');
  const file = path.join(dir, 'registry.json');
  writeFileSync(file, formatRegistry(registry, 'lines'));
  return { path: file, registry, devices: registry.devices, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
