/**
 * `lifeline-sim generate` (and `node simulators/dist/generate-registry.js`):
 * writes the sample registry, or a city of N devices, to a file.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEVICE_KINDS } from '@lifeline/core';
import { CONFIG_KEYS, writeFileDurably } from '@lifeline/core/node';
import { buildCity, buildRegistry, DEFAULT_SEED, formatRegistry, MAX_DEVICES, SAMPLE_DEVICES } from './generate-registry.js';

export const GENERATE_HELP = `usage: lifeline-sim generate [--devices N] [--out FILE] [--seed N]
       (npm run simulate -- generate …, or node simulators/dist/generate-registry.js [FILE] …)

Writes a device registry of 清远市清新区, the same file for the same options.

  --devices N   a city of exactly N devices (${SAMPLE_DEVICES}–${MAX_DEVICES}): the sample's kinds in its
                proportions (gas 37 %, smoke 25 %, fire panels 15 %, water pressure 10 %,
                power 9 %, drainage 5 %), its sites (old communities with 3–5 gas detectors,
                restaurants with one or two, self-built houses with a smoke detector per floor,
                fire panels of hotels, schools and markets, water and drainage networks), its
                twenty enterprises and as many more as the meters need (1–3 meters each, a rated
                capacity to match, each meter's bounds its share of it), every point inside
                the district. One tenant or device a line. 100,000 devices take a few seconds
                and about 30 MB. Default: the ${SAMPLE_DEVICES}-device sample, indented as committed.
  --out FILE    where to write (default ${CONFIG_KEYS.registryPath.default}, the committed sample:
                write cities elsewhere, e.g. .run/city-100k.json, and point the platform and
                the simulator at them with REGISTRY_PATH or --registry)
  --seed N      seed of the draws (default ${DEFAULT_SEED})
  -h, --help    this help`;

export class GenerateUsageError extends Error {}

export interface GenerateArgs {
  help: boolean;
  devices: number | null;
  out: string;
  seed: number;
}

export function parseGenerateArgs(argv: string[]): GenerateArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        devices: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new GenerateUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1 || (positionals.length && values.out !== undefined)) throw new GenerateUsageError('give one output file (--out FILE)');
  const int = (raw: string | undefined, name: string): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n)) throw new GenerateUsageError(`--${name} must be an integer, got "${raw}"`);
    return n;
  };
  const devices = int(values.devices, 'devices') ?? null;
  if (devices !== null && (devices < SAMPLE_DEVICES || devices > MAX_DEVICES)) {
    throw new GenerateUsageError(`--devices must be from ${SAMPLE_DEVICES} (the sample's size) to ${MAX_DEVICES}, got ${devices}`);
  }
  return {
    help: values.help,
    devices,
    out: path.resolve(values.out ?? positionals[0] ?? CONFIG_KEYS.registryPath.default),
    seed: int(values.seed, 'seed') ?? DEFAULT_SEED,
  };
}

/** Runs the command; returns the summary line it printed. */
export function generateCommand(argv: string[], print: (line: string) => void = console.log): void {
  const args = parseGenerateArgs(argv);
  if (args.help) {
    print(GENERATE_HELP);
    return;
  }
  const t0 = performance.now();
  const registry = args.devices === null ? buildRegistry(args.seed) : buildCity(args.devices, args.seed);
  const text = formatRegistry(registry, args.devices === null ? 'indented' : 'lines');
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileDurably(args.out, text);
  const counts = Object.fromEntries(DEVICE_KINDS.map((k) => [k, 0]));
  for (const d of registry.devices) counts[d.kind]!++;
  const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
  print(
    `wrote ${args.out}: ${registry.devices.length} devices ${JSON.stringify(counts)}, ${registry.tenants.length} tenants, ${mb} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
