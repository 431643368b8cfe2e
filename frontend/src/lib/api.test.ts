import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, call, DEFAULT_TIMEOUT_MS, parseError } from './api';

type Fn = (...args: unknown[]) => Promise<unknown>;
function bind(methods: Record<string, Fn>) {
  window.go = { main: { App: methods } };
}

describe('api', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    delete window.go;
  });

  it('a call that never settles rejects with ERR_TIMEOUT after the timeout', async () => {
    bind({ ListEpisodes: () => new Promise(() => {}) });
    const p = api.listEpisodes();
    const caught = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS - 1);
    let settled = false;
    void p.then(
      () => (settled = true),
      () => (settled = true),
    );
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = (await caught) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('ERR_TIMEOUT');
    expect(err.method).toBe('ListEpisodes');
  });

  it('custom timeouts apply per call', async () => {
    bind({ Slow: () => new Promise(() => {}) });
    const caught = call('Slow', [], 50).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    expect(((await caught) as ApiError).code).toBe('ERR_TIMEOUT');
  });

  it('passes arguments and returns the value', async () => {
    const run = vi.fn(async (key: unknown, stages: unknown) => `job-${key}-${(stages as string[]).join(',')}`);
    bind({ RunEpisode: run as Fn });
    await expect(api.runEpisode('ep1', ['track', 'cluster'])).resolves.toBe('job-ep1-track,cluster');
    expect(run).toHaveBeenCalledWith('ep1', ['track', 'cluster']);
  });

  it('turns a null list from Go into an empty array', async () => {
    bind({ ListEpisodes: async () => null });
    await expect(api.listEpisodes()).resolves.toEqual([]);
  });

  it('splits typed Go errors into code and message', async () => {
    bind({ AddVideos: () => Promise.reject('ERR_VIDEO_UNREADABLE cannot open /x.mp4: moov atom not found') });
    const err = (await api.addVideos(['/x.mp4']).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('ERR_VIDEO_UNREADABLE');
    expect(err.message).toBe('cannot open /x.mp4: moov atom not found');
  });

  it('separates the hint Go appends after an em dash', () => {
    const e = parseError('ERR_MODEL_MISSING model file retinaface.onnx is missing — Clear the models folder to use the built-in models.', 'X');
    expect(e.code).toBe('ERR_MODEL_MISSING');
    expect(e.message).toBe('model file retinaface.onnx is missing');
    expect(e.hint).toBe('Clear the models folder to use the built-in models.');
  });

  it('untyped errors become ERR_INTERNAL', () => {
    expect(parseError('boom', 'X').code).toBe('ERR_INTERNAL');
    expect(parseError(new Error('ERR_DISK_FULL: no space'), 'X').code).toBe('ERR_DISK_FULL');
  });

  it('replaces null slices and maps from Go with empty ones', async () => {
    bind({
      Inspect: async () => ({
        episode_key: 'ep1',
        registry: { exists: false, path: '', video_path: '', states: null, timestamps: null },
        jobs: null,
        artifacts: { dir: '', exists: false, files: null },
        det_stats: null,
        log_tail: null,
      }),
      ListEpisodes: async () => [{ key: 'ep1', states: null, timestamps: null, latest_job: { job_id: 'j', stages: null } }],
    });
    const r = await api.inspect('ep1');
    expect(r.jobs).toEqual([]);
    expect(r.artifacts.files).toEqual([]);
    expect(r.log_tail).toEqual([]);
    expect(r.registry.states).toEqual({});
    const [ep] = await api.listEpisodes();
    expect(ep.states).toEqual({});
    expect(ep.latest_job?.stages).toEqual([]);
  });

  it('rejects at once when there is no backend', async () => {
    await expect(api.getSettings()).rejects.toMatchObject({ code: 'ERR_NO_BACKEND' });
  });
});

describe('api: cast, report and facebank', () => {
  afterEach(() => {
    vi.useRealTimers();
    delete window.go;
  });

  it('Cast: null lists from Go become empty ones', async () => {
    bind({
      Cast: async () => ({
        episode_key: 'ep1', show: 'ep', ready: true, can_undo: false, last_op: '', ops: 0, pending: false,
        people: [{ identity_id: 1, label: 'Person 1', track_ids: null }],
        unidentified: { tracks: 0, screen_time_s: 0 },
        review: null,
        facebank: null,
      }),
    });
    const c = await api.cast('ep1');
    expect(c.people[0].track_ids).toEqual([]);
    expect(c.review).toEqual([]);
    expect(c.facebank).toEqual([]);
  });

  it('FaceThumbs sends the track ids and turns null into an empty map', async () => {
    const thumbs = vi.fn(async () => null);
    bind({ FaceThumbs: thumbs as Fn });
    await expect(api.faceThumbs('ep1', [3, 4])).resolves.toEqual({});
    expect(thumbs).toHaveBeenCalledWith('ep1', [3, 4]);
  });

  it('Curate and UndoCuration pass the request through and return the job id', async () => {
    const curate = vi.fn(async () => 'cluster_ep1_1');
    const undo = vi.fn(async () => 'cluster_ep1_2');
    bind({ Curate: curate as Fn, UndoCuration: undo as Fn });
    const req = { kind: 'merge' as const, identity_id: 1, others: [2, 3] };
    await expect(api.curate('ep1', req)).resolves.toBe('cluster_ep1_1');
    expect(curate).toHaveBeenCalledWith('ep1', req);
    await expect(api.undoCuration('ep1')).resolves.toBe('cluster_ep1_2');
    expect(undo).toHaveBeenCalledWith('ep1');
  });

  it('ScreenTime: null segments, people and co-appearance become empty', async () => {
    bind({
      ScreenTime: async () => ({
        episode_key: 'ep1', duration_s: 10, sample_interval_s: 0.5, preset: 'default', bridge_s: 1, faces_on_screen_s: 0,
        people: [{ identity_id: 1, label: 'A', segments: null }],
        unidentified: { screen_time_s: 0, margin_s: 0, tracks: 0, segments: null },
        co_appearance: { identity_ids: null, seconds: null },
      }),
    });
    const r = await api.screenTime('ep1');
    expect(r.people[0].segments).toEqual([]);
    expect(r.unidentified.segments).toEqual([]);
    expect(r.co_appearance).toEqual({ identity_ids: [], seconds: [] });
    bind({ ScreenTime: async () => ({ episode_key: 'ep1', people: null, unidentified: null, co_appearance: null }) });
    const empty = await api.screenTime('ep1');
    expect(empty.people).toEqual([]);
    expect(empty.unidentified.segments).toEqual([]);
  });

  it('CompareLogged, OnScreen, Facebank and the headshot calls normalise nulls', async () => {
    const onScreen = vi.fn(async () => ({ ms: 5000, clock: '00:05', timecode: '00:00:05:00', people: null, frame: null }));
    bind({
      CompareLogged: async () => null,
      OnScreen: onScreen as Fn,
      Facebank: async () => null,
      AddHeadshots: async () => null,
      ChooseHeadshots: async () => null,
    });
    await expect(api.compareLogged('ep1', 'A 1')).resolves.toEqual([]);
    const o = await api.onScreen('ep1', '00:05');
    expect(onScreen).toHaveBeenCalledWith('ep1', '00:05');
    expect(o.people).toEqual([]);
    expect(o.frame).toBe('');
    await expect(api.facebank('ep')).resolves.toEqual([]);
    await expect(api.addHeadshots('ep', ['/a.jpg'])).resolves.toEqual([]);
    await expect(api.chooseHeadshots('ep')).resolves.toEqual([]);
  });

  it('ExportScreenTime waits for the save dialog beyond the default timeout; a cancel is ""', async () => {
    vi.useFakeTimers();
    let answer: (v: unknown) => void = () => {};
    const exp = vi.fn(() => new Promise((r) => (answer = r)));
    bind({ ExportScreenTime: exp as Fn });
    const p = api.exportScreenTime('ep1', 'edl', 'Alex');
    await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS * 2);
    answer(null);
    await expect(p).resolves.toBe('');
    expect(exp).toHaveBeenCalledWith('ep1', 'edl', 'Alex');
  });

  it('GetSettings fills the analysis settings an older backend leaves out', async () => {
    bind({ GetSettings: async () => ({ data_dir: '/d', models: null }) });
    const s = await api.getSettings();
    expect(s).toMatchObject({ models: [], cluster_threshold: 0.5, min_track_len: 3, screentime_preset: 'default' });
    bind({ GetSettings: async () => ({ models: [], cluster_threshold: 0.8, min_track_len: 5, screentime_preset: 'strict' }) });
    expect(await api.getSettings()).toMatchObject({ cluster_threshold: 0.8, min_track_len: 5, screentime_preset: 'strict' });
  });
});
