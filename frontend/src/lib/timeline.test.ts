import { describe, expect, it } from 'vitest';
import { clampZoom, tickStep, visibleFollow } from './timeline';

describe('timeline geometry', () => {
  it('spaces ruler labels at least 70 px apart', () => {
    expect(tickStep(100)).toBe(1);
    expect(tickStep(20)).toBe(5);
    expect(tickStep(0.5)).toBe(300);
    expect(tickStep(0.0001)).toBe(3600);
  });
  it('zooms between the whole episode and 10 s in view', () => {
    expect(clampZoom(0.2, 3600)).toBe(1);
    expect(clampZoom(1000, 3600)).toBe(360);
    expect(clampZoom(4, 20)).toBe(2);
    expect(clampZoom(4, 5)).toBe(1);
  });
  it('follows the playhead a page at a time', () => {
    expect(visibleFollow(0, 500, 250)).toBe(0);
    expect(visibleFollow(0, 500, 700)).toBe(650);
    expect(visibleFollow(1000, 500, 100)).toBe(50);
  });
});
