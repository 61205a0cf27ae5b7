import { describe, expect, it } from 'vitest';
import { bodyOf, LineBatch, linesOf } from '@lifeline/core/node';

const line = (i: number) => `telemetry,device=gas-${i},town=庐阳区 ch4=${i / 10} ${1_795_000_000_000 + i}`;

describe('a batch of lines built as its request body', () => {
  it('is the lines joined by new lines, as UTF-8, however far it grew past its first room', () => {
    const b = new LineBatch(4096);
    const lines = Array.from({ length: 5000 }, (_, i) => line(i));
    for (const l of lines) b.add(l);
    expect(b.count).toBe(5000);
    const body = b.seal();
    expect(body.equals(Buffer.from(lines.join('\n'), 'utf8'))).toBe(true);
    expect(linesOf(body)).toEqual(lines);
  });

  it('keeps only its own bytes when sealed mostly empty, so a small batch waiting for InfluxDB holds little', () => {
    const b = new LineBatch(1024 * 1024);
    b.add(line(1));
    const body = b.seal();
    expect(body.toString()).toBe(line(1));
    expect(body.buffer.byteLength).toBeLessThan(64 * 1024);
  });

  it('splits back into exactly the lines it was made of, and none for an empty body', () => {
    const lines = [line(1), 'device_event,type=fire detail="温度 过高" 1795000000001', line(2)];
    expect(linesOf(bodyOf(lines))).toEqual(lines);
    expect(linesOf(bodyOf([]))).toEqual([]);
  });
});
