import { describe, expect, it } from 'vitest';
import {
  etaText,
  formatBytes,
  formatClock,
  formatMoment,
  formatDuration,
  formatEta,
  formatIn,
  formatRate,
  formatSeconds,
  formatShare,
  percent,
  stageHeadline,
} from './format';
import { stage } from '../test/fixtures';

describe('formatEta', () => {
  it.each([
    [0, 'ETA <1 min'],
    [29, 'ETA <1 min'],
    [45, 'ETA ~1 min'],
    [60, 'ETA ~1 min'],
    [150, 'ETA ~3 min'],
    [3540, 'ETA ~59 min'],
    [3600, 'ETA ~1 h'],
    [5400, 'ETA ~1 h 30 min'],
    [7260, 'ETA ~2 h 1 min'],
  ])('%d s → %s', (s, want) => {
    expect(formatEta(s)).toBe(want);
  });

  it('says nothing for unknown or invalid values', () => {
    expect(formatEta(null)).toBe('');
    expect(formatEta(-5)).toBe('');
    expect(formatEta(Number.NaN)).toBe('');
  });

  it('learning wins over a number only when the state says learning', () => {
    expect(etaText({ eta_s: 120, eta_state: 'learning' })).toBe('learning ETA…');
    expect(etaText({ eta_s: 120, eta_state: 'live' })).toBe('ETA ~2 min');
    expect(etaText({ eta_s: null, eta_state: '' })).toBe('');
  });
});

describe('other formatting', () => {
  it('countdowns', () => {
    expect(formatIn(0)).toBe('now');
    expect(formatIn(4.2)).toBe('in 5 s');
    expect(formatIn(90)).toBe('in 2 min');
    expect(formatIn(3 * 3600)).toBe('in 3 h');
  });
  it('durations, sizes, rates, percent', () => {
    expect(formatDuration(59)).toBe('0:59');
    expect(formatDuration(2712.4)).toBe('45:12');
    expect(formatDuration(4000)).toBe('1:06:40');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MiB');
    expect(formatRate(0, 'frames')).toBe('');
    expect(formatRate(123.4, 'frames')).toBe('123 frames/s');
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 0)).toBeNull();
  });
  it('headlines: icon, label, ETA or reason', () => {
    expect(stageHeadline(stage({ status: 'running', eta_s: 45, eta_state: 'live' }), 'Detect/Embed')).toBe(
      '⏳ Detect/Embed – ETA ~1 min',
    );
    expect(stageHeadline(stage({ status: 'error', error: { code: 'ERR_X', message: 'bad' } }), 'Track')).toBe(
      '❌ Track failed: bad',
    );
    expect(
      stageHeadline(stage({ status: 'canceled', error: { code: 'ERR_CANCELED', message: 'Not run because the validate stage failed.' } }), 'Track'),
    ).toBe('⏹️ Track canceled: Not run because the validate stage failed.');
    expect(
      stageHeadline(stage({ status: 'retrying', error: { code: 'ERR_STAGE_CRASHED', message: "The worker process died of SIGSEGV." } }), 'Detect/Embed'),
    ).toBe('🔁 Detect/Embed will retry after: The worker process died of SIGSEGV.');
  });
});

describe('screen-time formatting', () => {
  it('clock, seconds and shares', () => {
    expect(formatClock(65.4)).toBe('01:05');
    expect(formatClock(0)).toBe('00:00');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatClock(-1)).toBe('–');
    expect(formatMoment(65000)).toBe('01:05');
    expect(formatMoment(12700)).toBe('00:12.700');
    expect(formatMoment(3723004)).toBe('1:02:03.004');
    expect(formatSeconds(42.46)).toBe('42.5 s');
    expect(formatSeconds(83.2)).toBe('1:23');
    expect(formatShare(0.1234)).toBe('12.3 %');
  });
});
