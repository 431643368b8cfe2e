// The backend's catalog as the bindings build writes it (make bindings):
// the unit tests run with Go's stages, defaults and codes, not a copy.
import catalog from '../lib/wailsjs/catalog.json';
import type { Catalog } from '../lib/types';

export const goCatalog: Catalog = catalog;
