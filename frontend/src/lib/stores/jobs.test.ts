import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { episode, stage, stageEvent } from '../../test/fixtures';
import { episodes, handleEpisodeEvent, refresh, stagesOf } from './episodes.svelte';
import { resetStores } from './index';
import { expectRecluster, handleStageEvent, jobs, recluster } from './jobs.svelte';
import { toasts } from './toasts.svelte';

describe('jobs: stage events', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetStores();
  });
  afterEach(() => vi.useRealTimers());

  function detect() {
    return stagesOf(episodes.list[0]).find((s) => s.name === 'detect')!;
  }

  it('applies status changes at once and coalesces progress', () => {
    handleEpisodeEvent(episode());
    handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: 0, total: 1000 }));
    expect(detect().status).toBe('running');
    expect(episodes.list[0].latest_job?.job_id).toBe('prepare_ep1_1');
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
    expect(toasts.list).toHaveLength(1);
    expect(toasts.list[0]).toMatchObject({ title: 'Validate failed', code: 'ERR_VIDEO_UNREADABLE', jobId: 'prepare_ep1_1', hint: 'Check the file.' });
    handleStageEvent(stageEvent({ name: 'validate', stage: 'validate', label: 'Validate', status: 'error', attempt: 2, error: err }));
    expect(toasts.list).toHaveLength(2);
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
    expect(toasts.list).toHaveLength(1);
    expect(toasts.list[0]).toMatchObject({ code: 'ERR_VIDEO_UNREADABLE' });
  });
});

describe('jobs: waiting for a re-cluster', () => {
  beforeEach(() => resetStores());
  afterEach(() => {
    delete window.go;
  });

  const ev = (stage: string, status: 'running' | 'ok' | 'error', job = 'cluster_ep1_2') =>
    stageEvent({ job_id: job, name: stage, stage, label: stage, status, attempt: 1, error: status === 'error' ? { code: 'ERR_INTERNAL', message: 'boom' } : null });

  it('marks the episode while the queuing call runs and until its analytics stage ends ok; then bumps the results', async () => {
    handleEpisodeEvent(episode());
    let answer: (id: string) => void = () => {};
    const p = recluster('ep1', 'Renaming', () => new Promise<string>((r) => (answer = r)));
    expect(jobs.recluster.ep1).toBeTruthy();
    answer('cluster_ep1_2');
    await expect(p).resolves.toBe(true);
    expect(jobs.recluster.ep1).toBe('cluster_ep1_2');
    handleStageEvent(ev('cluster', 'running'));
    handleStageEvent(ev('cluster', 'ok'));
    expect(jobs.recluster.ep1).toBe('cluster_ep1_2');
    expect(jobs.resultsRev.ep1 ?? 0).toBe(0);
    handleStageEvent(ev('analytics', 'ok'));
    expect(jobs.recluster.ep1).toBeUndefined();
    expect(jobs.resultsRev.ep1).toBe(1);
  });

  it('a failed cluster stage ends the wait (its toast comes from the stage event)', async () => {
    handleEpisodeEvent(episode());
    await recluster('ep1', 'Merging', async () => 'cluster_ep1_2');
    handleStageEvent(ev('cluster', 'error'));
    expect(jobs.recluster.ep1).toBeUndefined();
    expect(jobs.resultsRev.ep1).toBe(1);
    expect(toasts.list.map((t) => t.title)).toEqual(['cluster failed']);
  });

  it('a rejected call clears the mark and raises a typed toast', async () => {
    handleEpisodeEvent(episode());
    const ok = await recluster('ep1', 'Undo', async () => {
      throw { code: 'ERR_USAGE', message: 'Nothing to undo.' };
    });
    expect(ok).toBe(false);
    expect(jobs.recluster.ep1).toBeUndefined();
    expect(toasts.list[0]).toMatchObject({ title: 'Undo failed', code: 'ERR_USAGE', message: 'Nothing to undo.' });
  });

  it('does not wait for a job whose analytics already ended before the call answered', async () => {
    handleEpisodeEvent(episode());
    const p = recluster('ep1', 'Locking', async () => {
      handleStageEvent(ev('analytics', 'ok'));
      return 'cluster_ep1_2';
    });
    await p;
    expect(jobs.recluster.ep1).toBeUndefined();
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
    expect(jobs.recluster.ep1).toBe('cluster_ep1_2');
    window.go = { main: { App: { ListEpisodes: async () => [episode({ latest_job: job('running') })] } } };
    await refresh();
    expect(jobs.recluster.ep1).toBe('cluster_ep1_2');
    window.go = { main: { App: { ListEpisodes: async () => [episode({ latest_job: job('ok') })] } } };
    await refresh();
    expect(jobs.recluster.ep1).toBeUndefined();
    expect(jobs.resultsRev.ep1).toBe(1);
  });

  it('no job queued (the last re-cluster failed) or one already ended: nothing to wait for', () => {
    handleEpisodeEvent(episode({ latest_job: job('error') }));
    expectRecluster('ep1', '');
    expect(jobs.recluster.ep1).toBeUndefined();
    expectRecluster('ep1', 'cluster_ep1_2');
    expect(jobs.recluster.ep1).toBeUndefined();
  });

  it('a snapshot or another job ending while a curation call is in flight keeps its mark', async () => {
    handleEpisodeEvent(episode({ latest_job: job('ok') }));
    let answer: (id: string) => void = () => {};
    const p = recluster('ep1', 'Renaming', () => new Promise<string>((r) => (answer = r)));
    window.go = { main: { App: { ListEpisodes: async () => [episode({ latest_job: job('ok') })] } } };
    await refresh();
    handleStageEvent(ev('analytics', 'ok', 'prepare_ep1_1'));
    expect(jobs.recluster.ep1).toBeTruthy();
    answer('cluster_ep1_3');
    await p;
    expect(jobs.recluster.ep1).toBe('cluster_ep1_3');
  });
});

describe('jobs: stages on Temporal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetStores();
  });
  afterEach(() => {
    vi.useRealTimers();
    delete window.go;
  });

  const remoteJob = (status: 'pending' | 'running', owner = '') => ({
    job_id: 'prepare_ep1_1',
    episode_key: 'ep1',
    mode: 'prepare',
    driver: 'temporal 127.0.0.1:7233/default',
    created_at: '2026-01-01T10:00:00.000Z',
    finished_at: null,
    stages: [stage({ status, attempt: status === 'running' ? 1 : 0, owner })],
  });

  it('a remote stage that starts brings the snapshot that names its worker; progress does not', async () => {
    handleEpisodeEvent(episode({ latest_job: remoteJob('pending') }));
    const list = vi.fn(async () => [episode({ latest_job: remoteJob('running', 'temporal:w1') })]);
    window.go = { main: { App: { ListEpisodes: list } } };
    handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: 0, total: 10 }));
    await vi.advanceTimersByTimeAsync(600);
    expect(list).toHaveBeenCalledOnce();
    const detect = stagesOf(episodes.list[0]).find((s) => s.name === 'detect')!;
    expect(detect.owner).toBe('temporal:w1');
    // Progress events neither call again nor lose the owner.
    handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: 5, total: 10 }));
    await vi.advanceTimersByTimeAsync(600);
    expect(list).toHaveBeenCalledOnce();
    expect(stagesOf(episodes.list[0]).find((s) => s.name === 'detect')!.owner).toBe('temporal:w1');
  });

  it('a local stage that starts asks for no snapshot', async () => {
    handleEpisodeEvent(episode({ latest_job: { ...remoteJob('pending'), driver: undefined } }));
    const list = vi.fn(async () => [episode()]);
    window.go = { main: { App: { ListEpisodes: list } } };
    handleStageEvent(stageEvent({ status: 'running', attempt: 1, done: 0, total: 10 }));
    await vi.advanceTimersByTimeAsync(600);
    expect(list).not.toHaveBeenCalled();
  });
});

describe('jobs: a snapshot read before a state event', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    resetStores();
  });
  afterEach(() => {
    vi.useRealTimers();
    delete window.go;
  });

  it('that answers last is followed by another snapshot, so the newer state wins', async () => {
    handleEpisodeEvent(episode());
    const running = episode({ latest_job: { ...episode().latest_job!, stages: [stage({ status: 'running', attempt: 1 })] } });
    const ok = episode({ latest_job: { ...episode().latest_job!, stages: [stage({ status: 'ok', attempt: 1 })] } });
    let answer: (v: unknown) => void = () => {};
    const list = vi
      .fn()
      .mockImplementationOnce(() => new Promise((r) => (answer = r))) // a slow read, made while detect ran
      .mockImplementation(async () => [ok]);
    window.go = { main: { App: { ListEpisodes: list } } } as unknown as typeof window.go;
    const detect = () => stagesOf(episodes.list[0]).find((s) => s.name === 'detect')!;
    const slow = refresh();
    // detect ends; the snapshot that event asks for answers first
    handleStageEvent(stageEvent({ status: 'ok', attempt: 1, done: 10, total: 10 }));
    await vi.advanceTimersByTimeAsync(600);
    expect(list).toHaveBeenCalledTimes(2);
    expect(detect().status).toBe('ok');
    // then the slow one, with the older state
    answer([running]);
    await slow;
    expect(detect().status).toBe('running');
    await vi.advanceTimersByTimeAsync(600);
    expect(list).toHaveBeenCalledTimes(3); // it is followed by a fresh one
    expect(detect().status).toBe('ok');
  });
});
