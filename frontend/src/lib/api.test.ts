import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, call, DEFAULT_TIMEOUT_MS, parseError } from './api';
import { setCatalog } from './catalog';
import { goCatalog } from '../test/catalog';
import * as App from './wailsjs/go/main/App';

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
    bind({ OpenReport: () => new Promise(() => {}) });
    const caught = call(App.OpenReport, ['ep1'], 50).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    expect(((await caught) as ApiError).code).toBe('ERR_TIMEOUT');
    // The generated function is named by its export name, for messages.
    expect(((await caught) as ApiError).method).toBe('OpenReport');
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

  it('turns the {code, message, hint} a bound method rejects with into an ApiError', async () => {
    bind({
      AddVideos: () =>
        Promise.reject({ code: 'ERR_VIDEO_UNREADABLE', message: 'Cannot open /x.mp4.', hint: 'Check the file — or another one.' }),
    });
    const err = (await api.addVideos(['/x.mp4']).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'ERR_VIDEO_UNREADABLE', message: 'Cannot open /x.mp4.', hint: 'Check the file — or another one.', method: 'AddVideos' });
  });

  it('a string Wails itself rejects with, or a thrown Error, is ERR_INTERNAL with its text', async () => {
    bind({ RunEpisode: () => Promise.reject('error parsing arguments: json: cannot unmarshal') });
    const err = (await api.runEpisode('ep1').catch((e: unknown) => e)) as ApiError;
    expect(err).toMatchObject({ code: 'ERR_INTERNAL', message: 'error parsing arguments: json: cannot unmarshal', hint: '' });
    // A string that looks like a code is not parsed: only the backend's object carries one.
    expect(parseError('ERR_DISK_FULL no space', 'X')).toMatchObject({ code: 'ERR_INTERNAL', message: 'ERR_DISK_FULL no space' });
    expect(parseError(new Error('boom'), 'X')).toMatchObject({ code: 'ERR_INTERNAL', message: 'boom' });
    expect(parseError({ code: 'ERR_USAGE', message: 'Bad.' }, 'X')).toMatchObject({ code: 'ERR_USAGE', message: 'Bad.', hint: '' });
  });

  it('a binding that throws at once rejects with an ApiError', async () => {
    bind({ CancelJob: () => { throw { code: 'ERR_ILLEGAL_TRANSITION', message: 'Already done.', hint: '' }; } });
    await expect(api.cancelJob('j1')).rejects.toMatchObject({ code: 'ERR_ILLEGAL_TRANSITION', method: 'CancelJob' });
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

  it("GetSettings fills the analysis settings an older backend leaves out with the catalog's defaults", async () => {
    setCatalog(goCatalog);
    bind({ GetSettings: async () => ({ data_dir: '/d', models: null }) });
    const s = await api.getSettings();
    expect(s).toMatchObject({ models: [], cluster_threshold: 0.5, min_track_len: 3, screentime_preset: 'default' });
    bind({ GetSettings: async () => ({ models: [], cluster_threshold: 0.8, min_track_len: 5, screentime_preset: 'strict' }) });
    expect(await api.getSettings()).toMatchObject({ cluster_threshold: 0.8, min_track_len: 5, screentime_preset: 'strict' });
  });
});
