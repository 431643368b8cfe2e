// Episodes: the episode list, the selection and its tab, the snapshot that
// refreshes the list (start-up, window focus, a stage that ends, an unknown
// episode in an event), and the actions on episodes (add files, run, cancel,
// retry).
//
// Pattern of every store module: one exported $state object plus the
// functions that change it; components read the state and call the functions;
// backend events (handleEpisodeEvent here, handleStageEvent in jobs) update it.
import { api, normalizeEpisode, parseError } from '../api';
import { STAGES, stageLabel } from '../catalog';
import type { Episode, StageView } from '../types';
import { progress, settleRecluster } from './jobs.svelte';
import { loadReport, report, scheduleReport } from './report.svelte';
import { toastApiError } from './toasts.svelte';

export type EpisodeTab = 'viewer' | 'cast' | 'report' | 'pipeline';

export const episodes = $state({
  /** Newest registered first, as the backend lists them. */
  list: [] as Episode[],
  selectedKey: null as string | null,
  /** The selected episode's view: its pipeline, its cast, or its screen-time report. */
  tab: 'viewer' as EpisodeTab,
  /** Message shown when the backend cannot be reached. */
  banner: '',
  loadingSnapshot: false,
  /** Files being registered: each is read whole for its fingerprint (seconds for a long episode). */
  adding: [] as string[],
});

export function emptyStage(name: string): StageView {
  return {
    name,
    label: stageLabel(name),
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

export function findEpisode(key: string | null | undefined): Episode | undefined {
  return episodes.list.find((e) => e.key === key);
}

export function selectedEpisode(): Episode | null {
  return findEpisode(episodes.selectedKey) ?? null;
}

// ---- events ---------------------------------------------------------------

/** Handles one castscope:episode event (registry or job change). */
export function handleEpisodeEvent(ep: Episode): void {
  if (!ep || !ep.key) return;
  upsertEpisode(normalizeEpisode(ep), true);
  if (ep.key === episodes.selectedKey) scheduleReport();
}

function upsertEpisode(ep: Episode, toFront: boolean): void {
  const i = episodes.list.findIndex((e) => e.key === ep.key);
  if (i >= 0) episodes.list[i] = ep;
  else if (toFront) episodes.list.unshift(ep);
  else episodes.list.push(ep);
  if (!episodes.selectedKey) episodes.selectedKey = ep.key;
}

// ---- snapshot -------------------------------------------------------------

let snapshotTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Counts stage events that change a state (not progress). A snapshot read
 * before such an event can answer after it — stages on Temporal arrive in
 * bursts — and would put the older state back with no event left to fix
 * it: refresh then pulls another.
 */
let stateEvents = 0;

/** Notes a stage event that changes a state (see stateEvents). */
export function noteStateEvent(): void {
  stateEvents++;
}

/** Pulls a snapshot half a second from now; calls in between share it. */
export function scheduleSnapshot(): void {
  if (snapshotTimer) return;
  snapshotTimer = setTimeout(() => {
    snapshotTimer = null;
    void refresh();
  }, 500);
}

/** Pulls the full episode list (start-up, window focus, unknown episode in an event). */
export async function refresh(): Promise<void> {
  episodes.loadingSnapshot = true;
  const seen = stateEvents;
  try {
    const eps = await api.listEpisodes();
    progress.cancelPending();
    episodes.list = eps;
    if (stateEvents !== seen) scheduleSnapshot(); // states changed while it was read
    if (!episodes.selectedKey || !eps.some((e) => e.key === episodes.selectedKey)) {
      episodes.selectedKey = eps[0]?.key ?? null;
    }
    episodes.banner = '';
  } catch (err) {
    const e = parseError(err, 'ListEpisodes');
    // What to do goes with it: a backend that could not open (a settings file it cannot use, say)
    // has only this banner to say so.
    const hint = e.hint ? ` — ${e.hint}` : '';
    episodes.banner = e.code === 'ERR_NO_BACKEND' ? 'Not connected to the Castscope backend.' : `${e.code} ${e.message}${hint}`;
  } finally {
    episodes.loadingSnapshot = false;
  }
  settleRecluster();
  if (report.open) void loadReport();
}

// ---- actions --------------------------------------------------------------

/** Shows the selected episode's pipeline, cast or report. */
export function setTab(tab: EpisodeTab): void {
  episodes.tab = tab;
}

export function select(key: string): void {
  episodes.selectedKey = key;
  if (report.open) void loadReport();
}

function takeAdded(eps: Episode[]): void {
  for (const ep of eps) upsertEpisode(ep, true);
  if (eps.length > 0) select(eps[0].key);
}

/** Registers dropped files; a file already known selects its episode. */
export async function addPaths(paths: string[]): Promise<void> {
  if (paths.length === 0) return;
  episodes.adding.push(...paths);
  try {
    takeAdded(await api.addVideos(paths));
  } catch (err) {
    toastApiError('Adding videos', err);
  } finally {
    for (const p of paths) {
      const i = episodes.adding.indexOf(p);
      if (i >= 0) episodes.adding.splice(i, 1);
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

/** Test hook: no episodes, nothing selected, no snapshot pending. */
export function resetEpisodes(): void {
  if (snapshotTimer) clearTimeout(snapshotTimer);
  snapshotTimer = null;
  episodes.list = [];
  episodes.selectedKey = null;
  episodes.tab = 'viewer';
  episodes.banner = '';
  episodes.adding = [];
}
