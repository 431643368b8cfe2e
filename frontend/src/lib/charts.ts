// The Report view's two chart configurations, built from chart rows, and the
// page colours they use. chart.js itself is loaded on demand (lib/chartjs.ts).
import type { ChartConfiguration, TooltipItem } from 'chart.js';
import { barData, timeStep, timelineData, type ChartRow, type TimelinePoint } from './chartdata';
import { formatClock, formatSeconds, formatShare } from './format';
import type { Segment } from './types';

export type BarConfig = ChartConfiguration<'bar', (number | TimelinePoint)[], string>;

/** Colours and font the charts take from the page (app.css), so they follow light and dark. */
export interface ChartTheme {
  text: string;
  dim: string;
  grid: string;
  font: string;
}

export function readTheme(): ChartTheme {
  const css = typeof getComputedStyle === 'function' ? getComputedStyle(document.documentElement) : null;
  const v = (name: string, fallback: string) => css?.getPropertyValue(name).trim() || fallback;
  return { text: v('--text', '#dfe3e8'), dim: v('--dim', '#8d96a0'), grid: v('--line', '#2f343a'), font: v('--sans', 'sans-serif') };
}

/** Calls back when the system switches between light and dark; returns the unsubscribe function. */
export function onSchemeChange(cb: () => void): () => void {
  if (typeof window === 'undefined' || typeof window.matchMedia !== 'function') return () => {};
  const mq = window.matchMedia('(prefers-color-scheme: light)');
  mq.addEventListener('change', cb);
  return () => mq.removeEventListener('change', cb);
}

/** Whether the canvas has a 2D context (jsdom has none). */
export function canDraw(el: HTMLCanvasElement): boolean {
  if (typeof CanvasRenderingContext2D === 'undefined') return false;
  try {
    return el.getContext('2d') !== null;
  } catch {
    return false;
  }
}

function timeAxis(t: ChartTheme, duration: number, max?: number) {
  return {
    type: 'linear' as const,
    min: 0,
    max,
    grid: { color: t.grid },
    border: { color: t.grid },
    ticks: {
      color: t.dim,
      font: { family: t.font, size: 11 },
      stepSize: timeStep(duration),
      maxRotation: 0,
      callback: (v: number | string) => formatClock(Number(v)),
    },
  };
}

function rowAxis(t: ChartTheme) {
  return {
    type: 'category' as const,
    grid: { display: false },
    border: { color: t.grid },
    ticks: { color: t.text, font: { family: t.font, size: 12 } },
  };
}

/** Screen time per person: one horizontal bar each. */
export function barConfig(rows: ChartRow[], t: ChartTheme): BarConfig {
  const longest = Math.max(1, ...rows.map((r) => r.seconds));
  return {
    type: 'bar',
    data: barData(rows),
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: timeAxis(t, longest), y: rowAxis(t) },
      plugins: {
        tooltip: {
          callbacks: {
            label: (c: TooltipItem<'bar'>) => {
              const r = rows[c.dataIndex];
              return r ? `${formatSeconds(r.seconds)} (${formatShare(r.share)}) ± ${r.margin.toFixed(1)} s` : '';
            },
          },
        },
      },
    },
  };
}

/** Segments per person on the episode's time axis; a click on a segment calls onpick with the
 * row, the segment and the moment (seconds) under the pointer. */
export function timelineConfig(
  rows: ChartRow[],
  duration: number,
  t: ChartTheme,
  onpick: (row: ChartRow, seg: Segment, at: number | null) => void,
): BarConfig {
  const seg = (c: TooltipItem<'bar'>) => rows[c.datasetIndex]?.segments[c.dataIndex];
  return {
    type: 'bar',
    data: timelineData(rows),
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      datasets: { bar: { grouped: false, barPercentage: 0.75, categoryPercentage: 1 } },
      interaction: { mode: 'nearest', intersect: true, axis: 'xy' },
      scales: { x: timeAxis(t, duration, duration > 0 ? duration : undefined), y: rowAxis(t) },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'bar'>[]) => (items[0] ? rows[items[0].datasetIndex]?.label ?? '' : ''),
            label: (c: TooltipItem<'bar'>) => {
              const s = seg(c);
              return s ? `${formatClock(s.start_s)}–${formatClock(s.end_s)} (${formatSeconds(s.end_s - s.start_s)})` : '';
            },
          },
        },
      },
      onHover: (ev, els) => {
        const el = ev.native?.target;
        if (el instanceof HTMLElement) el.style.cursor = els.length > 0 ? 'pointer' : 'default';
      },
      onClick: (ev, els, chart) => {
        const hit = els[0];
        const row = hit ? rows[hit.datasetIndex] : undefined;
        const s = row && hit ? row.segments[hit.index] : undefined;
        if (!row || !s) return;
        const at = ev.x == null ? null : (chart.scales.x?.getValueForPixel(ev.x) ?? null);
        onpick(row, s, at);
      },
    },
  };
}
