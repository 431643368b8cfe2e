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
    const e = parseError('ERR_MODEL_MISSING model file retinaface.onnx is missing — Run make models.', 'X');
    expect(e.code).toBe('ERR_MODEL_MISSING');
    expect(e.message).toBe('model file retinaface.onnx is missing');
    expect(e.hint).toBe('Run make models.');
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
