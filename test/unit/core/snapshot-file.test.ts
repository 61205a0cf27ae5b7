import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { latestValuesItem, readSnapshotFile, SNAPSHOT_ITEMS_PER_TURN, SnapshotSchedule, writeSnapshotFile, type LatestValuesItem } from '@lifeline/core/node';

const KIND = { kind: 'latest-values', version: 1, scope: 'city' };

function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'lifeline-snapshot-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const items = (n: number): LatestValuesItem[] => Array.from({ length: n }, (_, i) => [`gas-${i}`, 1_795_000_000_000 + i, { ch4: i % 100, temp: 21.5 }]);

describe('a snapshot file', () => {
  it('reads back what was written, with the mark it is complete up to', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    await writeSnapshotFile(file, KIND, 1_795_000_123_000, items(5000));
    const snap = readSnapshotFile(file, KIND, latestValuesItem);
    expect(snap?.upTo).toBe(1_795_000_123_000);
    expect(snap?.items).toEqual(items(5000));
  });

  it('replaces the previous snapshot whole and leaves no temp file beside it', async () => {
    const dir = tmp();
    const file = path.join(dir, 'latest.snapshot');
    await writeSnapshotFile(file, KIND, 1, items(3));
    await writeSnapshotFile(file, KIND, 2, items(2));
    expect(readSnapshotFile(file, KIND, latestValuesItem)).toMatchObject({ upTo: 2, items: items(2) });
    expect(readdirSync(dir)).toEqual(['latest.snapshot']);
  });

  it('is no snapshot when it is missing', () => {
    expect(readSnapshotFile(path.join(tmp(), 'none.snapshot'), KIND, latestValuesItem)).toBeNull();
  });

  it('is no snapshot when it is torn (cut short by a crash or a full disk)', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    await writeSnapshotFile(file, KIND, 1, items(100));
    const size = readFileSync(file).length;
    for (const cut of [size - 1, Math.floor(size / 2), 10, 0]) {
      truncateSync(file, cut);
      expect(readSnapshotFile(file, KIND, latestValuesItem), `cut at ${cut} bytes`).toBeNull();
    }
  });

  it('is no snapshot when a byte of it was altered', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    await writeSnapshotFile(file, KIND, 1, items(100));
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"ch4":42', '"ch4":43'));
    expect(readSnapshotFile(file, KIND, latestValuesItem)).toBeNull();
  });

  it('is no snapshot when its items are not what the reader expects, even with a matching checksum', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    await writeSnapshotFile(file, KIND, 1, [['gas-1', 5, { ch4: 'high' }]]);
    expect(readSnapshotFile(file, KIND, latestValuesItem)).toBeNull();
  });

  it('is not used for another kind, version or database', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    await writeSnapshotFile(file, KIND, 1, items(1));
    expect(readSnapshotFile(file, { ...KIND, kind: 'active-alerts' }, latestValuesItem)).toBeNull();
    expect(readSnapshotFile(file, { ...KIND, version: 2 }, latestValuesItem)).toBeNull();
    expect(readSnapshotFile(file, { ...KIND, scope: 'town' }, latestValuesItem)).toBeNull();
  });

  it('is serialised a slice per turn of the event loop, so a timer still runs while a city is written', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    let ticks = 0;
    const t = setInterval(() => ticks++, 0);
    const written = await writeSnapshotFile(file, KIND, 1, items(SNAPSHOT_ITEMS_PER_TURN * 10));
    clearInterval(t);
    expect(written.items).toBe(SNAPSHOT_ITEMS_PER_TURN * 10);
    expect(ticks).toBeGreaterThanOrEqual(5);
  });
});

describe('a snapshot schedule', () => {
  it('writes what is held once more at stop', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    let held = items(2);
    const s = new SnapshotSchedule({ file, kind: KIND, everyMs: 60_000, capture: () => ({ upTo: held.length, items: held }) });
    s.start();
    await s.save();
    held = items(3);
    await s.stop();
    expect(readSnapshotFile(file, KIND, latestValuesItem)).toMatchObject({ upTo: 3, items: items(3) });
  });

  it('marks the snapshot written at stop as final, for one read only (a run started from it may die)', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    const s = new SnapshotSchedule({ file, kind: KIND, everyMs: 0, capture: () => ({ upTo: 1, items: items(2) }) });
    await s.save();
    expect(readSnapshotFile(file, KIND, latestValuesItem)?.final).toBe(false);
    await s.stop();
    expect(readSnapshotFile(file, KIND, latestValuesItem)?.final).toBe(true);
    expect(readSnapshotFile(file, KIND, latestValuesItem)?.final).toBe(false);
  });

  it('keeps the previous snapshot when a write fails, and does not throw', async () => {
    const file = path.join(tmp(), 'latest.snapshot');
    let fail = false;
    const s = new SnapshotSchedule({
      file,
      kind: KIND,
      everyMs: 0,
      capture: () => {
        if (fail) throw new Error('disk gone');
        return { upTo: 1, items: items(1) };
      },
    });
    await s.save();
    fail = true;
    await expect(s.save()).resolves.toBeUndefined();
    expect(readSnapshotFile(file, KIND, latestValuesItem)).toMatchObject({ upTo: 1, items: items(1) });
  });
});
