import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { Device, Registry } from '@lifeline/core';
import { CONFIG_KEYS, InfluxWriter, checkRegistry, ensureDatabase, toLine } from '@lifeline/core/node';
import { Ingest, RULE_STATE_FILE, hourOfWeek, learnBaselines } from '@lifeline/ingest';
import { uniqueDbName } from '../support/services.js';

const HOUR = 3_600_000;
const base = { tenant: 'ent-a', kind: 'power' as const, town: '太和镇', lon: 113, lat: 23.7 };
const meters: Device[] = [
  { ...base, id: 'pm-1', name: '车间电表', site: '甲厂' },
  { ...base, id: 'pm-2', name: '办公电表', site: '甲厂' },
];
const registry = checkRegistry({
  version: 1,
  district: { code: '441803', name: '清新区', city: '清远市', center: [113, 23.7] },
  towns: ['太和镇'],
  tenants: [{ id: 'ent-a', name: '甲厂', type: 'enterprise', industry: '粉尘涉爆', enterprise: { ratedKw: 1000, idleKw: 20, state: 'normal' } }],
  devices: meters,
} satisfies Registry);

/** Weekdays 08–18 local the plant draws 300 + 100 kW; otherwise 15 + 5. */
const kwOf = (meter: number, t: number): number => {
  const h = hourOfWeek(t);
  const working = h >= 24 && h < 144 && h % 24 >= 8 && h % 24 < 18;
  return working ? (meter === 0 ? 300 : 100) : meter === 0 ? 15 : 5;
};

async function writeHistory(url: string, db: string, now: number): Promise<void> {
  await ensureDatabase({ url, db });
  const w = new InfluxWriter({ url, db, batchSize: 5000, flushMs: 50, maxBuffered: 1_000_000, concurrency: 2 });
  const from = Math.floor(now / HOUR) * HOUR - 3 * 7 * 24 * HOUR;
  for (let t = from; t < now - HOUR; t += 10 * 60_000) {
    meters.forEach((m, i) => w.write(toLine('telemetry', { device: m.id, kind: 'power', tenant: m.tenant }, { p_kw: kwOf(i, t) }, t)));
  }
  await w.close();
}

describe('the hour-of-week power baseline', () => {
  const url = inject('influxUrl');

  it('is learned from three weeks of history in InfluxDB, summed over the enterprise’s meters', async () => {
    const db = uniqueDbName('baseline');
    const now = Date.now();
    await writeHistory(url, db, now);
    const learned = await learnBaselines({ url, db }, meters, { weeks: 4, now });
    const b = learned.get('ent-a')!;
    const tuesday10 = 2 * 24 + 10;
    const sunday3 = 3;
    expect(b.mean[tuesday10]).toBeCloseTo(400, 5);
    expect(b.mean[sunday3]).toBeCloseTo(20, 5);
    expect(b.weeks[tuesday10]).toBeGreaterThanOrEqual(2);
  });

  it('is learned by Ingest at start-up, and the rule state is saved at stop and restored on the next start', async () => {
    const db = uniqueDbName('baseline-ingest');
    const now = Date.now();
    await writeHistory(url, db, now);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-rules-'));
    const writer = new InfluxWriter({ url, db, batchSize: 5000, flushMs: 50, maxBuffered: 100_000, concurrency: 1 });
    const make = () =>
      new Ingest({
        mqtt: { url: inject('mqttUrl'), clientId: `rules-${db}` },
        registry,
        writer,
        deadLetterMax: 10,
        onSignal: () => {},
        rules: { path: CONFIG_KEYS.rulesPath.default, stateDir: dir, influx: { url, db } },
      });
    try {
      const first = make();
      await first.start();
      await first.baselinesLearned;
      expect(first.rules.baselineOf('ent-a')!.mean[2 * 24 + 10]).toBeCloseTo(400, 5);
      first.rules.onReading(meters[0]!, { ts: now, values: { p_kw: 310 } });
      await first.stop();
      const saved = JSON.parse(readFileSync(path.join(dir, RULE_STATE_FILE), 'utf8'));
      expect(saved.state.map(([k]: [string]) => k)).toEqual(expect.arrayContaining(['how|ent-a', 'm|ent-a']));
      const second = make();
      await second.start();
      expect(second.rules.snapshot().state.find(([k]) => k === 'm|ent-a')?.[1]).toEqual({ 'pm-1': [now, 310] });
      await second.stop();
    } finally {
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
