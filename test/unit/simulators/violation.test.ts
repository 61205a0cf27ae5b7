import { describe, expect, it } from 'vitest';
import { loadRegistry } from '@lifeline/core/node';
import { ShutdownViolation, defaultStoppedEnterprise } from '../../../simulators/src/incidents.js';
import { createRng } from '../../../simulators/src/rng.js';

const registry = loadRegistry(new URL('../../../data/qingxin-registry.json', import.meta.url).pathname);
const devices = [...registry.byId.values()];

describe('the shutdown-violation scenario', () => {
  const tenant = defaultStoppedEnterprise(devices, registry.tenants)!;
  const meter = devices.find((d) => d.kind === 'power' && d.tenant === tenant.id)!;
  const other = devices.find((d) => d.kind === 'power' && d.tenant !== tenant.id)!;

  it('picks an enterprise registered as stopped (停产整顿) that has a meter', () => {
    expect(tenant.enterprise?.state).toBe('stopped');
    expect(meter).toBeDefined();
  });

  it("draws a working load on that enterprise's meters from its start, far above the idle level", () => {
    const v = new ShutdownViolation(tenant, 180);
    const rng = createRng(1);
    const { ratedKw, idleKw } = tenant.enterprise!;
    expect(v.value(meter, ratedKw, 179, rng)).toBeNull();
    const kw = v.value(meter, ratedKw, 180, rng)!;
    expect(kw).toBeGreaterThan(ratedKw * 0.45);
    expect(kw).toBeGreaterThan(idleKw * 3);
    expect(v.value(other, ratedKw, 200, rng)).toBeNull();
  });

  it('refuses an enterprise that is not under an ordered shutdown', () => {
    const working = registry.tenants.find((t) => t.enterprise?.state === 'normal')!;
    expect(() => new ShutdownViolation(working, 0)).toThrow(/not registered as stopped/);
  });
});
