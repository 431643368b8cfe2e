import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from './api';
import { DEFAULTS, DETECT_PRESETS, ERROR_CODES, loadCatalog, REGISTRY_STATES, SCREENTIME_PRESETS, setCatalog, STAGES, stageLabel } from './catalog';
import { STALLED_CODE } from './format';
import { stagesOf } from './stores/episodes.svelte';
import { goCatalog } from '../test/catalog';
import type { Catalog } from './types';

describe('catalog', () => {
  afterEach(() => {
    delete window.go;
    setCatalog(goCatalog);
  });

  it("holds the backend's stages, flags, defaults, presets and codes", () => {
    setCatalog(goCatalog);
    expect(STAGES.map((s) => s.name)).toEqual(['validate', 'extract', 'detect', 'track', 'cluster', 'analytics']);
    expect(REGISTRY_STATES).toEqual(goCatalog.stages.map((s) => s.flag));
    expect(REGISTRY_STATES[1]).toBe('extracted_frames');
    expect(stageLabel('detect')).toBe('Detect/Embed');
    expect(stageLabel('unknown')).toBe('unknown');
    expect(DEFAULTS).toMatchObject({ cluster_threshold: 0.5, min_track_len: 3, screentime_preset: 'default', sample_fps: 5 });
    expect(SCREENTIME_PRESETS).toEqual(['default', 'strict']);
    expect(DETECT_PRESETS).toContain('detail');
    expect(ERROR_CODES).toContain(STALLED_CODE);
  });

  it('the store lays out an episode in the catalog order', () => {
    const two: Catalog = { ...goCatalog, stages: [goCatalog.stages[1], goCatalog.stages[0]] };
    setCatalog(two);
    expect(stagesOf(null).map((s) => [s.name, s.label])).toEqual([
      ['extract', 'Extract frames'],
      ['validate', 'Validate'],
    ]);
  });

  it('loads once through App.Catalog; after a failure a later load tries again', async () => {
    setCatalog({ ...goCatalog, stages: [] });
    await expect(loadCatalog(api.catalog)).rejects.toMatchObject({ code: 'ERR_NO_BACKEND' });
    expect(STAGES).toEqual([]);
    const read = vi.fn(async () => goCatalog);
    window.go = { main: { App: { Catalog: read } } };
    await Promise.all([loadCatalog(api.catalog), loadCatalog(api.catalog)]);
    await loadCatalog(api.catalog);
    expect(read).toHaveBeenCalledTimes(1);
    expect(STAGES.map((s) => s.label)).toEqual(goCatalog.stages.map((s) => s.label));
  });

  it('every error code the page names is one the backend declares (or the page\'s own)', () => {
    const own = ['ERR_NO_BACKEND', 'ERR_TIMEOUT'];
    const sources = import.meta.glob<string>(['../**/*.ts', '../**/*.svelte', '!../**/*.test.ts', '!./wailsjs/**', '!../test/**'], {
      query: '?raw',
      import: 'default',
      eager: true,
    });
    const named = new Set(Object.values(sources).flatMap((text) => text.match(/ERR_[A-Z0-9_]+/g) ?? []));
    expect(named.size).toBeGreaterThan(3);
    for (const code of named) expect([...goCatalog.error_codes, ...own], code).toContain(code);
  });
});
