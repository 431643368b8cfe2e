// Jobs: what the runner's stage events say. Stage status and progress go
// into the episode list's latest jobs (status at once, progress coalesced to
// at most 4 renders a second per stage); this module's own state is the
// per-episode results revision, the re-cluster each episode waits for, and
// the wall clock for countdowns.
//
// Pattern of every store module: one exported $state object plus the
// functions that change it; components read the state and call the functions;
// backend events (handleStageEvent) update it.
import { STAGES, stageLabel } from '../catalog';
import { Coalescer } from '../coalesce';
import type { Job, StageEvent, StageView } from '../types';
import { emptyStage, episodes, findEpisode, noteStateEvent, scheduleSnapshot } from './episodes.svelte';
import { scheduleReport } from './report.svelte';
import { pushToast, toastApiError } from './toasts.svelte';

export const jobs = $state({
  /** Per episode: bumped when a run's cluster/analytics stages end, so the Cast and Report views reload. */
  resultsRev: {} as Record<string, number>,
  /** Per episode: the cluster job queued by a curation or facebank change, until its analytics stage ends. */
  recluster: {} as Record<string, string>,
  /** Wall clock for countdowns, ticked once a second by the workspace. */
  now: Date.now(),
});

/** Failed attempts already toasted, as "job/stage/attempt". */
const toasted = new Set<string>();

export function isJobActive(job: Job | null | undefined): boolean {
  return !!job && !job.finished_at && job.stages.some((s) => s.status === 'running' || s.status === 'pending' || s.status === 'retrying');
}

// ---- stage events -----------------------------------------------------------

/** The StageView fields an event carries; fields it leaves out (times the engine
 * does not repeat in events) are absent, so merging keeps the snapshot's values. */
function stageFields(ev: StageEvent): Partial<StageView> {
  const { job_id: _j, episode_key: _e, stage, at: _a, ...rest } = ev;
  const out: Partial<StageView> = {};
  for (const [k, v] of Object.entries(rest)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  out.name = stage;
  out.label = rest.label || stageLabel(stage);
  if (ev.status !== 'skipped' && ev.skip_reason === undefined) out.skip_reason = undefined;
  return out;
}

function findStage(ev: StageEvent): StageView | undefined {
  const ep = findEpisode(ev.episode_key);
  if (!ep?.latest_job || ep.latest_job.job_id !== ev.job_id) return undefined;
  return ep.latest_job.stages.find((s) => s.name === ev.stage);
}

function applyStage(ev: StageEvent): void {
  const ep = findEpisode(ev.episode_key);
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
  const starts = ev.status === 'running' && prev?.status !== 'running';
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
        title: `${ev.label || stageLabel(ev.stage)} failed`,
        message: ev.error.message,
        code: ev.error.code,
        hint: ev.error.hint,
        jobId: ev.job_id,
        stage: ev.stage,
        episodeKey: ev.episode_key,
      });
    }
  }
  if (urgent) noteStateEvent();
  progress.push(`${ev.job_id}/${ev.stage}`, ev, urgent);
  // A stage that ends sets the episode's registry flags (detected, clustered,
  // analyzed…), which open the Cast and Report tabs; one that is queued again
  // clears them. Events carry the stage only, so the snapshot brings the flags.
  if (urgent && ev.status !== 'running') scheduleSnapshot();
  // A stage of a job on Temporal that starts: events do not name the
  // worker that took it, the snapshot's stage owner does.
  else if (starts && findEpisode(ev.episode_key)?.latest_job?.driver) scheduleSnapshot();
  if (urgent) noteResults(ev);
  if (urgent && ev.episode_key === episodes.selectedKey) scheduleReport();
}

/** The cast and the report change when analytics ends; a failed cluster or analytics ends the wait too. */
function noteResults(ev: StageEvent): void {
  const done = ev.stage === 'analytics' && (ev.status === 'ok' || ev.status === 'skipped');
  const failed = (ev.stage === 'cluster' || ev.stage === 'analytics') && ev.status === 'error';
  if (!done && !failed) return;
  jobs.resultsRev[ev.episode_key] = (jobs.resultsRev[ev.episode_key] ?? 0) + 1;
  const waiting = jobs.recluster[ev.episode_key];
  if (waiting === ev.job_id) delete jobs.recluster[ev.episode_key];
}

// ---- re-cluster tracking ------------------------------------------------------

/** Stands for the job id while the call that queues the job is in flight. */
const QUEUING = '…';

/** Ends the wait for a re-cluster whose job the snapshot shows finished (its events were missed).
 * A mark whose queuing call is still in flight is that call's to settle. Called after each snapshot. */
export function settleRecluster(): void {
  for (const [key, jobId] of Object.entries(jobs.recluster)) {
    if (jobId === QUEUING) continue;
    const job = findEpisode(key)?.latest_job;
    if (job?.job_id === jobId && !isJobActive(job)) {
      delete jobs.recluster[key];
      jobs.resultsRev[key] = (jobs.resultsRev[key] ?? 0) + 1;
    }
  }
}

/** Waits for job jobId, a re-cluster the backend queued by itself (the Cast view of an episode whose
 * curation or cast list changed since its identities were built), unless it already ended. */
export function expectRecluster(key: string, jobId: string): void {
  if (!jobId || jobs.recluster[key]) return;
  const job = findEpisode(key)?.latest_job;
  if (job?.job_id === jobId && !isJobActive(job)) return;
  jobs.recluster[key] = jobId;
}

/**
 * Runs a call that queues a cluster+analytics job for the episode (a curation,
 * an undo, a facebank re-run) and marks the episode as waiting for it until its
 * analytics stage ends. The mark is set before the call, so the Cast tab stays
 * open while the re-cluster clears the episode's clustered flag. False (and a
 * toast) when the call failed.
 */
export async function recluster(key: string, what: string, queue: () => Promise<string>): Promise<boolean> {
  jobs.recluster[key] = QUEUING;
  try {
    const jobId = await queue();
    if (jobs.recluster[key] === QUEUING) {
      delete jobs.recluster[key];
      const job = findEpisode(key)?.latest_job;
      const analytics = job?.job_id === jobId ? job.stages.find((s) => s.name === 'analytics') : undefined;
      if (!analytics || analytics.status === 'pending' || analytics.status === 'running') jobs.recluster[key] = jobId;
    }
    return true;
  } catch (err) {
    if (jobs.recluster[key] === QUEUING) delete jobs.recluster[key];
    toastApiError(what, err);
    return false;
  }
}

/** Ticks the countdown clock. */
export function tick(now = Date.now()): void {
  jobs.now = now;
}

/** Test hook: no pending progress, no waits, nothing toasted yet. */
export function resetJobs(): void {
  progress.reset();
  toasted.clear();
  jobs.resultsRev = {};
  jobs.recluster = {};
}
