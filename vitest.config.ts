import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The one test configuration. Tests import the packages' sources (not dist),
 * so they need no build; `test/support/global-setup.ts` starts a real
 * Mosquitto and a real InfluxDB on ephemeral ports for the whole run and
 * hands their URLs to tests as `inject('mqttUrl')` and `inject('influxUrl')`.
 */
export default defineConfig({
  resolve: {
    // Exact-match patterns, most specific first: "@lifeline/core/node" must
    // not be caught by the bare "@lifeline/core" alias.
    alias: [
      { find: /^@lifeline\/core\/node$/, replacement: here('./core/src/node.ts') },
      { find: /^@lifeline\/core$/, replacement: here('./core/src/index.ts') },
      { find: /^@lifeline\/ingest$/, replacement: here('./ingest/src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // Two cores: two test files at a time, each in its own child process
    // (forks isolate native handles and process-wide state such as timers).
    pool: 'forks',
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    maxWorkers: 2,
    minWorkers: 1,
  },
});
