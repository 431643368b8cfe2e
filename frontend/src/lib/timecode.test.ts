import { describe, expect, it } from 'vitest';
import { frameAt, parseTimecode, secondsOf, timecode, type Rate } from './timecode';

const R25: Rate = { num: 25, den: 1, drop: false };
const R23976: Rate = { num: 24000, den: 1001, drop: false };
const R30: Rate = { num: 30, den: 1, drop: false };
const R2997DF: Rate = { num: 30000, den: 1001, drop: true };
const R2997NDF: Rate = { num: 30000, den: 1001, drop: false };
const R5994DF: Rate = { num: 60000, den: 1001, drop: true };

describe('timecode', () => {
  // The vectors of backend/screentime/timecode_test.go.
  const cases: [Rate, number, string][] = [
    [R25, 0, '00:00:00:00'],
    [R25, 25 * 3600 + 24, '01:00:00:24'],
    [R23976, 86400, '01:00:00:00'],
    [R30, 1800, '00:01:00:00'],
    [R2997DF, 1799, '00:00:59;29'],
    [R2997DF, 1800, '00:01:00;02'],
    [R2997DF, 17981, '00:09:59;29'],
    [R2997DF, 17982, '00:10:00;00'],
    [R2997DF, 107892, '01:00:00;00'],
    [R2997NDF, 1800, '00:01:00:00'],
    [R5994DF, 3600, '00:01:00;04'],
    [R25, 25 * 86400, '00:00:00:00'],
    [R2997DF, 24 * 107892, '00:00:00;00'],
  ];
  it.each(cases)('%o frame %d is %s', (r, f, want) => {
    expect(timecode(r, f)).toBe(want);
  });

  it('parses what it formats, frame for frame', () => {
    for (const r of [R25, R23976, R2997DF, R5994DF]) {
      for (let f = 0; f < 40000; f += 7) expect(parseTimecode(r, timecode(r, f))).toBe(f);
    }
  });

  it('refuses labels drop-frame skips and malformed input', () => {
    expect(() => parseTimecode(R2997DF, '00:01:00;00')).toThrow(/skips/);
    expect(parseTimecode(R2997DF, '00:10:00;00')).toBe(17982);
    expect(() => parseTimecode(R25, '00:00:00:25')).toThrow(/out of range/);
    expect(() => parseTimecode(R25, '1:2:3')).toThrow(/four fields/);
    expect(() => parseTimecode(R25, '00:0a:00:00')).toThrow(/two digits/);
  });

  it('maps seconds to the frame whose span holds them', () => {
    expect(frameAt(R25, 0)).toBe(0);
    expect(frameAt(R25, 0.039)).toBe(0);
    expect(frameAt(R25, 0.04)).toBe(1);
    expect(frameAt(R2997DF, secondsOf(R2997DF, 17982))).toBe(17982);
  });
});
