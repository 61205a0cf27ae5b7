import { describe, expect, it } from 'vitest';
import { formatProgress } from '../../../simulators/src/progress.js';
import type { SimulatorStats } from '../../../simulators/src/simulator.js';

const stats: SimulatorStats = {
  startedAt: 1,
  elapsedS: 3725,
  simS: 3725,
  offered: 1_000_000,
  sent: 999_000,
  inFlight: 120,
  skipped: 0,
  dropped: 0,
  errors: 0,
  connections: 6722,
  connected: 6720,
  refused: 0,
  devices: 100_000,
  incident: null,
  fire: null,
  violation: null,
};

describe('the progress line', () => {
  it('shows the offered and acknowledged rates, messages in flight and connections up', () => {
    expect(formatProgress(stats, { offered: 22_401.4, acked: 22_398.6 })).toBe(
      '01:02:05 | offered 22401/s | acked 22399/s | sent 999000 | in flight 120 | conns up 6720/6722 | devices 100000',
    );
  });

  it('keeps a decimal for small rates, and says when readings were skipped because the broker is behind', () => {
    const line = formatProgress({ ...stats, skipped: 42, dropped: 3 }, { offered: 12.34, acked: 9.87 });
    expect(line).toContain('offered 12.3/s | acked 9.9/s');
    expect(line).toContain('skipped 42 (broker behind) | dropped 3');
  });
});
