// The screen-time report mapped to chart rows: pure functions, no chart.js,
// so the mapping is tested without a canvas.
import type { ScreenTimeReport, Segment } from './types';

/** Distinct colours that read on both the light and the dark background. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#59a14f',
  '#b07aa1',
  '#edc948',
  '#76b7b2',
  '#ff9da7',
  '#9c755f',
  '#8cd17d',
  '#d37295',
  '#499894',
] as const;
export const UNIDENTIFIED_COLOR = '#8d96a0';
export const UNIDENTIFIED_LABEL = 'Unidentified';

/** One person (or the unidentified faces, id 0) as the bar chart and the timeline show it. */
export interface ChartRow {
  id: number;
  label: string;
  seconds: number;
  margin: number;
  /** Seconds seen only in profile faces (0 when none or unknown). */
  profile: number;
  share: number;
  color: string;
  segments: Segment[];
}

export function colorAt(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** People in report order (most screen time first), then the unidentified faces when there are any.
 * Labels are made unique: the chart's category axis keys rows by label. */
export function chartRows(r: ScreenTimeReport): ChartRow[] {
  const total = r.duration_s > 0 ? r.duration_s : 0;
  const rows: ChartRow[] = r.people.map((p, i) => ({
    id: p.identity_id,
    label: p.label || `Person ${p.identity_id}`,
    seconds: p.screen_time_s,
    margin: p.margin_s,
    profile: p.profile_s ?? 0,
    share: p.share,
    color: colorAt(i),
    segments: p.segments,
  }));
  const un = r.unidentified;
  if (un.screen_time_s > 0 || un.segments.length > 0) {
    rows.push({
      id: 0,
      label: UNIDENTIFIED_LABEL,
      seconds: un.screen_time_s,
      margin: un.margin_s,
      profile: 0,
      share: total ? un.screen_time_s / total : 0,
      color: UNIDENTIFIED_COLOR,
      segments: un.segments,
    });
  }
  const seen = new Map<string, number>();
  for (const row of rows) {
    const n = seen.get(row.label) ?? 0;
    seen.set(row.label, n + 1);
    if (n > 0) row.label = `${row.label} (#${row.id})`;
  }
  return rows;
}

/** Colour of an identity in the charts; id 0 is the unidentified faces. */
export function colorOf(rows: ChartRow[], id: number): string {
  return rows.find((r) => r.id === id)?.color ?? (id === 0 ? UNIDENTIFIED_COLOR : PALETTE[0]);
}

/** Bar chart data: one bar per row, seconds on screen. */
export function barData(rows: ChartRow[]) {
  return {
    labels: rows.map((r) => r.label),
    datasets: [
      {
        data: rows.map((r) => r.seconds),
        backgroundColor: rows.map((r) => r.color),
        borderWidth: 0,
      },
    ],
  };
}

/** Height in pixels of a chart with one row per person. */
export function rowsHeight(n: number, perRow = 26, axis = 40): number {
  return Math.max(1, n) * perRow + axis;
}

/** The moment (seconds) a click on a segment goes to: its first sampled
 * face. A segment starts half a sampling interval before it (each sample
 * stands for that much time either side), so the start itself can show
 * the frame before the face; kept inside the segment. */
export function segmentMoment(seg: Segment, sampleS: number): number {
  const start = seg.start_ms / 1000;
  const last = Math.max(start, seg.end_ms / 1000 - 0.001);
  const s = start + (Number.isFinite(sampleS) && sampleS > 0 ? sampleS / 2 : 0);
  return Math.round(Math.min(s, last) * 1000) / 1000;
}

/** Round steps (seconds) for time axes and rulers. */
export const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** A time-axis step (seconds) that puts at most maxTicks round ticks on [0, duration]. */
export function timeStep(duration: number, maxTicks = 10): number {
  const d = Number.isFinite(duration) && duration > 0 ? duration : 1;
  return STEPS.find((s) => d / s <= maxTicks) ?? Math.ceil(d / maxTicks / 3600) * 3600;
}
