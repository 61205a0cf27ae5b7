import { describe, expect, it } from 'vitest';
import { escapeKey, escapeMeasurement, escapeStringField, toLine } from '@lifeline/core/node';

describe('line protocol', () => {
  it('keeps Chinese text as it is in tags and fields', () => {
    expect(toLine('telemetry', { town: '太和镇', district: '清新区' }, { ch4: 1.5 }, 1000)).toBe('telemetry,district=清新区,town=太和镇 ch4=1.5 1000');
  });

  it('escapes spaces, commas and equals signs in tag keys and values', () => {
    expect(escapeKey('a b,c=d')).toBe('a\\ b\\,c\\=d');
    expect(toLine('m', { site: '太和镇 1号,A=B' }, { v: 1 })).toBe('m,site=太和镇\\ 1号\\,A\\=B v=1');
  });

  it('escapes commas and spaces but not equals signs in measurement names', () => {
    expect(escapeMeasurement('my m,x=y')).toBe('my\\ m\\,x=y');
  });

  it('quotes string fields and escapes quotes and backslashes; newlines become spaces', () => {
    expect(escapeStringField('说 "火警" C:\\x\n下一行')).toBe('"说 \\"火警\\" C:\\\\x 下一行"');
  });

  it('sorts tags, leaves out empty tag values and writes integers with an i suffix', () => {
    expect(toLine('m', { b: '2', a: '1', c: '' }, { n: { int: 3 }, ok: true }, 5)).toBe('m,a=1,b=2 n=3i,ok=true 5');
  });

  it('refuses NaN and Infinity at the point and a point with no fields', () => {
    expect(() => toLine('m', {}, { v: Number.NaN })).toThrow(/finite/);
    expect(() => toLine('m', {}, { v: Infinity })).toThrow(/finite/);
    expect(() => toLine('m', { a: 'x' }, {})).toThrow(/no fields/);
  });
});
