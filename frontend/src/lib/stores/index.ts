// The page's state, split by domain into store modules that share one
// pattern: each exports one $state object (what it owns) and the functions
// that change it. Components read the state objects and call the functions;
// backend events (castscope:episode, castscope:stage) and API answers update
// the state through those functions only.
//
//   episodes.svelte.ts  the episode list, selection, tab, snapshot refresh, add/run/cancel/retry
//   jobs.svelte.ts      stage events and progress, results revisions, re-cluster waits, the clock
//   report.svelte.ts    the inspector panel and its report
//   settings.svelte.ts  the settings panel
//   toasts.svelte.ts    the toast list
//   logs.svelte.ts      the job log panel
//
// The modules call one another's functions (a stage that ends schedules a
// snapshot; a snapshot settles re-cluster waits and reloads the report), so
// some import each other; they use those imports only inside functions, never
// while loading, which keeps the cycles harmless.
import { resetEpisodes } from './episodes.svelte';
import { resetJobs } from './jobs.svelte';
import { resetLogs } from './logs.svelte';
import { resetReport } from './report.svelte';
import { resetSettings } from './settings.svelte';
import { resetToasts } from './toasts.svelte';

/** Test hook: every store back to a clean state. */
export function resetStores(): void {
  resetJobs();
  resetReport();
  resetEpisodes();
  resetToasts();
  resetLogs();
  resetSettings();
}
