import { describe, expect, it } from 'vitest';
import { boxesAt, buildIndex, cutBetween, fitContain, floorIndex, trackBoxAt, type TrackBoxes } from './overlay';

// Samples every 200 ms (5 fps).
const S = 200;
const track = (id: number, who: number, t: number[], x0 = 0): TrackBoxes => ({
  track_id: id,
  identity_id: who,
  t_ms: t,
  boxes: t.flatMap((_, i) => [x0 + 10 * i, 0, x0 + 10 * i + 50, 60]),
});

describe('overlay', () => {
  it('finds indices and cuts by binary search', () => {
    expect(floorIndex([], 5)).toBe(-1);
    expect(floorIndex([0, 200, 400], -1)).toBe(-1);
    expect(floorIndex([0, 200, 400], 200)).toBe(1);
    expect(floorIndex([0, 200, 400], 399)).toBe(1);
    expect(floorIndex([0, 200, 400], 9999)).toBe(2);
    expect(cutBetween([1000], 800, 1000)).toBe(true);
    expect(cutBetween([1000], 1000, 1200)).toBe(false);
    expect(cutBetween([1000], 600, 800)).toBe(false);
  });

  it('interpolates between samples', () => {
    const t = track(1, 7, [0, 200, 400]);
    const idx = buildIndex([t], [], S);
    const b = trackBoxAt(idx, t, 100)!;
    expect(b.x1).toBeCloseTo(5);
    expect(b.x2).toBeCloseTo(55);
    expect(b.identity_id).toBe(7);
    expect(trackBoxAt(idx, t, 400)!.x1).toBe(20);
  });

  it('shows a lone sample for half an interval each side, then nothing', () => {
    const t = track(1, 1, [1000]);
    const idx = buildIndex([t], [], S);
    expect(trackBoxAt(idx, t, 900)).not.toBeNull();
    expect(trackBoxAt(idx, t, 1100)).not.toBeNull();
    expect(trackBoxAt(idx, t, 899)).toBeNull();
    expect(trackBoxAt(idx, t, 1101)).toBeNull();
  });

  it('does not interpolate across a cut, nor show a box on the wrong side of it', () => {
    // Samples at 800 and 1000, a cut at 900 (between them).
    const t = track(1, 1, [800, 1000]);
    const idx = buildIndex([t], [900], S);
    expect(trackBoxAt(idx, t, 850)!.x1).toBe(0); // first sample's box, not a blend
    expect(trackBoxAt(idx, t, 899)!.x1).toBe(0);
    expect(trackBoxAt(idx, t, 900)!.x1).toBe(10); // the new shot's box
    const lone = track(2, 1, [1000]);
    const idx2 = buildIndex([lone], [950], S);
    expect(trackBoxAt(idx2, lone, 920)).toBeNull(); // before the cut: the face is not there yet
    expect(trackBoxAt(idx2, lone, 960)).not.toBeNull();
  });

  it('hides the box across a long gap', () => {
    const t = track(1, 1, [0, 2000]);
    const idx = buildIndex([t], [], S);
    expect(trackBoxAt(idx, t, 50)).not.toBeNull();
    expect(trackBoxAt(idx, t, 1000)).toBeNull();
    expect(trackBoxAt(idx, t, 1950)!.x1).toBe(10);
    // A missed sample or two is bridged.
    const u = track(2, 1, [0, 400]);
    expect(trackBoxAt(buildIndex([u], [], S), u, 200)!.x1).toBeCloseTo(5);
  });

  it('finds every track alive at a time, and only those', () => {
    const a = track(1, 1, [0, 200, 400, 600]);
    const b = track(2, 2, [400, 600, 800], 300);
    const c = track(3, 0, [5000, 5200]);
    const idx = buildIndex([a, b, c], [], S);
    expect(boxesAt(idx, 500).map((x) => x.track_id).sort()).toEqual([1, 2]);
    expect(boxesAt(idx, 50).map((x) => x.track_id)).toEqual([1]);
    expect(boxesAt(idx, 5100).map((x) => x.track_id)).toEqual([3]);
    expect(boxesAt(idx, 3000)).toEqual([]);
  });

  it('ignores tracks whose boxes do not match their samples', () => {
    const bad: TrackBoxes = { track_id: 9, identity_id: 1, t_ms: [0, 200], boxes: [1, 2, 3] };
    expect(boxesAt(buildIndex([bad], [], S), 100)).toEqual([]);
  });

  it('keeps 60 fps cheap for an hour of faces', () => {
    // 1 h at 5 fps, two faces always on screen, a new track every 4 s.
    const tracks: TrackBoxes[] = [];
    for (let s = 0; s < 3600; s += 4) {
      const ts = Array.from({ length: 20 }, (_, i) => s * 1000 + i * S);
      tracks.push(track(tracks.length + 1, 1, ts), track(tracks.length + 2, 2, ts, 400));
    }
    const idx = buildIndex(tracks, [], S);
    let n = 0;
    for (let t = 0; t < 3600_000; t += 16.7) n += boxesAt(idx, t).length;
    expect(n / (3600_000 / 16.7)).toBeGreaterThan(1.9);
  });

  it('letterboxes the picture like object-fit: contain', () => {
    expect(fitContain(1920, 1080, 960, 720)).toEqual({ scale: 0.5, dx: 0, dy: 90 });
    expect(fitContain(1080, 1920, 1000, 960)).toEqual({ scale: 0.5, dx: 230, dy: 0 });
    expect(fitContain(0, 0, 100, 100).scale).toBe(0);
  });
});
