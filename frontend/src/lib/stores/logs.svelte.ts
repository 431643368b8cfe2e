// Logs: the panel that shows a job's log lines (opened from an error toast
// or a stage card).
//
// Pattern of every store module: one exported $state object plus the
// functions that change it; components read the state and call the functions.
import { api, parseError } from '../api';
import type { LogLine } from '../types';
import type { Toast } from './toasts.svelte';

export interface LogPanelState {
  title: string;
  jobId: string;
  lines: LogLine[];
  loading: boolean;
  error: string;
}

export const logs = $state({
  /** The open panel; null when closed. */
  panel: null as LogPanelState | null,
});

/** Opens the panel on the job's log; a toast without a job shows its own error line. */
export async function openLogs(toast: Pick<Toast, 'jobId' | 'title' | 'code' | 'message'>): Promise<void> {
  if (!toast.jobId) {
    logs.panel = {
      title: toast.title,
      jobId: '',
      loading: false,
      error: '',
      lines: [{ time: new Date().toISOString(), level: 'ERROR', job_id: '', stage: '', line: `${toast.code} ${toast.message}` }],
    };
    return;
  }
  logs.panel = { title: toast.title, jobId: toast.jobId, lines: [], loading: true, error: '' };
  try {
    const lines = await api.jobLogs(toast.jobId);
    if (logs.panel && logs.panel.jobId === toast.jobId) {
      logs.panel.lines = lines;
      logs.panel.loading = false;
    }
  } catch (err) {
    const e = parseError(err, 'JobLogs');
    if (logs.panel) {
      logs.panel.error = `${e.code} ${e.message}`;
      logs.panel.loading = false;
    }
  }
}

export function closeLogs(): void {
  logs.panel = null;
}

/** Test hook: panel closed. */
export function resetLogs(): void {
  logs.panel = null;
}
