// Settings: the side panel that reads and saves the data folder's settings.
//
// Pattern of every store module: one exported $state object plus the
// functions that change it; components read the state and call the functions.
import { api, parseError } from '../api';
import type { Settings } from '../types';

export const settings = $state({
  open: false,
  loading: false,
  saving: false,
  /** "<code> <message> <hint>" of the last failed read or save; empty when none. */
  error: '',
  /** True after a save went through, until the panel reloads or saves again. */
  saved: false,
  /** The settings as the backend last returned them. */
  data: null as Settings | null,
});

/** Opens (and reads the settings afresh) or closes the panel. */
export async function openSettings(open = true): Promise<void> {
  settings.open = open;
  if (!open) return;
  settings.loading = true;
  settings.error = '';
  settings.saved = false;
  try {
    settings.data = await api.getSettings();
  } catch (err) {
    const e = parseError(err, 'GetSettings');
    settings.error = `${e.code} ${e.message}`;
  } finally {
    settings.loading = false;
  }
}

/** Saves s, then reads back what the backend kept. */
export async function saveSettings(s: Settings): Promise<void> {
  settings.saving = true;
  settings.error = '';
  settings.saved = false;
  try {
    await api.saveSettings($state.snapshot(s) as Settings);
    settings.data = await api.getSettings();
    settings.saved = true;
  } catch (err) {
    const e = parseError(err, 'SaveSettings');
    // The hint says how to fix what was refused (a Temporal address as HOST:PORT…).
    settings.error = [e.code, e.message, e.hint].filter(Boolean).join(' ');
  } finally {
    settings.saving = false;
  }
}

/** Test hook: panel closed, nothing read. */
export function resetSettings(): void {
  Object.assign(settings, { open: false, loading: false, saving: false, error: '', saved: false, data: null });
}
