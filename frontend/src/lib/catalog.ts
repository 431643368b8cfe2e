// The backend's catalog (App.Catalog, backend/service/catalog.go): the
// pipeline's stages in order with their labels and registry flags, the
// settings' defaults and presets, and the error codes. main.ts loads it
// once before the page mounts; the lists below are filled in place then,
// so modules that import them read Go's values, never a copy of their own.
import type { Catalog, CatalogStage } from './types';

/** The stages in the runner's order. */
export const STAGES: CatalogStage[] = [];
/** The registry flag each stage sets when it succeeds, in stage order. */
export const REGISTRY_STATES: string[] = [];
export const DETECT_PRESETS: string[] = [];
export const SCREENTIME_PRESETS: string[] = [];
export const ERROR_CODES: string[] = [];
/** The settings a fresh data folder runs with (empty until loaded). */
export const DEFAULTS = {} as Catalog['defaults'];
export const limits = { minSampleFPS: 0 };

let loaded: Promise<void> | null = null;

/** Fills the lists from a catalog (loadCatalog's, or a test's). */
export function setCatalog(c: Catalog): void {
  const fill = <T>(into: T[], from: T[] | null | undefined) => into.splice(0, into.length, ...(from ?? []));
  fill(STAGES, c.stages);
  fill(REGISTRY_STATES, (c.stages ?? []).map((s) => s.flag));
  fill(DETECT_PRESETS, c.detect_presets);
  fill(SCREENTIME_PRESETS, c.screentime_presets);
  fill(ERROR_CODES, c.error_codes);
  for (const k of Object.keys(DEFAULTS)) delete (DEFAULTS as unknown as Record<string, unknown>)[k];
  Object.assign(DEFAULTS, c.defaults ?? {});
  limits.minSampleFPS = c.min_sample_fps ?? 0;
}

/** Reads the catalog once with read (api.catalog); later calls share the
 * first. Without a backend the lists stay empty (the page says it is not
 * connected) and a later call tries again. */
export function loadCatalog(read: () => Promise<Catalog>): Promise<void> {
  loaded ??= read().then(setCatalog, (err: unknown) => {
    loaded = null;
    throw err;
  });
  return loaded;
}

/** The label users see for a stage ("Detect/Embed"); the name if unknown. */
export function stageLabel(name: string): string {
  return STAGES.find((s) => s.name === name)?.label ?? name;
}
