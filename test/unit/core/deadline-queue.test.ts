import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from '@lifeline/core';

describe('the deadline queue', () => {
  it('hands out the ids that are due, earliest first, and keeps the rest', () => {
    const q = new DeadlineQueue();
    q.schedule('c', 30);
    q.schedule('a', 10);
    q.schedule('b', 20);
    expect(q.popDue(20)).toEqual(['a', 'b']);
    expect(q.size).toBe(1);
    expect(q.peek()).toBe(30);
    expect(q.popDue(29)).toEqual([]);
    expect(q.popDue(30)).toEqual(['c']);
    expect(q.size).toBe(0);
  });

  it('keeps one entry per id: an earlier schedule moves it forward, a later one waits for the owner to re-check', () => {
    const q = new DeadlineQueue();
    q.schedule('a', 50);
    q.schedule('a', 10);
    q.schedule('a', 90);
    expect(q.deadlineOf('a')).toBe(10);
    expect(q.popDue(100)).toEqual(['a']);
    expect(q.popDue(100)).toEqual([]);
  });

  it('reschedules later, forgets deleted ids, and hands out at most as many as asked', () => {
    const q = new DeadlineQueue();
    for (let i = 0; i < 10; i++) q.schedule(`d${i}`, i);
    q.reschedule('d0', 100);
    q.delete('d1');
    expect(q.popDue(50, 3)).toEqual(['d2', 'd3', 'd4']);
    expect(q.popDue(50)).toEqual(['d5', 'd6', 'd7', 'd8', 'd9']);
    expect(q.popDue(100)).toEqual(['d0']);
  });

  it('stays small and ordered through many reschedules of many ids', () => {
    const q = new DeadlineQueue();
    const n = 5000;
    const at = new Map<string, number>();
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < n; i++) {
        const t = Math.floor(rnd() * 1e6);
        q.reschedule(`d${i}`, t);
        at.set(`d${i}`, t);
      }
    }
    expect(q.size).toBe(n);
    const out = q.popDue(Infinity);
    expect(out).toHaveLength(n);
    const times = out.map((id) => at.get(id)!);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
