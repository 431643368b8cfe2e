// Every unit test starts with the catalog loaded, as main.ts loads it
// before the page mounts.
import { setCatalog } from '../lib/catalog';
import { goCatalog } from './catalog';

setCatalog(goCatalog);
