// Every unit test starts with the catalog loaded, as main.ts loads it
// before the page mounts.
import { setCatalog } from '../lib/catalog';
import { goCatalog } from './catalog';

setCatalog(goCatalog);

// jsdom has no layout, hence no ResizeObserver (bind:clientWidth uses
// one): an observer that never reports, as nothing has a size there.
if (typeof globalThis.ResizeObserver === 'undefined') {
  globalThis.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
}
