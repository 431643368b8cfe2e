// The only module that calls the Go bindings: the functions Wails generates
// from the bound App's methods (./wailsjs/go/main/App, make bindings).
// Every call settles: a call whose arguments Wails cannot parse never
// answers, so each one races a timeout. A bound method's error arrives as
// {code, message, hint} (main.go's ErrorFormatter) and becomes an ApiError.
import * as App from './wailsjs/go/main/App';
import { DEFAULTS } from './catalog';
import type {
  Catalog,
  CastView,
  CurateRequest,
  Episode,
  ExportFormat,
  Job,
  OnScreen,
  PlaybackView,
  Report,
  ScreenTimeReport,
  Segment,
  Settings,
} from './types';

declare global {
  interface Window {
    go?: { main?: { App?: Record<string, (...args: unknown[]) => Promise<unknown>> } };
  }
}

/** A failed call: code is the typed error code ("ERR_…"). */
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

/** The error a bound method rejects with (main.go's PageError). */
interface PageError {
  code: string;
  message: string;
  hint?: string;
}

function isPageError(e: unknown): e is PageError {
  return typeof e === 'object' && e !== null && typeof (e as PageError).code === 'string' && typeof (e as PageError).message === 'string';
}

/** Turns what a call rejected with into an ApiError: the backend's
 * {code, message, hint}; anything else (a string Wails itself sends, a
 * thrown Error) is ERR_INTERNAL with its text. */
export function parseError(err: unknown, method: string): ApiError {
  if (err instanceof ApiError) return err;
  if (isPageError(err)) return new ApiError(err.code, err.message || err.code, method, err.hint ?? '');
  const text = typeof err === 'string' ? err : err instanceof Error ? err.message : err == null ? '' : JSON.stringify(err);
  return new ApiError('ERR_INTERNAL', text.trim() || 'unknown error', method);
}

type Bound = (...args: never[]) => Promise<unknown>;

// The generated functions by identity, for messages: their export names
// survive bundling as the namespace object's keys.
const NAMES = new Map<unknown, string>(Object.entries(App).map(([name, fn]) => [fn, name]));

/** Calls a generated binding (App.X) with a timeout. */
export function call<F extends Bound>(fn: F, args: Parameters<F>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Awaited<ReturnType<F>>> {
  const method = NAMES.get(fn) ?? 'a backend call';
  // The generated functions reach window.go.main.App; without it there is no backend.
  if (typeof window === 'undefined' || typeof window.go?.main?.App?.[method] !== 'function') {
    return Promise.reject(new ApiError('ERR_NO_BACKEND', `the backend is not connected (${method})`, method));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new ApiError('ERR_TIMEOUT', `${method} did not answer within ${Math.round(timeoutMs / 1000)} s`, method));
    }, timeoutMs);
    let p: Promise<Awaited<ReturnType<F>>>;
    try {
      p = Promise.resolve(fn(...args) as Promise<Awaited<ReturnType<F>>>);
    } catch (e) {
      clearTimeout(timer);
      reject(parseError(e, method));
      return;
    }
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
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

/** Settings with empty lists, and the catalog's defaults in the analysis
 * and run-on fields an older backend leaves out. */
export function normalizeSettings(s: Settings): Settings {
  return {
    ...s,
    models: list(s?.models),
    cluster_threshold: s?.cluster_threshold || DEFAULTS.cluster_threshold,
    min_track_len: s?.min_track_len || DEFAULTS.min_track_len,
    screentime_preset: s?.screentime_preset || DEFAULTS.screentime_preset,
    run_on: s?.run_on || DEFAULTS.run_on || 'local',
    temporal_address: s?.temporal_address ?? '',
    temporal_namespace: s?.temporal_namespace || DEFAULTS.temporal_namespace || 'default',
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

export function normalizePlayback(v: PlaybackView): PlaybackView {
  return { ...v, cuts_ms: list(v?.cuts_ms), tracks: list(v?.tracks).map((t) => ({ ...t, t_ms: list(t.t_ms), boxes: list(t.boxes) })) };
}

/** Calls that cut face crops (~50 ms each on first use) or run the face models on headshots. */
export const SLOW_TIMEOUT_MS = 60_000;

// The generated types are those of Go's structs; Go sends a few fields
// (times, raw JSON, nil slices) looser than the UI's types say, and the
// normalize* functions above make them so.
const as = <T>(v: unknown) => v as T;
const episodes = (v: unknown) => list(as<Episode[] | null>(v)).map(normalizeEpisode);

export const api = {
  catalog: async () => as<Catalog>(await call(App.Catalog, [])),
  addVideos: async (paths: string[]) => episodes(await call(App.AddVideos, [paths])),
  takeOpenFiles: async () => list(await call(App.TakeOpenFiles, [])),
  chooseVideos: async () => episodes(await call(App.ChooseVideos, [], DIALOG_TIMEOUT_MS)),
  listEpisodes: async () => episodes(await call(App.ListEpisodes, [])),
  runEpisode: (key: string, stages: string[] = []) => call(App.RunEpisode, [key, stages]),
  cancelJob: (jobID: string) => call(App.CancelJob, [jobID]),
  retryStage: (jobID: string, stage: string) => call(App.RetryStage, [jobID, stage]),
  inspect: async (key: string) => normalizeReport(as<Report>(await call(App.Inspect, [key]))),
  jobLogs: async (jobID: string) => list(await call(App.JobLogs, [jobID])).map((l) => ({ ...l, job_id: l.job_id ?? '', stage: l.stage ?? '' })),
  getSettings: async () => normalizeSettings(await call(App.GetSettings, [])),
  saveSettings: (s: Settings) => call(App.SaveSettings, [s]),
  /** Resolves when the Temporal server at addr answers in namespace; rejects with its typed error. */
  checkTemporal: (addr: string, namespace: string) => call(App.CheckTemporal, [addr, namespace]),
  openDataFolder: () => call(App.OpenDataFolder, []),
  exportJSON: () => call(App.ExportJSON, [], DIALOG_TIMEOUT_MS),
  /** The poster frame as a data URL, "" before extract has written it. */
  thumbnail: async (key: string) => (await call(App.Thumbnail, [key])) ?? '',

  cast: async (key: string) => normalizeCast(as<CastView>(await call(App.Cast, [key]))),
  /** Queues the re-cluster a view with catch_up owes (or finds the one running); returns its job id, "" when current. */
  catchUpCast: (key: string) => call(App.CatchUpCast, [key]),
  /** Face crops by track id (as a string key), data URLs. */
  faceThumbs: async (key: string, trackIDs: number[]) => obj(await call(App.FaceThumbs, [key, trackIDs], SLOW_TIMEOUT_MS)),
  /** Queues the re-cluster that applies the change; returns its job id. */
  curate: (key: string, req: CurateRequest) => call(App.Curate, [key, req]),
  undoCuration: (key: string) => call(App.UndoCuration, [key]),

  screenTime: async (key: string) => normalizeScreenTime(as<ScreenTimeReport>(await call(App.ScreenTime, [key]))),
  compareLogged: async (key: string, text: string) => list(await call(App.CompareLogged, [key, text])),
  onScreen: async (key: string, at: string) => normalizeOnScreen(await call(App.OnScreen, [key, at])),
  /** Asks where to save; returns the path written, "" when the user canceled. */
  exportScreenTime: async (key: string, format: ExportFormat, person = '') =>
    (await call(App.ExportScreenTime, [key, format, person], DIALOG_TIMEOUT_MS)) ?? '',
  openReport: (key: string) => call(App.OpenReport, [key]),
  /** The window's playback check (app_windowcheck.go). */
  windowCheckWanted: () => call(App.WindowCheckWanted, []),
  /** How an episode's video plays (a proxy's progress), without the tracks. */
  mediaStatus: (key: string) => call(App.MediaStatus, [key]),
  /** Where the page plays an episode's video from. */
  mediaURL: (key: string) => call(App.MediaURL, [key]),
  windowCheckDone: (r: Parameters<typeof App.WindowCheckDone>[0]) => call(App.WindowCheckDone, [r]),
  windowCheckViewerDone: (r: Parameters<typeof App.WindowCheckViewerDone>[0]) => call(App.WindowCheckViewerDone, [r]),
  /** The viewer's data; a proxy the window needs may take minutes to make, so the source says whether it is ready. */
  playback: async (key: string) => normalizePlayback(await call(App.Playback, [key])),

  facebank: async (show: string) => list(await call(App.Facebank, [show])).map((h) => ({ ...h, added_at: String(h.added_at ?? '') })),
  addHeadshots: async (show: string, paths: string[]) => list(await call(App.AddHeadshots, [show, paths], SLOW_TIMEOUT_MS)),
  chooseHeadshots: async (show: string) => list(await call(App.ChooseHeadshots, [show], DIALOG_TIMEOUT_MS)),
  renameHeadshot: (id: number, name: string) => call(App.RenameHeadshot, [id, name]),
  removeHeadshot: (id: number) => call(App.RemoveHeadshot, [id]),
};

export type { Episode, Job };
