// SMPTE timecode for the viewer: the same counting as the exports
// (backend/screentime/timecode.go), here because the viewer shows and reads
// a timecode on every frame and cannot ask the backend each time. The test
// file runs the Go test's vectors.

import type { service } from './wailsjs/go/models';

/** A frame rate as a fraction (num/den), with the timecode counting mode
 * (drop: drop-frame labels, 29.97 and 59.94 only). */
export type Rate = service.Rate;

export const fps = (r: Rate): number => (r.den > 0 ? r.num / r.den : 0);

/** Whole frames in a timecode second (24, 25, 30, 60). */
export const nominal = (r: Rate): number => Math.max(Math.round(fps(r)), 1);

function dropPerMinute(r: Rate): number {
  const nom = nominal(r);
  return r.drop && r.den === 1001 && (nom === 30 || nom === 60) ? nom / 15 : 0;
}

const mod = (a: number, b: number): number => ((a % b) + b) % b;
const two = (n: number): string => String(n).padStart(2, '0');

/** The frame showing at a time in seconds (the frame whose span holds it). */
export function frameAt(r: Rate, seconds: number): number {
  // A hair of tolerance: currentTime set to a frame's start reads back a
  // few ulps early.
  return Math.max(0, Math.floor(seconds * fps(r) + 1e-6));
}

/** The start of frame f in seconds. */
export const secondsOf = (r: Rate, frame: number): number => (fps(r) > 0 ? frame / fps(r) : 0);

/** HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame, wrapping at 24 hours. */
export function timecode(r: Rate, frames: number): string {
  const nom = nominal(r);
  let f = Math.floor(frames);
  const dpm = dropPerMinute(r);
  if (dpm > 0) {
    const per10 = 10 * 60 * nom - 9 * dpm;
    const perMin = 60 * nom - dpm;
    f = mod(f, 144 * per10);
    const d = Math.floor(f / per10);
    const m = f % per10;
    f += m > dpm ? 9 * dpm * d + dpm * Math.floor((m - dpm) / perMin) : 9 * dpm * d;
  } else {
    f = mod(f, 24 * 3600 * nom);
  }
  const s = Math.floor(f / nom);
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}${r.drop ? ';' : ':'}${two(f % nom)}`;
}

/** Reads HH:MM:SS:FF (any of : ; . , as separators) into a frame count, or
 * throws an Error whose message says what is wrong. */
export function parseTimecode(r: Rate, text: string): number {
  const bad = (why: string) => new Error(`"${text.trim()}" is not a timecode: ${why}. Write HH:MM:SS:FF.`);
  const parts = text.trim().split(/[:;.,]/);
  if (parts.length !== 4) throw bad('it needs four fields');
  const v = parts.map((p) => (/^\d{1,2}$/.test(p) ? Number(p) : NaN));
  if (v.some(Number.isNaN)) throw bad('fields are two digits');
  const [h, m, sec, f] = v;
  const nom = nominal(r);
  if (m > 59 || sec > 59 || f >= nom) throw bad('a field is out of range');
  let total = ((h * 60 + m) * 60 + sec) * nom + f;
  const dpm = dropPerMinute(r);
  if (dpm > 0) {
    if (sec === 0 && f < dpm && m % 10 !== 0) throw bad('drop-frame skips that label');
    const mins = h * 60 + m;
    total -= dpm * (mins - Math.floor(mins / 10));
  }
  return total;
}
