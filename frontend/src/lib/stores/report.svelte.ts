// Report: the inspector side panel, which shows the selected episode's
// report (its registry state, artifacts and latest job), and the actions on
// its buttons (open the data folder, export JSON).
//
// Pattern of every store module: one exported $state object plus the
// functions that change it; components read the state and call the functions;
// events reach it through scheduleReport.
import { api, parseError } from '../api';
import type { Report } from '../types';
import { episodes } from './episodes.svelte';
import { toastApiError } from './toasts.svelte';

export const report = $state({
  open: false,
  loading: false,
  /** "<code> <message>" of the last failed read; empty when none. */
  error: '',
  /** The selected episode's report; null when no episode is selected. */
  data: null as Report | null,
});

/** Reads the selected episode's report; an answer for an episode no longer selected is dropped. */
export async function loadReport(): Promise<void> {
  const key = episodes.selectedKey;
  if (!key) {
    report.data = null;
    return;
  }
  report.loading = true;
  report.error = '';
  try {
    const r = await api.inspect(key);
    if (episodes.selectedKey === key) report.data = r;
  } catch (err) {
    const e = parseError(err, 'Inspect');
    report.error = `${e.code} ${e.message}`;
  } finally {
    report.loading = false;
  }
}

export const REPORT_DELAY_MS = 300;
let reportTimer: ReturnType<typeof setTimeout> | null = null;

/** Reloads an open inspector shortly after a state change of the selected episode. */
export function scheduleReport(): void {
  if (!report.open || reportTimer) return;
  reportTimer = setTimeout(() => {
    reportTimer = null;
    if (report.open) void loadReport();
  }, REPORT_DELAY_MS);
}

export function toggleInspector(open = !report.open): void {
  report.open = open;
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

/** Test hook: inspector closed, nothing pending. */
export function resetReport(): void {
  if (reportTimer) clearTimeout(reportTimer);
  reportTimer = null;
  Object.assign(report, { open: false, loading: false, error: '', data: null });
}
