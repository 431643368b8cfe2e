import { afterEach, describe, expect, it } from 'vitest';
import { FaceThumbLoader, THUMB_BATCH } from './facethumbs.svelte';

type Fn = (...args: unknown[]) => Promise<unknown>;
const later = () => new Promise((r) => setTimeout(r, 5));

describe('FaceThumbLoader', () => {
  afterEach(() => {
    delete window.go;
  });

  it('asks in batches, once per track, and again for those whose call failed when told to retry', async () => {
    let fail = true;
    const calls: number[][] = [];
    const errors: unknown[] = [];
    window.go = {
      main: {
        App: {
          FaceThumbs: (async (_key: unknown, ids: unknown) => {
            calls.push(ids as number[]);
            if (fail) throw { code: 'ERR_VIDEO_UNREADABLE', message: 'The video cannot be read.' };
            return Object.fromEntries((ids as number[]).map((id) => [String(id), `data:image/jpeg;base64,${id}`]));
          }) as Fn,
        },
      },
    };
    const loader = new FaceThumbLoader('ep1', (err) => errors.push(err));
    const ids = Array.from({ length: THUMB_BATCH + 2 }, (_, i) => i + 1);
    for (const id of ids) loader.request(id);
    loader.request(1); // asked already
    await later();
    expect(calls.map((c) => c.length)).toEqual([THUMB_BATCH, 2]);
    expect(errors.length).toBe(2);
    expect(Object.keys(loader.urls)).toHaveLength(0);

    loader.request(3); // a failed crop is not asked for by its card again…
    await later();
    expect(calls).toHaveLength(2);
    fail = false;
    loader.retryFailed(); // …but after the view reloads
    await later();
    expect(calls.flat().slice(-ids.length).sort((a, b) => a - b)).toEqual(ids);
    expect(loader.urls[3]).toBe('data:image/jpeg;base64,3');
    loader.retryFailed(); // nothing failed: no call
    await later();
    expect(calls).toHaveLength(4);
  });
});
