// The only module that touches the Go bindings (window.go.main.App.*).
// Every call settles: a call whose arguments Wails cannot parse never answers,
// so each one races a timeout.
import type {
  CastView,
  Comparison,
  CurateRequest,
  Episode,
  ExportFormat,
  Headshot,
  HeadshotResult,
  Job,
  LogLine,
  OnScreen,
  Report,
  ScreenTimeReport,
  Segment,
  Settings,
} from './types';

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

export function normalizeSettings(s: Settings): Settings {
  return {
    ...s,
    models: list(s?.models),
    cluster_threshold: s?.cluster_threshold ?? 0.5,
    min_track_len: s?.min_track_len ?? 3,
    screentime_preset: s?.screentime_preset || 'default',
  };
}

export function normalizeCast(c: CastView): CastView {
  return {
    ...c,
    people: list(c?.people).map((p) => ({ ...p, track_ids: list(p.track_ids) })),
    unidentified: c?.unidentified ?? { tracks: 0, screen_time_s: 0 },
    review: list(c?.review),
    facebank: list(c?.facebank),
    last_op: c?.last_op ?? '',
  };
}

export function normalizeScreenTime(r: ScreenTimeReport): ScreenTimeReport {
  const un = r?.unidentified ?? { screen_time_s: 0, margin_s: 0, tracks: 0, segments: [] };
  const co = r?.co_appearance;
  return {
    ...r,
    people: list(r?.people).map((p) => ({ ...p, segments: list<Segment>(p.segments) })),
    unidentified: { ...un, segments: list(un.segments) },
    co_appearance: { identity_ids: list(co?.identity_ids), seconds: list(co?.seconds).map((row) => list(row)) },
  };
}

export function normalizeOnScreen(o: OnScreen): OnScreen {
  return { ...o, people: list(o?.people), frame: o?.frame ?? '' };
}

/** Calls that cut face crops (~50 ms each on first use) or run the face models on headshots. */
export const SLOW_TIMEOUT_MS = 60_000;

const episodes = (v: Episode[] | null | undefined) => list(v).map(normalizeEpisode);

export const api = {
  addVideos: async (paths: string[]) => episodes(await call<Episode[] | null>('AddVideos', [paths])),
  takeOpenFiles: async () => list(await call<string[] | null>('TakeOpenFiles')),
  chooseVideos: async () => episodes(await call<Episode[] | null>('ChooseVideos', [], DIALOG_TIMEOUT_MS)),
  listEpisodes: async () => episodes(await call<Episode[] | null>('ListEpisodes')),
  runEpisode: (key: string, stages: string[] = []) => call<string>('RunEpisode', [key, stages]),
  cancelJob: (jobID: string) => call<void>('CancelJob', [jobID]),
  retryStage: (jobID: string, stage: string) => call<string>('RetryStage', [jobID, stage]),
  inspect: async (key: string) => normalizeReport(await call<Report>('Inspect', [key])),
  jobLogs: async (jobID: string) => list(await call<LogLine[] | null>('JobLogs', [jobID])),
  getSettings: async () => normalizeSettings(await call<Settings>('GetSettings')),
  saveSettings: (s: Settings) => call<void>('SaveSettings', [s]),
  openDataFolder: () => call<void>('OpenDataFolder'),
  exportJSON: () => call<void>('ExportJSON', [], DIALOG_TIMEOUT_MS),
  /** The poster frame as a data URL, "" before extract has written it. */
  thumbnail: async (key: string) => (await call<string | null>('Thumbnail', [key])) ?? '',

  cast: async (key: string) => normalizeCast(await call<CastView>('Cast', [key])),
  /** Queues the re-cluster a view with catch_up owes (or finds the one running); returns its job id, "" when current. */
  catchUpCast: (key: string) => call<string>('CatchUpCast', [key]),
  /** Face crops by track id (as a string key), data URLs. */
  faceThumbs: async (key: string, trackIDs: number[]) =>
    obj(await call<Record<string, string> | null>('FaceThumbs', [key, trackIDs], SLOW_TIMEOUT_MS)),
  /** Queues the re-cluster that applies the change; returns its job id. */
  curate: (key: string, req: CurateRequest) => call<string>('Curate', [key, req]),
  undoCuration: (key: string) => call<string>('UndoCuration', [key]),

  screenTime: async (key: string) => normalizeScreenTime(await call<ScreenTimeReport>('ScreenTime', [key])),
  compareLogged: async (key: string, text: string) => list(await call<Comparison[] | null>('CompareLogged', [key, text])),
  onScreen: async (key: string, at: string) => normalizeOnScreen(await call<OnScreen>('OnScreen', [key, at])),
  /** Asks where to save; returns the path written, "" when the user canceled. */
  exportScreenTime: async (key: string, format: ExportFormat, person = '') =>
    (await call<string | null>('ExportScreenTime', [key, format, person], DIALOG_TIMEOUT_MS)) ?? '',
  openReport: (key: string) => call<void>('OpenReport', [key]),

  facebank: async (show: string) => list(await call<Headshot[] | null>('Facebank', [show])),
  addHeadshots: async (show: string, paths: string[]) =>
    list(await call<HeadshotResult[] | null>('AddHeadshots', [show, paths], SLOW_TIMEOUT_MS)),
  chooseHeadshots: async (show: string) =>
    list(await call<HeadshotResult[] | null>('ChooseHeadshots', [show], DIALOG_TIMEOUT_MS)),
  renameHeadshot: (id: number, name: string) => call<void>('RenameHeadshot', [id, name]),
  removeHeadshot: (id: number) => call<void>('RemoveHeadshot', [id]),
};

export type { Episode, Job };
