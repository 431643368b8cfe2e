import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from './coalesce';
import { addPaths, app, expectRecluster, handleEpisodeEvent, handleStageEvent, recluster, refresh, resetStore, stagesOf } from './store.svelte';
import { episode, stage, stageEvent } from '../test/fixtures';

describe('Coalescer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('applies at most 4 progress updates per second per key, and always the newest last', () => {
    const applied: number[] = [];
    const c = new Coalescer<number>((v) => applied.push(v));
    // 100 events per second for 2 s on one key
    for (let i = 0; i < 200; i++) {
      c.push('job/detect', i);
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(1000);
    expect(applied.length).toBeGreaterThanOrEqual(7);
    expect(applied.length).toBeLessThanOrEqual(9);
    expect(applied.at(-1)).toBe(199);
    // no 1-s window holds more than 4 applications
    const times: number[] = [];
    const c2 = new Coalescer<number>(() => times.push(Date.now()));
    for (let i = 0; i < 300; i++) {
      c2.push('k', i);
      vi.advanceTimersByTime(7);
    }
    vi.advanceTimersByTime(500);
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i] && t < times[i] + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(4);
    }
  });

  it('keys are throttled independently', () => {
    const applied: string[] = [];
    const c = new Coalescer<string>((v) => applied.push(v));
    c.push('a', 'a1');
    c.push('b', 'b1');
    c.push('a', 'a2');
    expect(applied).toEqual(['a1', 'b1']);
    vi.advanceTimersByTime(250);
    expect(applied).toEqual(['a1', 'b1', 'a2']);
  });

  it('urgent updates apply at once and replace what is pending', () => {
    const applied: string[] = [];
    const c = new Coalescer<string>((v) => applied.push(v));
    c.push('k', 'p1');
    c.push('k', 'p2');
    c.push('k', 'ok', true);
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual(['p1', 'ok']);
  });
});

describe('store events', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetStore();
  });
  afterEach(() => vi.useRealTimers());

  function detect() {
    return stagesOf(app.episodes[0]).find((s) => s.name === 'detect')!;
  }

  it('applies status changes at once and coalesces progress', () => {
    handleEpisodeEvent(episode());
    handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: 0, total: 1000 }));
    expect(detect().status).toBe('running');
    expect(app.episodes[0].latest_job?.job_id).toBe('prepare_ep1_1');
    // a burst of 50 progress events within 100 ms
    for (let i = 1; i <= 50; i++) {
      handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: i * 10, total: 1000 }));
      vi.advanceTimersByTime(2);
    }
    expect(detect().done).toBe(0); // held back: last render was < 250 ms ago
    vi.advanceTimersByTime(250);
    expect(detect().done).toBe(500); // newest value, one render
    // the stage finishing is applied immediately even inside the window
    handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: 990, total: 1000 }));
    handleStageEvent(stageEvent({ status: 'ok', attempt: 1, done: 1000, total: 1000, result: { faces_detected: 7 } }));
    expect(detect().status).toBe('ok');
    expect(detect().done).toBe(1000);
    vi.advanceTimersByTime(1000);
    expect(detect().status).toBe('ok'); // the older progress update was dropped
  });

  it('counts progress renders: no more than 4 per second per stage', () => {
    handleEpisodeEvent(episode());
    handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: 0, total: 10000 }));
    const seen: number[] = [];
    let last = -1;
    for (let i = 1; i <= 1000; i++) {
      handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: i, total: 10000 }));
      vi.advanceTimersByTime(1); // 1000 events over 1 s
      const d = detect().done;
      if (d !== last) {
        seen.push(d);
        last = d;
      }
    }
    // first status render at t=0 counts as one; progress renders fit the 4/s budget
    expect(seen.length).toBeLessThanOrEqual(5);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps snapshot fields an event leaves out (times) and takes the ones it carries', () => {
    const started = '2026-01-01T10:00:00.000Z';
    handleEpisodeEvent(
      episode({
        latest_job: {
          job_id: 'prepare_ep1_1',
          episode_key: 'ep1',
          mode: 'prepare',
          created_at: started,
          finished_at: null,
          stages: [stageEvent({ status: 'running', attempt: 1, started_at: started, heartbeat_at: started, done: 1, total: 10 })],
        },
      }),
    );
    // the engine's events carry no started_at / heartbeat_at / name
    const ev = stageEvent({ status: 'ok', attempt: 1, done: 10, total: 10, result: { faces_detected: 3 } }) as Partial<ReturnType<typeof stageEvent>>;
    delete ev.started_at;
    delete ev.heartbeat_at;
    delete ev.finished_at;
    delete ev.name;
    handleStageEvent(ev as ReturnType<typeof stageEvent>);
    expect(detect().status).toBe('ok');
    expect(detect().name).toBe('detect');
    expect(detect().started_at).toBe(started);
    expect(detect().heartbeat_at).toBe(started);
    expect(detect().result).toEqual({ faces_detected: 3 });
  });

  it('raises one error toast per failed attempt', () => {
    handleEpisodeEvent(episode());
    const err = { code: 'ERR_VIDEO_UNREADABLE', message: 'cannot decode', hint: 'Check the file.' };
    handleStageEvent(stageEvent({ name: 'validate', stage: 'validate', label: 'Validate', status: 'error', attempt: 1, error: err }));
    handleStageEvent(stageEvent({ name: 'validate', stage: 'validate', label: 'Validate', status: 'error', attempt: 1, error: err }));
    expect(app.toasts).toHaveLength(1);
    expect(app.toasts[0]).toMatchObject({ title: 'Validate failed', code: 'ERR_VIDEO_UNREADABLE', jobId: 'prepare_ep1_1', hint: 'Check the file.' });
    handleStageEvent(stageEvent({ name: 'validate', stage: 'validate', label: 'Validate', status: 'error', attempt: 2, error: err }));
    expect(app.toasts).toHaveLength(2);
  });

  it('toasts an error the snapshot already showed (a zero-byte file fails before AddVideos returns)', () => {
    const err = { code: 'ERR_VIDEO_UNREADABLE', message: 'empty (0 bytes)' };
    handleEpisodeEvent(
      episode({
        latest_job: {
          job_id: 'prepare_ep1_1', episode_key: 'ep1', mode: 'full', created_at: '', finished_at: null,
          stages: [stage({ name: 'validate', label: 'Validate', status: 'error', attempt: 1, error: err })],
        },
      }),
    );
    handleStageEvent(stageEvent({ name: 'validate', stage: 'validate', label: 'Validate', status: 'error', attempt: 1, error: err }));
    expect(app.toasts).toHaveLength(1);
    expect(app.toasts[0]).toMatchObject({ code: 'ERR_VIDEO_UNREADABLE' });
  });

  it('an episode event adds or replaces by key', () => {
    handleEpisodeEvent(episode({ key: 'a', title: 'A' }));
    handleEpisodeEvent(episode({ key: 'b', title: 'B' }));
    handleEpisodeEvent(episode({ key: 'a', title: 'A2' }));
    expect(app.episodes.map((e) => e.title)).toEqual(['B', 'A2']);
    expect(app.selectedKey).toBe('a');
  });
});

describe('store: adding files', () => {
  beforeEach(() => resetStore());
  afterEach(() => {
    delete window.go;
  });

  it('lists a file as being read until it is registered, then selects its episode', async () => {
    let finish: (v: unknown) => void = () => {};
    window.go = {
      main: { App: { AddVideos: () => new Promise((resolve) => (finish = resolve)) } },
    } as unknown as typeof window.go;
    const added = addPaths(['/videos/Long_S01E01.mp4']);
    expect(app.adding).toEqual(['/videos/Long_S01E01.mp4']);
    finish([episode({ key: 'long_s01_e01' })]);
    await added;
    expect(app.adding).toEqual([]);
    expect(app.selectedKey).toBe('long_s01_e01');
  });

  it('drops the file from the list when adding it fails', async () => {
    window.go = {
      main: { App: { AddVideos: async () => { throw { code: 'ERR_INPUT_NOT_FOUND', message: 'gone' }; } } },
    } as unknown as typeof window.go;
    await addPaths(['/videos/Gone.mp4']);
    expect(app.adding).toEqual([]);
  });
});

describe('store: waiting for a re-cluster', () => {
  beforeEach(() => resetStore());
  afterEach(() => {
    delete window.go;
  });

  const ev = (stage: string, status: 'running' | 'ok' | 'error', job = 'cluster_ep1_2') =>
    stageEvent({ job_id: job, name: stage, stage, label: stage, status, attempt: 1, error: status === 'error' ? { code: 'ERR_INTERNAL', message: 'boom' } : null });

  it('marks the episode while the queuing call runs and until its analytics stage ends ok; then bumps the results', async () => {
    handleEpisodeEvent(episode());
    let answer: (id: string) => void = () => {};
    const p = recluster('ep1', 'Renaming', () => new Promise<string>((r) => (answer = r)));
    expect(app.recluster.ep1).toBeTruthy();
    answer('cluster_ep1_2');
    await expect(p).resolves.toBe(true);
    expect(app.recluster.ep1).toBe('cluster_ep1_2');
    handleStageEvent(ev('cluster', 'running'));
    handleStageEvent(ev('cluster', 'ok'));
    expect(app.recluster.ep1).toBe('cluster_ep1_2');
    expect(app.resultsRev.ep1 ?? 0).toBe(0);
    handleStageEvent(ev('analytics', 'ok'));
    expect(app.recluster.ep1).toBeUndefined();
    expect(app.resultsRev.ep1).toBe(1);
  });

  it('a failed cluster stage ends the wait (its toast comes from the stage event)', async () => {
    handleEpisodeEvent(episode());
    await recluster('ep1', 'Merging', async () => 'cluster_ep1_2');
    handleStageEvent(ev('cluster', 'error'));
    expect(app.recluster.ep1).toBeUndefined();
    expect(app.resultsRev.ep1).toBe(1);
    expect(app.toasts.map((t) => t.title)).toEqual(['cluster failed']);
  });

  it('a rejected call clears the mark and raises a typed toast', async () => {
    handleEpisodeEvent(episode());
    const ok = await recluster('ep1', 'Undo', async () => {
      throw { code: 'ERR_USAGE', message: 'Nothing to undo.' };
    });
    expect(ok).toBe(false);
    expect(app.recluster.ep1).toBeUndefined();
    expect(app.toasts[0]).toMatchObject({ title: 'Undo failed', code: 'ERR_USAGE', message: 'Nothing to undo.' });
  });

  it('does not wait for a job whose analytics already ended before the call answered', async () => {
    handleEpisodeEvent(episode());
    const p = recluster('ep1', 'Locking', async () => {
      handleStageEvent(ev('analytics', 'ok'));
      return 'cluster_ep1_2';
    });
    await p;
    expect(app.recluster.ep1).toBeUndefined();
  });

  const job = (status: 'running' | 'ok' | 'error') => ({
    job_id: 'cluster_ep1_2',
    episode_key: 'ep1',
    mode: 'cluster+',
    created_at: '2026-01-01T00:00:00Z',
    finished_at: status === 'running' ? null : '2026-01-01T00:00:05Z',
    stages: [stage({ name: 'cluster', status }), stage({ name: 'analytics', status: status === 'running' ? 'pending' : status })],
  });

  it('a re-cluster the backend queued itself is awaited until the snapshot shows that job ended', async () => {
    handleEpisodeEvent(episode());
    expectRecluster('ep1', 'cluster_ep1_2');
    expect(app.recluster.ep1).toBe('cluster_ep1_2');
    window.go = { main: { App: { ListEpisodes: async () => [episode({ latest_job: job('running') })] } } };
    await refresh();
    expect(app.recluster.ep1).toBe('cluster_ep1_2');
    window.go = { main: { App: { ListEpisodes: async () => [episode({ latest_job: job('ok') })] } } };
    await refresh();
    expect(app.recluster.ep1).toBeUndefined();
    expect(app.resultsRev.ep1).toBe(1);
  });

  it('a backend that could not open shows its error with the file and what to do', async () => {
    const msg = 'Settings file /data/settings.json cannot be used: it is not valid JSON (line 3).';
    const hint = 'Fix the file in a text editor, or delete it to start with the default settings, then start Castscope again.';
    window.go = { main: { App: { ListEpisodes: async () => Promise.reject({ code: 'ERR_USAGE', message: msg, hint }) } } };
    await refresh();
    expect(app.banner).toBe(`ERR_USAGE ${msg} — ${hint}`);
  });

  it('no job queued (the last re-cluster failed) or one already ended: nothing to wait for', () => {
    handleEpisodeEvent(episode({ latest_job: job('error') }));
    expectRecluster('ep1', '');
    expect(app.recluster.ep1).toBeUndefined();
    expectRecluster('ep1', 'cluster_ep1_2');
    expect(app.recluster.ep1).toBeUndefined();
  });

  it('a snapshot or another job ending while a curation call is in flight keeps its mark', async () => {
    handleEpisodeEvent(episode({ latest_job: job('ok') }));
    let answer: (id: string) => void = () => {};
    const p = recluster('ep1', 'Renaming', () => new Promise<string>((r) => (answer = r)));
    window.go = { main: { App: { ListEpisodes: async () => [episode({ latest_job: job('ok') })] } } };
    await refresh();
    handleStageEvent(ev('analytics', 'ok', 'prepare_ep1_1'));
    expect(app.recluster.ep1).toBeTruthy();
    answer('cluster_ep1_3');
    await p;
    expect(app.recluster.ep1).toBe('cluster_ep1_3');
  });

  it('a stage that ends brings the registry flags with a snapshot, so the Cast and Report tabs open', async () => {
    vi.useFakeTimers();
    resetStore();
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
      expect(app.episodes[0].states.analyzed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
