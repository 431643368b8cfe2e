// Face boxes over the playing video: which boxes show at a time, where.
//
// The tracks are loaded once per episode and indexed here, so a frame's
// boxes are found without asking the backend: a one-second bucket gives the
// few tracks alive around a time, a binary search the two samples around
// it. Between two samples of a track the box is interpolated linearly;
// never across a shot cut, nor across a gap longer than MAX_GAP_SAMPLES
// sampling intervals (the face was lost there). Around a sample with no
// neighbour to interpolate with (a track's ends, the sides of a gap or a
// cut) the box shows for half a sampling interval, so each sampled face is
// seen for about the time it stands for, and never on the wrong side of a
// cut.

import type { service } from './wailsjs/go/models';

/** One face track as the backend sends it (service.PlaybackTrack): sample
 * times t_ms and boxes (x1, y1, x2, y2 in source pixels, four numbers per
 * sample); identity_id 0 is no identity (unidentified). */
export type TrackBoxes = service.PlaybackTrack;

/** A box to draw: source pixels. */
export interface FaceBox {
  track_id: number;
  identity_id: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Gaps of more than this many sampling intervals are not interpolated. */
export const MAX_GAP_SAMPLES = 2.5;
const BUCKET_MS = 1000;

export interface OverlayIndex {
  tracks: TrackBoxes[];
  cuts: number[];
  halfMs: number;
  gapMs: number;
  buckets: Map<number, number[]>;
}

/** Indexes tracks for boxesAt. cutsMs: shot cut times (the first frame of
 * each new shot); sampleMs: the sampling interval. */
export function buildIndex(tracks: TrackBoxes[], cutsMs: number[], sampleMs: number): OverlayIndex {
  const halfMs = Math.max(sampleMs, 1) / 2;
  const buckets = new Map<number, number[]>();
  tracks.forEach((t, i) => {
    const n = t.t_ms.length;
    if (n === 0 || t.boxes.length < 4 * n) return;
    const lo = Math.floor((t.t_ms[0] - halfMs) / BUCKET_MS);
    const hi = Math.floor((t.t_ms[n - 1] + halfMs) / BUCKET_MS);
    for (let b = lo; b <= hi; b++) {
      const list = buckets.get(b);
      if (list) list.push(i);
      else buckets.set(b, [i]);
    }
  });
  return { tracks, cuts: [...cutsMs].sort((a, b) => a - b), halfMs, gapMs: MAX_GAP_SAMPLES * Math.max(sampleMs, 1), buckets };
}

/** The last index i with a[i] <= x, or -1. */
export function floorIndex(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at;
}

/** Whether a cut falls in (lo, hi]: a frame at hi is in a later shot than one at lo. */
export function cutBetween(cuts: number[], lo: number, hi: number): boolean {
  const i = floorIndex(cuts, hi);
  return i >= 0 && cuts[i] > lo;
}

function boxOf(t: TrackBoxes, i: number): FaceBox {
  const b = t.boxes;
  return { track_id: t.track_id, identity_id: t.identity_id, x1: b[4 * i], y1: b[4 * i + 1], x2: b[4 * i + 2], y2: b[4 * i + 3] };
}

/** The box of one track at tMs, or null when the track shows none then. */
export function trackBoxAt(idx: OverlayIndex, t: TrackBoxes, tMs: number): FaceBox | null {
  const ts = t.t_ms;
  const i = floorIndex(ts, tMs);
  const near = (j: number) => Math.abs(ts[j] - tMs) <= idx.halfMs && !cutBetween(idx.cuts, Math.min(ts[j], tMs), Math.max(ts[j], tMs));
  if (i < 0) return near(0) ? boxOf(t, 0) : null;
  if (ts[i] === tMs) return boxOf(t, i);
  if (i === ts.length - 1) return near(i) ? boxOf(t, i) : null;
  const a = ts[i];
  const b = ts[i + 1];
  if (b - a <= idx.gapMs && !cutBetween(idx.cuts, a, b)) {
    const f = (tMs - a) / (b - a);
    const p = boxOf(t, i);
    const q = boxOf(t, i + 1);
    return {
      track_id: t.track_id,
      identity_id: t.identity_id,
      x1: p.x1 + (q.x1 - p.x1) * f,
      y1: p.y1 + (q.y1 - p.y1) * f,
      x2: p.x2 + (q.x2 - p.x2) * f,
      y2: p.y2 + (q.y2 - p.y2) * f,
    };
  }
  if (near(i)) return boxOf(t, i);
  if (near(i + 1)) return boxOf(t, i + 1);
  return null;
}

/** Every box showing at tMs. */
export function boxesAt(idx: OverlayIndex, tMs: number): FaceBox[] {
  const out: FaceBox[] = [];
  for (const i of idx.buckets.get(Math.floor(tMs / BUCKET_MS)) ?? []) {
    const b = trackBoxAt(idx, idx.tracks[i], tMs);
    if (b) out.push(b);
  }
  return out;
}

/** Where the picture sits in an element that letterboxes it (object-fit:
 * contain): scale and offset from source pixels to element pixels. */
export function fitContain(srcW: number, srcH: number, boxW: number, boxH: number): { scale: number; dx: number; dy: number } {
  if (srcW <= 0 || srcH <= 0 || boxW <= 0 || boxH <= 0) return { scale: 0, dx: 0, dy: 0 };
  const scale = Math.min(boxW / srcW, boxH / srcH);
  return { scale, dx: (boxW - srcW * scale) / 2, dy: (boxH - srcH * scale) / 2 };
}
