import { describe, expect, it, vi } from 'vitest';
import type { ActiveElement, Chart, ChartEvent, TooltipItem } from 'chart.js';
import { barConfig, canDraw, readTheme, timelineConfig } from './charts';
import { chartRows } from './chartdata';
import { screenTimeReport } from '../test/fixtures';

const theme = { text: '#111', dim: '#666', grid: '#ddd', font: 'sans-serif' };

describe('chart configurations', () => {
  it('a click on a timeline segment picks its row, segment and the moment under the pointer', () => {
    const rows = chartRows(screenTimeReport());
    const onpick = vi.fn();
    const cfg = timelineConfig(rows, 100, theme, onpick);
    const chart = { scales: { x: { getValueForPixel: (px: number) => px / 10 } } } as unknown as Chart;
    const click = cfg.options!.onClick as (e: ChartEvent, els: ActiveElement[], c: Chart) => void;
    click({ x: 425, y: 10 } as ChartEvent, [{ datasetIndex: 0, index: 1 } as ActiveElement], chart);
    expect(onpick).toHaveBeenCalledWith(rows[0], rows[0].segments[1], 42.5);
    click({ x: 5, y: 5 } as ChartEvent, [], chart);
    expect(onpick).toHaveBeenCalledOnce();
  });

  it('the timeline spans the episode on a MM:SS axis; the bar chart labels each bar with time and share', () => {
    const rows = chartRows(screenTimeReport());
    const tl = timelineConfig(rows, 100, theme, () => {});
    const x = tl.options!.scales!.x as { max?: number; ticks: { callback: (v: number) => string; color: string } };
    expect(x.max).toBe(100);
    expect(x.ticks.callback(65)).toBe('01:05');
    expect(x.ticks.color).toBe('#666');
    const bar = barConfig(rows, theme);
    const label = bar.options!.plugins!.tooltip!.callbacks!.label as (c: TooltipItem<'bar'>) => string;
    expect(label({ dataIndex: 1 } as TooltipItem<'bar'>)).toBe('25.0 s (25.0 %) ± 0.5 s');
  });

  it('jsdom has no 2D context; the theme falls back to defaults without CSS variables', () => {
    expect(canDraw(document.createElement('canvas'))).toBe(false);
    expect(readTheme().font).toBeTruthy();
  });
});
