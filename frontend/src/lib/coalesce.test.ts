import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from './coalesce';

describe('Coalescer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('applies at most 4 progress updates per second per key, and always the newest last', () => {
    const applied: number[] = [];
    const c = new Coalescer<number>((v) => applied.push(v));
    // 100 events per second for 2 s on one key
    for (let i = 0; i < 200; i++) {
      c.push('job/detect', i);
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(1000);
    expect(applied.length).toBeGreaterThanOrEqual(7);
    expect(applied.length).toBeLessThanOrEqual(9);
    expect(applied.at(-1)).toBe(199);
    // no 1-s window holds more than 4 applications
    const times: number[] = [];
    const c2 = new Coalescer<number>(() => times.push(Date.now()));
    for (let i = 0; i < 300; i++) {
      c2.push('k', i);
      vi.advanceTimersByTime(7);
    }
    vi.advanceTimersByTime(500);
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i] && t < times[i] + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(4);
    }
  });

  it('keys are throttled independently', () => {
    const applied: string[] = [];
    const c = new Coalescer<string>((v) => applied.push(v));
    c.push('a', 'a1');
    c.push('b', 'b1');
    c.push('a', 'a2');
    expect(applied).toEqual(['a1', 'b1']);
    vi.advanceTimersByTime(250);
    expect(applied).toEqual(['a1', 'b1', 'a2']);
  });

  it('urgent updates apply at once and replace what is pending', () => {
    const applied: string[] = [];
    const c = new Coalescer<string>((v) => applied.push(v));
    c.push('k', 'p1');
    c.push('k', 'p2');
    c.push('k', 'ok', true);
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual(['p1', 'ok']);
  });
});
