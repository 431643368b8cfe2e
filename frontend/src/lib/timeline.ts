// Timeline geometry: pure functions, tested without a DOM.
import { STEPS } from './chartdata';

/** Seconds between ruler ticks: the smallest step that leaves 70 px between labels. */
export function tickStep(pxPerSecond: number): number {
  for (const s of STEPS) if (s * pxPerSecond >= 70) return s;
  return STEPS[STEPS.length - 1];
}

/** Zoom from 1 (the whole episode in view) to 10 s of it in view. */
export function clampZoom(z: number, durationS: number): number {
  const max = Math.max(1, durationS / 10);
  return Math.min(Math.max(z, 1), max);
}

/** The scroll offset that keeps a point x (px) in a view of width w: the
 * same offset while it is inside, otherwise a page that puts it a tenth in. */
export function visibleFollow(scrollLeft: number, w: number, px: number): number {
  if (w <= 0) return scrollLeft;
  if (px >= scrollLeft && px <= scrollLeft + w) return scrollLeft;
  return Math.max(0, px - w * 0.1);
}
