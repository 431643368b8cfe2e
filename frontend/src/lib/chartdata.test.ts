import { describe, expect, it } from 'vitest';
import { barData, chartRows, colorAt, colorOf, PALETTE, rowsHeight, segmentMoment, timeStep, UNIDENTIFIED_COLOR } from './chartdata';
import { screenTimeReport } from '../test/fixtures';

describe('chart data', () => {
  it('one row per person in report order, then the unidentified faces, each with its colour', () => {
    const rows = chartRows(screenTimeReport());
    expect(rows.map((r) => [r.id, r.label, r.seconds])).toEqual([
      [1, 'Alex Example', 50],
      [2, 'Jordan Doe', 25],
      [0, 'Unidentified', 5],
    ]);
    expect(rows.map((r) => r.color)).toEqual([PALETTE[0], PALETTE[1], UNIDENTIFIED_COLOR]);
    expect(rows[2].share).toBeCloseTo(0.05);
  });

  it('leaves out the unidentified row when there are no unidentified faces', () => {
    const rows = chartRows(screenTimeReport({ unidentified: { screen_time_s: 0, margin_s: 0, tracks: 0, segments: [] } }));
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
  });

  it('makes labels unique, since the category axis keys rows by label', () => {
    const r = screenTimeReport();
    r.people[1].label = 'Alex Example';
    expect(chartRows(r).map((x) => x.label)).toEqual(['Alex Example', 'Alex Example (#2)', 'Unidentified']);
  });

  it('the bar chart and the timeline use the same colour for a person', () => {
    const rows = chartRows(screenTimeReport());
    const bar = barData(rows);
    expect(bar.labels).toEqual(rows.map((r) => r.label));
    expect(bar.datasets[0].data).toEqual([50, 25, 5]);
    rows.forEach((row, i) => expect(row.color).toBe(bar.datasets[0].backgroundColor[i]));
    expect(colorOf(rows, 2)).toBe(PALETTE[1]);
    expect(colorOf(rows, 0)).toBe(UNIDENTIFIED_COLOR);
    expect(colorAt(PALETTE.length)).toBe(PALETTE[0]);
  });

  it('a click on a segment goes to its first sampled face, kept inside the segment', () => {
    const seg = { start_ms: 30000, end_ms: 60000, start_s: 30, end_s: 60 };
    expect(segmentMoment(seg, 0.5)).toBe(30.25);
    expect(segmentMoment(seg, 0)).toBe(30);
    expect(segmentMoment(seg, NaN)).toBe(30);
    expect(segmentMoment({ start_ms: 1000, end_ms: 1100, start_s: 1, end_s: 1.1 }, 2)).toBe(1.099);
  });

  it('picks round time-axis steps and sizes charts by rows', () => {
    expect(timeStep(100)).toBe(10);
    expect(timeStep(45 * 60)).toBe(300);
    expect(timeStep(0)).toBe(1);
    expect(rowsHeight(3)).toBe(3 * 26 + 40);
    expect(rowsHeight(0)).toBe(26 + 40);
  });
});
