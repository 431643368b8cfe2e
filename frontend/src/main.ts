import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { api } from './lib/api';
import { loadCatalog } from './lib/catalog';
import { runWindowCheck } from './lib/windowcheck';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app element');

// The stages, defaults and presets come from the backend (lib/catalog.ts):
// read them before the page shows any. Without a backend the page still
// mounts and says it is not connected.
await loadCatalog(api.catalog).catch((err: unknown) => console.error('castscope: catalog:', err));

export default mount(App, { target });

void runWindowCheck();
