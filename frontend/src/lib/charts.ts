// The Report view's bar chart configuration, built from chart rows, and the
// page colours it uses (the timeline is components/Timeline.svelte). chart.js itself is loaded on demand (lib/chartjs.ts).
import type { ChartConfiguration, TooltipItem } from 'chart.js';
import { barData, timeStep, type ChartRow } from './chartdata';
import { formatClock, formatSeconds, formatShare } from './format';

export type BarConfig = ChartConfiguration<'bar', number[], string>;

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

function timeAxis(t: ChartTheme, duration: number) {
  return {
    type: 'linear' as const,
    min: 0,
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
