// Pure text formatting for the UI. No DOM, no state: unit-tested directly.
import type { StageView } from './types';

/** ETA text: 45 s → "ETA ~1 min", 0 → "ETA <1 min", 5400 s → "ETA ~1 h 30 min". */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 30) return 'ETA <1 min';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `ETA ~${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `ETA ~${h} h` : `ETA ~${h} h ${m} min`;
}

/** The ETA part of a running card, or '' when there is nothing honest to say. */
export function etaText(stage: Pick<StageView, 'eta_s' | 'eta_state'>): string {
  if (stage.eta_state === 'learning') return 'learning ETA…';
  return formatEta(stage.eta_s);
}

/** Countdown wording: "in 30 s", "in 2 min", "now". */
export function formatIn(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return 'now';
  if (seconds < 60) return `in ${Math.ceil(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `in ${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `in ${h} h` : `in ${h} h ${m} min`;
}

/** Duration of a video: 2712.4 → "45:12", 59 → "0:59", 4000 → "1:06:40". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Integers with thousands separators, other numbers with up to 2 decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Processing rate: (12.345, "frames") → "12.3 frames/s". */
export function formatRate(rate: number, unit: string): string {
  if (!Number.isFinite(rate) || rate <= 0) return '';
  const v = rate >= 100 ? Math.round(rate).toString() : rate.toFixed(1);
  return `${v} ${unit || 'items'}/s`;
}

/** Progress percentage 0..100 (integer), or null when the total is unknown. */
export function percent(done: number, total: number): number | null {
  if (!total || total <= 0) return null;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/** "faces_detected" → "faces detected". */
export function humanize(key: string): string {
  return key.replace(/_/g, ' ');
}

/** A value from a result object shown compactly. */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v == null) return '–';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** RFC 3339 timestamp → local "YYYY-MM-DD HH:MM:SS", or "–". */
export function formatTime(ts: string | null | undefined): string {
  if (!ts) return '–';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Seconds from now until ts (negative when past), or null. */
export function secondsUntil(ts: string | null | undefined, now: number): number | null {
  if (!ts) return null;
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return null;
  return (t - now) / 1000;
}

/** The code of a stage the engine stopped for lack of heartbeats (errs.StageStalled in Go). The
 * catalog lists the backend's codes without names, so the page keeps this one constant; catalog.test.ts
 * checks it, like every ERR_ code in the page's sources, against the codes Go declares. */
export const STALLED_CODE = 'ERR_STAGE_STALLED';

const ICONS: Record<string, string> = {
  pending: '⏸️',
  running: '⏳',
  ok: '✅',
  error: '❌',
  retrying: '🔁',
  canceled: '⏹️',
  skipped: '⏩',
};

/** The card's headline: "⏳ Detect/Embed – ETA ~1 min", "✅ Detect/Embed"… */
export function stageHeadline(stage: StageView, label: string): string {
  const icon = ICONS[stage.status] ?? '';
  switch (stage.status) {
    case 'running': {
      const eta = etaText(stage);
      return eta ? `${icon} ${label} – ${eta}` : `${icon} ${label}`;
    }
    case 'ok':
      return `${icon} ${label} complete`;
    case 'error':
      return `${icon} ${label} failed: ${stage.error?.message || 'unknown error'}`;
    case 'canceled':
      // It never ran, or stopped, because the job was canceled or an
      // earlier stage failed: it did not fail itself.
      return `${icon} ${label} canceled${stage.error?.message ? ': ' + stage.error.message : ''}`;
    case 'retrying':
      return `${icon} ${label} will retry${stage.error?.message ? ' after: ' + stage.error.message : ''}`;
    case 'skipped':
      return `${icon} ${label} (skipped)`;
    default:
      return `${icon} ${label}`;
  }
}

/** A moment on the time axis: 65.4 → "01:05", 3723 → "1:02:03". */
export function formatClock(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const pad = (n: number) => String(n).padStart(2, '0');
  const mmss = `${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** A moment to type back: 65000 ms → "01:05", 12700 ms → "00:12.700" (exact to the ms, unlike formatClock). */
export function formatMoment(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const whole = Math.floor(ms / 1000);
  const rest = Math.round(ms - whole * 1000);
  return rest ? `${formatClock(whole)}.${String(rest).padStart(3, '0')}` : formatClock(whole);
}

/** Screen time: 42.46 → "42.5 s", 83.2 → "1:23". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return formatDuration(seconds);
}

/** A share 0..1 as "12.3 %". */
export function formatShare(share: number | null | undefined): string {
  if (share == null || !Number.isFinite(share)) return '–';
  return `${(share * 100).toFixed(1)} %`;
}

/** Where a job runs, from its driver (job.Job.Driver, "temporal HOST:PORT/NAMESPACE"):
 * "on Temporal HOST:PORT", the namespace added when it is not "default";
 * "" for a job of this computer. */
export function driverText(driver: string | null | undefined): string {
  if (!driver) return '';
  const m = /^temporal\s+(\S+?)(?:\/(\S+))?$/.exec(driver.trim());
  if (!m) return `on ${driver}`;
  return m[2] && m[2] !== 'default' ? `on Temporal ${m[1]} (${m[2]})` : `on Temporal ${m[1]}`;
}

/** The Temporal worker that runs a stage, from its owner ("temporal:w1" → "w1");
 * "" when this computer runs it. */
export function workerOf(owner: string | null | undefined): string {
  return owner?.startsWith('temporal:') ? owner.slice('temporal:'.length) : '';
}
