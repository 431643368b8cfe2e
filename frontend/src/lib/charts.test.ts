import { describe, expect, it } from 'vitest';
import type { TooltipItem } from 'chart.js';
import { barConfig, canDraw, readTheme } from './charts';
import { chartRows } from './chartdata';
import { screenTimeReport } from '../test/fixtures';

const theme = { text: '#111', dim: '#666', grid: '#ddd', font: 'sans-serif' };

describe('chart configurations', () => {
  it('the bar chart has a MM:SS axis and labels each bar with time and share', () => {
    const rows = chartRows(screenTimeReport());
    const x = barConfig(rows, theme).options!.scales!.x as { ticks: { callback: (v: number) => string; color: string } };
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
