// Toasts: the error and notice cards in the corner of the window.
//
// Every store module follows one pattern: it exports one $state object that
// holds its domain's state and the functions that change it. Components read
// the state and call the functions; backend events and API answers reach the
// state only through those functions. This one owns the toast list.
import { ApiError, parseError } from '../api';

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

/** The most toasts shown at once; a new one pushes out the oldest. */
const MAX_TOASTS = 5;
let toastSeq = 0;

export const toasts = $state({
  /** Shown oldest first. */
  list: [] as Toast[],
});

export function pushToast(t: Omit<Toast, 'id'>): void {
  toasts.list.push({ ...t, id: ++toastSeq });
  while (toasts.list.length > MAX_TOASTS) toasts.list.shift();
}

export function dismissToast(id: number): void {
  const i = toasts.list.findIndex((t) => t.id === id);
  if (i >= 0) toasts.list.splice(i, 1);
}

/** A typed toast for a failed call: "<what> failed", the error's code, message and hint. */
export function toastApiError(what: string, err: unknown): void {
  const e = err instanceof ApiError ? err : parseError(err, what);
  pushToast({ title: `${what} failed`, message: e.message, code: e.code, hint: e.hint || undefined });
}

/** Test hook: no toasts. */
export function resetToasts(): void {
  toasts.list = [];
}
