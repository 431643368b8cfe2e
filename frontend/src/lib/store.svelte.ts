// Shared UI state: one exported $state object, updated by backend events and by
// snapshots pulled on start-up and window focus.
import { api, ApiError, normalizeEpisode, parseError } from './api';
import { Coalescer } from './coalesce';
import { STAGES } from './catalog';
import { type Episode, type Job, type LogLine, type Report, type Settings, type StageEvent, type StageView } from './types';

export interface Toast {
  id: number;
  title: string;
  message: string;
  code: string;
  hint?: string;
  jobId?: string;
  stage?: string;
  episodeKey?: string;
}

export interface LogPanelState {
  title: string;
  jobId: string;
  lines: LogLine[];
  loading: boolean;
  error: string;
}

export const app = $state({
  episodes: [] as Episode[],
  selectedKey: null as string | null,
  toasts: [] as Toast[],
  logPanel: null as LogPanelState | null,
  inspector: {
    open: false,
    loading: false,
    error: '',
    report: null as Report | null,
  },
  settings: {
    open: false,
    loading: false,
    saving: false,
    error: '',
    saved: false,
    data: null as Settings | null,
  },
  /** Message shown when the backend cannot be reached. */
  banner: '',
  loadingSnapshot: false,
  /** Wall clock for countdowns, ticked once a second by the workspace. */
  now: Date.now(),
  /** The selected episode's view: its pipeline, its cast, or its screen-time report. */
  tab: 'pipeline' as EpisodeTab,
  /** Per episode: bumped when a run's cluster/analytics stages end, so the Cast and Report views reload. */
  resultsRev: {} as Record<string, number>,
  /** Per episode: the cluster job queued by a curation or facebank change, until its analytics stage ends. */
  recluster: {} as Record<string, string>,
  /** Files being registered: each is read whole for its fingerprint (seconds for a long episode). */
  adding: [] as string[],
});

export type EpisodeTab = 'pipeline' | 'cast' | 'report';

const MAX_TOASTS = 5;
let toastSeq = 0;
const toasted = new Set<string>();

export function labelOf(name: string): string {
  return STAGES.find((s) => s.name === name)?.label ?? name;
}

export function emptyStage(name: string): StageView {
  return {
    name,
    label: labelOf(name),
    status: 'pending',
    stale: false,
    attempt: 0,
    max_attempts: 0,
    done: 0,
    total: 0,
    unit: '',
    rate: 0,
    eta_s: null,
    eta_state: '',
    slow: false,
    started_at: null,
    finished_at: null,
    heartbeat_at: null,
    next_retry_at: null,
    result: null,
    error: null,
  };
}

/** The six stages of an episode in pipeline order, pending where the job has none. */
export function stagesOf(ep: Episode | null | undefined): StageView[] {
  const job = ep?.latest_job;
  return STAGES.map((s) => job?.stages?.find((v) => v.name === s.name) ?? emptyStage(s.name));
}

export function selectedEpisode(): Episode | null {
  return app.episodes.find((e) => e.key === app.selectedKey) ?? null;
}

export function isJobActive(job: Job | null | undefined): boolean {
  return !!job && !job.finished_at && job.stages.some((s) => s.status === 'running' || s.status === 'pending' || s.status === 'retrying');
}

// ---- toasts ---------------------------------------------------------------

export function pushToast(t: Omit<Toast, 'id'>): void {
  app.toasts.push({ ...t, id: ++toastSeq });
  while (app.toasts.length > MAX_TOASTS) app.toasts.shift();
}

export function dismissToast(id: number): void {
  const i = app.toasts.findIndex((t) => t.id === id);
  if (i >= 0) app.toasts.splice(i, 1);
}

export function toastApiError(what: string, err: unknown): void {
  const e = err instanceof ApiError ? err : parseError(err, what);
  pushToast({ title: `${what} failed`, message: e.message, code: e.code, hint: e.hint || undefined });
}

// ---- events ---------------------------------------------------------------

/** The StageView fields an event carries; fields it leaves out (times the engine
 * does not repeat in events) are absent, so merging keeps the snapshot's values. */
function stageFields(ev: StageEvent): Partial<StageView> {
  const { job_id: _j, episode_key: _e, stage, at: _a, ...rest } = ev;
  const out: Partial<StageView> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  out.name = stage;
  out.label = rest.label || labelOf(stage);
  if (ev.status !== 'skipped' && ev.skip_reason === undefined) out.skip_reason = undefined;
  return out;
}

function findStage(ev: StageEvent): StageView | undefined {
  const ep = app.episodes.find((e) => e.key === ev.episode_key);
  if (!ep?.latest_job || ep.latest_job.job_id !== ev.job_id) return undefined;
  return ep.latest_job.stages.find((s) => s.name === ev.stage);
}

function applyStage(ev: StageEvent): void {
  const ep = app.episodes.find((e) => e.key === ev.episode_key);
  if (!ep) {
    scheduleSnapshot();
    return;
  }
  if (!ep.latest_job || ep.latest_job.job_id !== ev.job_id) {
    ep.latest_job = {
      job_id: ev.job_id,
      episode_key: ev.episode_key,
      mode: '',
      created_at: ev.at,
      finished_at: null,
      stages: STAGES.map((s) => emptyStage(s.name)),
    };
  }
  if (!Array.isArray(ep.latest_job.stages)) ep.latest_job.stages = STAGES.map((s) => emptyStage(s.name));
  const stages = ep.latest_job.stages;
  const fields = stageFields(ev);
  const i = stages.findIndex((s) => s.name === ev.stage);
  if (i < 0) stages.push({ ...emptyStage(ev.stage), ...fields });
  else Object.assign(stages[i], fields);
}

export const progress = new Coalescer<StageEvent>(applyStage);

/**
 * Handles one castscope:stage event: state changes at once, progress
 * coalesced. The ETA and its state (learning / live / history) are progress:
 * they change with every few frames and go through the ≤ 4/s throttle.
 */
export function handleStageEvent(ev: StageEvent): void {
  if (!ev || !ev.stage || !ev.episode_key) return;
  const prev = findStage(ev);
  const urgent =
    !prev ||
    ev.status !== 'running' ||
    prev.status !== ev.status ||
    prev.attempt !== ev.attempt ||
    prev.slow !== ev.slow ||
    prev.stale !== ev.stale ||
    prev.next_retry_at !== ev.next_retry_at ||
    (prev.error?.code ?? '') !== (ev.error?.code ?? '');
  if (ev.status === 'error' && ev.error) {
    const key = `${ev.job_id}/${ev.stage}/${ev.attempt}`;
    // Keyed by attempt only: the snapshot that AddVideos returns may already
    // hold this error (a zero-byte file fails validate at once), and the
    // event must still raise the toast.
    if (!toasted.has(key)) {
      toasted.add(key);
      pushToast({
        title: `${ev.label || labelOf(ev.stage)} failed`,
        message: ev.error.message,
        code: ev.error.code,
        hint: ev.error.hint,
        jobId: ev.job_id,
        stage: ev.stage,
        episodeKey: ev.episode_key,
      });
    }
  }
  progress.push(`${ev.job_id}/${ev.stage}`, ev, urgent);
  // A stage that ends sets the episode's registry flags (detected, clustered,
  // analyzed…), which open the Cast and Report tabs; one that is queued again
  // clears them. Events carry the stage only, so the snapshot brings the flags.
  if (urgent && ev.status !== 'running') scheduleSnapshot();
  if (urgent) noteResults(ev);
  if (urgent && ev.episode_key === app.selectedKey) scheduleReport();
}

/** The cast and the report change when analytics ends; a failed cluster or analytics ends the wait too. */
function noteResults(ev: StageEvent): void {
  const done = ev.stage === 'analytics' && (ev.status === 'ok' || ev.status === 'skipped');
  const failed = (ev.stage === 'cluster' || ev.stage === 'analytics') && ev.status === 'error';
  if (!done && !failed) return;
  app.resultsRev[ev.episode_key] = (app.resultsRev[ev.episode_key] ?? 0) + 1;
  const waiting = app.recluster[ev.episode_key];
  if (waiting === ev.job_id) delete app.recluster[ev.episode_key];
}

/** Ends the wait for a re-cluster whose job the snapshot shows finished (its events were missed).
 * A mark whose queuing call is still in flight is that call's to settle. */
function settleRecluster(): void {
  for (const [key, jobId] of Object.entries(app.recluster)) {
    if (jobId === QUEUING) continue;
    const job = app.episodes.find((e) => e.key === key)?.latest_job;
    if (job?.job_id === jobId && !isJobActive(job)) {
      delete app.recluster[key];
      app.resultsRev[key] = (app.resultsRev[key] ?? 0) + 1;
    }
  }
}

/** Stands for the job id while the call that queues the job is in flight. */
const QUEUING = '…';

/** Waits for job jobId, a re-cluster the backend queued by itself (the Cast view of an episode whose
 * curation or cast list changed since its identities were built), unless it already ended. */
export function expectRecluster(key: string, jobId: string): void {
  if (!jobId || app.recluster[key]) return;
  const job = app.episodes.find((e) => e.key === key)?.latest_job;
  if (job?.job_id === jobId && !isJobActive(job)) return;
  app.recluster[key] = jobId;
}

/**
 * Runs a call that queues a cluster+analytics job for the episode (a curation,
 * an undo, a facebank re-run) and marks the episode as waiting for it until its
 * analytics stage ends. The mark is set before the call, so the Cast tab stays
 * open while the re-cluster clears the episode's clustered flag. False (and a
 * toast) when the call failed.
 */
export async function recluster(key: string, what: string, queue: () => Promise<string>): Promise<boolean> {
  app.recluster[key] = QUEUING;
  try {
    const jobId = await queue();
    if (app.recluster[key] === QUEUING) {
      delete app.recluster[key];
      const job = app.episodes.find((e) => e.key === key)?.latest_job;
      const analytics = job?.job_id === jobId ? job.stages.find((s) => s.name === 'analytics') : undefined;
      if (!analytics || analytics.status === 'pending' || analytics.status === 'running') app.recluster[key] = jobId;
    }
    return true;
  } catch (err) {
    if (app.recluster[key] === QUEUING) delete app.recluster[key];
    toastApiError(what, err);
    return false;
  }
}

/** Handles one castscope:episode event (registry or job change). */
export function handleEpisodeEvent(ep: Episode): void {
  if (!ep || !ep.key) return;
  upsertEpisode(normalizeEpisode(ep), true);
  if (ep.key === app.selectedKey) scheduleReport();
}

function upsertEpisode(ep: Episode, toFront: boolean): void {
  const i = app.episodes.findIndex((e) => e.key === ep.key);
  if (i >= 0) app.episodes[i] = ep;
  else if (toFront) app.episodes.unshift(ep);
  else app.episodes.push(ep);
  if (!app.selectedKey) app.selectedKey = ep.key;
}

// ---- snapshot -------------------------------------------------------------

let snapshotTimer: ReturnType<typeof setTimeout> | null = null;
function scheduleSnapshot(): void {
  if (snapshotTimer) return;
  snapshotTimer = setTimeout(() => {
    snapshotTimer = null;
    void refresh();
  }, 500);
}

/** Pulls the full episode list (start-up, window focus, unknown episode in an event). */
export async function refresh(): Promise<void> {
  app.loadingSnapshot = true;
  try {
    const eps = await api.listEpisodes();
    progress.cancelPending();
    app.episodes = eps;
    if (!app.selectedKey || !eps.some((e) => e.key === app.selectedKey)) {
      app.selectedKey = eps[0]?.key ?? null;
    }
    app.banner = '';
  } catch (err) {
    const e = parseError(err, 'ListEpisodes');
    // What to do goes with it: a backend that could not open (a settings file it cannot use, say)
    // has only this banner to say so.
    const hint = e.hint ? ` — ${e.hint}` : '';
    app.banner = e.code === 'ERR_NO_BACKEND' ? 'Not connected to the Castscope backend.' : `${e.code} ${e.message}${hint}`;
  } finally {
    app.loadingSnapshot = false;
  }
  settleRecluster();
  if (app.inspector.open) void loadReport();
}

// ---- actions --------------------------------------------------------------

export function select(key: string): void {
  app.selectedKey = key;
  if (app.inspector.open) void loadReport();
}

function takeAdded(eps: Episode[]): void {
  for (const ep of eps) upsertEpisode(ep, true);
  if (eps.length > 0) select(eps[0].key);
}

/** Registers dropped files; a file already known selects its episode. */
export async function addPaths(paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  app.adding.push(...paths);
  try {
    takeAdded(await api.addVideos(paths));
  } catch (err) {
    toastApiError('Adding videos', err);
  } finally {
    for (const p of paths) {
      const i = app.adding.indexOf(p);
      if (i >= 0) app.adding.splice(i, 1);
    }
  }
}

/** Adds the files Castscope was opened with (the command line, "Open with", a
 * second launch that handed them over), as a drop would. */
export async function openRequested(): Promise<void> {
  try {
    await addPaths(await api.takeOpenFiles());
  } catch (err) {
    toastApiError('Opening files', err);
  }
}

export async function chooseVideos(): Promise<void> {
  try {
    takeAdded(await api.chooseVideos());
  } catch (err) {
    toastApiError('Adding videos', err);
  }
}

/** Runs the whole pipeline (fromStage undefined) or from one stage on. */
export async function runEpisode(key: string, fromStage?: string): Promise<void> {
  const i = fromStage ? STAGES.findIndex((s) => s.name === fromStage) : -1;
  const stages = i >= 0 ? STAGES.slice(i).map((s) => s.name as string) : [];
  try {
    await api.runEpisode(key, stages);
    await refresh();
  } catch (err) {
    toastApiError('Starting the run', err);
  }
}

export async function cancelJob(jobId: string): Promise<void> {
  try {
    await api.cancelJob(jobId);
  } catch (err) {
    toastApiError('Cancelling', err);
  }
}

export async function retryStage(jobId: string, stage: string): Promise<void> {
  try {
    await api.retryStage(jobId, stage);
    await refresh();
  } catch (err) {
    toastApiError('Retrying', err);
  }
}

// ---- logs -----------------------------------------------------------------

export async function openLogs(toast: Pick<Toast, 'jobId' | 'title' | 'code' | 'message'>): Promise<void> {
  if (!toast.jobId) {
    app.logPanel = {
      title: toast.title,
      jobId: '',
      loading: false,
      error: '',
      lines: [{ time: new Date().toISOString(), level: 'ERROR', job_id: '', stage: '', line: `${toast.code} ${toast.message}` }],
    };
    return;
  }
  app.logPanel = { title: toast.title, jobId: toast.jobId, lines: [], loading: true, error: '' };
  try {
    const lines = await api.jobLogs(toast.jobId);
    if (app.logPanel && app.logPanel.jobId === toast.jobId) {
      app.logPanel.lines = lines;
      app.logPanel.loading = false;
    }
  } catch (err) {
    const e = parseError(err, 'JobLogs');
    if (app.logPanel) {
      app.logPanel.error = `${e.code} ${e.message}`;
      app.logPanel.loading = false;
    }
  }
}

export function closeLogs(): void {
  app.logPanel = null;
}

// ---- inspector ------------------------------------------------------------

export async function loadReport(): Promise<void> {
  const key = app.selectedKey;
  if (!key) {
    app.inspector.report = null;
    return;
  }
  app.inspector.loading = true;
  app.inspector.error = '';
  try {
    const r = await api.inspect(key);
    if (app.selectedKey === key) app.inspector.report = r;
  } catch (err) {
    const e = parseError(err, 'Inspect');
    app.inspector.error = `${e.code} ${e.message}`;
  } finally {
    app.inspector.loading = false;
  }
}

let reportTimer: ReturnType<typeof setTimeout> | null = null;
/** Reloads an open inspector shortly after a state change of the selected episode. */
function scheduleReport(): void {
  if (!app.inspector.open || reportTimer) return;
  reportTimer = setTimeout(() => {
    reportTimer = null;
    if (app.inspector.open) void loadReport();
  }, REPORT_DELAY_MS);
}
export const REPORT_DELAY_MS = 300;

export function toggleInspector(open = !app.inspector.open): void {
  app.inspector.open = open;
  if (open) void loadReport();
}

export async function openDataFolder(): Promise<void> {
  try {
    await api.openDataFolder();
  } catch (err) {
    toastApiError('Opening the data folder', err);
  }
}

export async function exportJSON(): Promise<void> {
  try {
    await api.exportJSON();
  } catch (err) {
    toastApiError('Exporting JSON', err);
  }
}

// ---- settings -------------------------------------------------------------

export async function openSettings(open = true): Promise<void> {
  app.settings.open = open;
  if (!open) return;
  app.settings.loading = true;
  app.settings.error = '';
  app.settings.saved = false;
  try {
    app.settings.data = await api.getSettings();
  } catch (err) {
    const e = parseError(err, 'GetSettings');
    app.settings.error = `${e.code} ${e.message}`;
  } finally {
    app.settings.loading = false;
  }
}

export async function saveSettings(s: Settings): Promise<void> {
  app.settings.saving = true;
  app.settings.error = '';
  app.settings.saved = false;
  try {
    await api.saveSettings($state.snapshot(s) as Settings);
    app.settings.data = await api.getSettings();
    app.settings.saved = true;
  } catch (err) {
    const e = parseError(err, 'SaveSettings');
    app.settings.error = `${e.code} ${e.message}`;
  } finally {
    app.settings.saving = false;
  }
}

/** Test hook: back to a clean state. */
export function resetStore(): void {
  progress.reset();
  if (reportTimer) clearTimeout(reportTimer);
  reportTimer = null;
  if (snapshotTimer) clearTimeout(snapshotTimer);
  snapshotTimer = null;
  toasted.clear();
  app.episodes = [];
  app.selectedKey = null;
  app.toasts = [];
  app.logPanel = null;
  app.inspector = { open: false, loading: false, error: '', report: null };
  app.settings = { open: false, loading: false, saving: false, error: '', saved: false, data: null };
  app.banner = '';
  app.tab = 'pipeline';
  app.resultsRev = {};
  app.recluster = {};
  app.adding = [];
}
