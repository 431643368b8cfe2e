import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { episode, stageEvent } from '../../test/fixtures';
import { addPaths, episodes, handleEpisodeEvent, refresh } from './episodes.svelte';
import { resetStores } from './index';
import { handleStageEvent } from './jobs.svelte';

describe('episodes: events and snapshots', () => {
  beforeEach(() => resetStores());
  afterEach(() => {
    delete window.go;
  });

  const ev = (stage: string, status: 'running' | 'ok' | 'error', job = 'cluster_ep1_2') =>
    stageEvent({ job_id: job, name: stage, stage, label: stage, status, attempt: 1, error: status === 'error' ? { code: 'ERR_INTERNAL', message: 'boom' } : null });

  it('an episode event adds or replaces by key', () => {
    handleEpisodeEvent(episode({ key: 'a', title: 'A' }));
    handleEpisodeEvent(episode({ key: 'b', title: 'B' }));
    handleEpisodeEvent(episode({ key: 'a', title: 'A2' }));
    expect(episodes.list.map((e) => e.title)).toEqual(['B', 'A2']);
    expect(episodes.selectedKey).toBe('a');
  });

  it('a backend that could not open shows its error with the file and what to do', async () => {
    const msg = 'Settings file /data/settings.json cannot be used: it is not valid JSON (line 3).';
    const hint = 'Fix the file in a text editor, or delete it to start with the default settings, then start Castscope again.';
    window.go = { main: { App: { ListEpisodes: async () => Promise.reject({ code: 'ERR_USAGE', message: msg, hint }) } } };
    await refresh();
    expect(episodes.banner).toBe(`ERR_USAGE ${msg} — ${hint}`);
  });

  it('a stage that ends brings the registry flags with a snapshot, so the Cast and Report tabs open', async () => {
    vi.useFakeTimers();
    resetStores();
    try {
      handleEpisodeEvent(episode());
      let calls = 0;
      const done = episode({ states: { ...episode().states, clustered: true, analyzed: true } });
      window.go = { main: { App: { ListEpisodes: async () => (calls++, [done]) } } };
      handleStageEvent(ev('analytics', 'running'));
      await vi.advanceTimersByTimeAsync(1000);
      expect(calls).toBe(0); // progress alone pulls nothing
      handleStageEvent(ev('cluster', 'ok'));
      handleStageEvent(ev('analytics', 'ok'));
      await vi.advanceTimersByTimeAsync(1000);
      expect(calls).toBe(1); // one snapshot for a burst of state changes
      expect(episodes.list[0].states.analyzed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('episodes: adding files', () => {
  beforeEach(() => resetStores());
  afterEach(() => {
    delete window.go;
  });

  it('lists a file as being read until it is registered, then selects its episode', async () => {
    let finish: (v: unknown) => void = () => {};
    window.go = {
      main: { App: { AddVideos: () => new Promise((resolve) => (finish = resolve)) } },
    } as unknown as typeof window.go;
    const added = addPaths(['/videos/Long_S01E01.mp4']);
    expect(episodes.adding).toEqual(['/videos/Long_S01E01.mp4']);
    finish([episode({ key: 'long_s01_e01' })]);
    await added;
    expect(episodes.adding).toEqual([]);
    expect(episodes.selectedKey).toBe('long_s01_e01');
  });

  it('drops the file from the list when adding it fails', async () => {
    window.go = {
      main: { App: { AddVideos: async () => { throw { code: 'ERR_INPUT_NOT_FOUND', message: 'gone' }; } } },
    } as unknown as typeof window.go;
    await addPaths(['/videos/Gone.mp4']);
    expect(episodes.adding).toEqual([]);
  });
});

