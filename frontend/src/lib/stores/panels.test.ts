import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS } from '../catalog';
import { episode, stageEvent } from '../../test/fixtures';
import { handleEpisodeEvent, select } from './episodes.svelte';
import { resetStores } from './index';
import { handleStageEvent } from './jobs.svelte';
import { closeLogs, logs, openLogs } from './logs.svelte';
import { REPORT_DELAY_MS, report, toggleInspector } from './report.svelte';
import { openSettings, saveSettings, settings } from './settings.svelte';
import { dismissToast, pushToast, toasts } from './toasts.svelte';

beforeEach(() => resetStores());
afterEach(() => {
  delete window.go;
  vi.useRealTimers();
});

describe('toasts', () => {
  it('keeps the newest five and dismisses by id', () => {
    for (let i = 1; i <= 7; i++) pushToast({ title: `t${i}`, message: '', code: 'ERR_USAGE' });
    expect(toasts.list.map((t) => t.title)).toEqual(['t3', 't4', 't5', 't6', 't7']);
    dismissToast(toasts.list[1].id);
    expect(toasts.list.map((t) => t.title)).toEqual(['t3', 't5', 't6', 't7']);
    dismissToast(-1);
    expect(toasts.list).toHaveLength(4);
  });
});

describe('report', () => {
  it("keeps only the selected episode's answer", async () => {
    handleEpisodeEvent(episode({ key: 'a' }));
    handleEpisodeEvent(episode({ key: 'b' }));
    const answers: Record<string, (v: unknown) => void> = {};
    window.go = { main: { App: { Inspect: (key: string) => new Promise((r) => (answers[key] = r)) } } } as unknown as typeof window.go;
    toggleInspector(true);
    expect(report.loading).toBe(true);
    select('b');
    answers.a({ episode: 'a' });
    answers.b({ episode: 'b' });
    await vi.waitFor(() => expect(report.loading).toBe(false));
    expect(report.data).toMatchObject({ episode: 'b' });
  });

  it('an open inspector reloads once after a burst of state changes of the selected episode', async () => {
    vi.useFakeTimers();
    handleEpisodeEvent(episode());
    let calls = 0;
    window.go = { main: { App: { Inspect: async () => (calls++, {}), ListEpisodes: async () => [episode()] } } } as unknown as typeof window.go;
    toggleInspector(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    handleStageEvent(stageEvent({ status: 'running', attempt: 1 }));
    handleStageEvent(stageEvent({ status: 'retrying', attempt: 1 }));
    await vi.advanceTimersByTimeAsync(REPORT_DELAY_MS);
    expect(calls).toBe(2);
    toggleInspector(false);
    handleStageEvent(stageEvent({ status: 'running', attempt: 2 }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(2); // neither the event nor the snapshot it pulls reloads a closed inspector
  });
});

describe('settings', () => {
  it('saves, reads back what the backend kept, and says so; a failed save shows its code', async () => {
    let stored = { ...DEFAULTS, sample_fps: 2 };
    window.go = {
      main: {
        App: {
          GetSettings: async () => stored,
          SaveSettings: async (s: typeof stored) => {
            if (s.sample_fps > 100) throw { code: 'ERR_USAGE', message: 'too fast' };
            stored = { ...s };
          },
        },
      },
    } as unknown as typeof window.go;
    await openSettings();
    expect(settings).toMatchObject({ open: true, loading: false, error: '', saved: false });
    expect(settings.data?.sample_fps).toBe(2);
    await saveSettings({ ...settings.data!, sample_fps: 4 });
    expect(settings).toMatchObject({ saving: false, saved: true, error: '' });
    expect(settings.data?.sample_fps).toBe(4);
    await saveSettings({ ...settings.data!, sample_fps: 500 });
    expect(settings).toMatchObject({ saved: false, error: 'ERR_USAGE too fast' });
    expect(settings.data?.sample_fps).toBe(4);
    await openSettings(false);
    expect(settings.open).toBe(false);
  });

  it('a refused Temporal address shows the backend\'s message and hint, and keeps what was stored', async () => {
    let stored = { ...DEFAULTS };
    const saved: unknown[] = [];
    window.go = {
      main: {
        App: {
          GetSettings: async () => stored,
          SaveSettings: async (s: typeof stored) => {
            saved.push(s);
            if (s.run_on === 'temporal' && !/^[^:]+:\d+$/.test(s.temporal_address))
              throw { code: 'ERR_USAGE', message: `"${s.temporal_address}" is not a Temporal server address.`, hint: 'Give it as HOST:PORT, e.g. temporal.example.lan:7233.' };
            stored = { ...s };
          },
        },
      },
    } as unknown as typeof window.go;
    await openSettings();
    expect(settings.data).toMatchObject({ run_on: 'local', temporal_namespace: 'default' });
    await saveSettings({ ...settings.data!, run_on: 'temporal', temporal_address: '' });
    expect(saved[0]).toMatchObject({ run_on: 'temporal', temporal_address: '', temporal_namespace: 'default' });
    expect(settings).toMatchObject({ saved: false, error: 'ERR_USAGE "" is not a Temporal server address. Give it as HOST:PORT, e.g. temporal.example.lan:7233.' });
    expect(settings.data?.run_on).toBe('local');
    await saveSettings({ ...settings.data!, run_on: 'temporal', temporal_address: '10.0.0.5:7233' });
    expect(settings).toMatchObject({ saved: true, error: '' });
    expect(settings.data).toMatchObject({ run_on: 'temporal', temporal_address: '10.0.0.5:7233' });
  });
});

describe('logs', () => {
  it("shows a job's log lines, or a toast's own error when it names no job", async () => {
    window.go = {
      main: { App: { JobLogs: async (id: string) => [{ time: 't', level: 'INFO', job_id: id, stage: 'detect', line: 'hello' }] } },
    } as unknown as typeof window.go;
    await openLogs({ jobId: 'prepare_ep1_1', title: 'Detect failed', code: 'ERR_X', message: 'm' });
    expect(logs.panel).toMatchObject({ jobId: 'prepare_ep1_1', loading: false, error: '' });
    expect(logs.panel?.lines.map((l) => l.line)).toEqual(['hello']);
    await openLogs({ title: 'Adding videos failed', code: 'ERR_INPUT_NOT_FOUND', message: 'gone' });
    expect(logs.panel?.lines.map((l) => l.line)).toEqual(['ERR_INPUT_NOT_FOUND gone']);
    closeLogs();
    expect(logs.panel).toBeNull();
  });
});
