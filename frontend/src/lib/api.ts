// The only module that touches the Go bindings (window.go.main.App.*).
// Every call settles: a call whose arguments Wails cannot parse never answers,
// so each one races a timeout.
import type { Episode, Job, LogLine, Report, Settings } from './types';

type Bound = (...args: unknown[]) => Promise<unknown>;

declare global {
  interface Window {
    go?: { main?: { App?: Record<string, Bound> } };
  }
}

/** A failed call: code is the typed error code ("ERR_…") when Go sent one. */
export class ApiError extends Error {
  readonly code: string;
  readonly method: string;
  readonly hint: string;
  constructor(code: string, message: string, method: string, hint = '') {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.method = method;
    this.hint = hint;
  }
}

export const DEFAULT_TIMEOUT_MS = 15_000;
/** Native dialogs wait for the user. */
export const DIALOG_TIMEOUT_MS = 10 * 60_000;

/** Splits "ERR_CODE message — hint" (hint optional) into its parts; other
 * strings become ERR_INTERNAL. */
export function parseError(err: unknown, method: string): ApiError {
  if (err instanceof ApiError) return err;
  const text =
    typeof err === 'string'
      ? err
      : err instanceof Error
        ? err.message
        : err == null
          ? ''
          : JSON.stringify(err);
  const m = /^\s*(ERR_[A-Z0-9_]+):?\s*([\s\S]*)$/.exec(text);
  if (m) {
    const rest = m[2].trim();
    const cut = rest.indexOf(' — ');
    const message = cut >= 0 ? rest.slice(0, cut).trim() : rest;
    const hint = cut >= 0 ? rest.slice(cut + 3).trim() : '';
    return new ApiError(m[1], message || m[1], method, hint);
  }
  return new ApiError('ERR_INTERNAL', text.trim() || 'unknown error', method);
}

/** Calls a bound method with a timeout. */
export function call<T>(method: string, args: unknown[] = [], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const fn = typeof window !== 'undefined' ? window.go?.main?.App?.[method] : undefined;
  if (typeof fn !== 'function') {
    return Promise.reject(new ApiError('ERR_NO_BACKEND', `the backend is not connected (${method})`, method));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ApiError('ERR_TIMEOUT', `${method} did not answer within ${Math.round(timeoutMs / 1000)} s`, method));
    }, timeoutMs);
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(fn(...args));
    } catch (e) {
      clearTimeout(timer);
      reject(parseError(e, method));
      return;
    }
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v as T);
      },
      (e) => {
        clearTimeout(timer);
        reject(parseError(e, method));
      },
    );
  });
}

const list = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : []);
const obj = <T extends object>(v: T | null | undefined): T => (v && typeof v === 'object' ? v : ({} as T));

// Go encodes nil slices and maps as null; the UI gets empty ones instead.
export function normalizeJob(j: Job): Job {
  return { ...j, stages: list(j.stages) };
}

export function normalizeEpisode(e: Episode): Episode {
  return {
    ...e,
    states: obj(e.states),
    timestamps: obj(e.timestamps),
    latest_job: e.latest_job ? normalizeJob(e.latest_job) : null,
  };
}

export function normalizeReport(r: Report): Report {
  const reg = obj(r?.registry);
  const art = obj(r?.artifacts);
  return {
    ...r,
    registry: { ...reg, states: obj(reg.states), timestamps: obj(reg.timestamps) },
    jobs: list(r?.jobs).map(normalizeJob),
    artifacts: { ...art, files: list(art.files) },
    det_stats: r?.det_stats ?? null,
    log_tail: list(r?.log_tail),
  };
}

const episodes = (v: Episode[] | null | undefined) => list(v).map(normalizeEpisode);

export const api = {
  addVideos: async (paths: string[]) => episodes(await call<Episode[] | null>('AddVideos', [paths])),
  chooseVideos: async () => episodes(await call<Episode[] | null>('ChooseVideos', [], DIALOG_TIMEOUT_MS)),
  listEpisodes: async () => episodes(await call<Episode[] | null>('ListEpisodes')),
  runEpisode: (key: string, stages: string[] = []) => call<string>('RunEpisode', [key, stages]),
  cancelJob: (jobID: string) => call<void>('CancelJob', [jobID]),
  retryStage: (jobID: string, stage: string) => call<string>('RetryStage', [jobID, stage]),
  inspect: async (key: string) => normalizeReport(await call<Report>('Inspect', [key])),
  jobLogs: async (jobID: string) => list(await call<LogLine[] | null>('JobLogs', [jobID])),
  getSettings: async () => {
    const s = await call<Settings>('GetSettings');
    return { ...s, models: list(s?.models) };
  },
  saveSettings: (s: Settings) => call<void>('SaveSettings', [s]),
  openDataFolder: () => call<void>('OpenDataFolder'),
  exportJSON: () => call<void>('ExportJSON', [], DIALOG_TIMEOUT_MS),
  /** The poster frame as a data URL, "" before extract has written it. */
  thumbnail: async (key: string) => (await call<string | null>('Thumbnail', [key])) ?? '',
};

export type { Episode, Job };
