// The window's playback check (app_windowcheck.go): when the app asks for
// it, play every registered episode's video from the URL the viewer uses
// and report what the engine did. Never throws; a page without a backend or a
// run without the check does nothing.
import { api } from './api';

const WAIT_MS = 30_000;

function once(el: HTMLMediaElement, ok: string, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      el.removeEventListener(ok, onOk);
      el.removeEventListener('error', onErr);
      clearTimeout(timer);
      resolve(why);
    };
    const onOk = () => done('');
    const onErr = () => done(`media error ${el.error?.code ?? '?'}: ${el.error?.message || 'no message'}`);
    const timer = setTimeout(() => done(`no ${ok} within ${ms} ms (readyState ${el.readyState}, networkState ${el.networkState})`), ms);
    el.addEventListener(ok, onOk);
    el.addEventListener('error', onErr);
  });
}

type Result = Parameters<typeof api.windowCheckDone>[0][number];

async function play(key: string): Promise<Result> {
  const url = await api.mediaURL(key).catch(() => `/media/${key}`);
  const r: Result = { key, url, ready_state: 0, video_width: 0, video_height: 0, duration_s: 0, seek_ms: 0, seeks_ms: [], error: '' };
  const v = document.createElement('video');
  v.muted = true;
  v.preload = 'auto';
  v.style.cssText = 'position:fixed;width:2px;height:2px;opacity:0;pointer-events:none';
  document.body.appendChild(v);
  v.src = url;
  // A proxy is made on the first request: allow for it.
  r.error = await once(v, 'loadeddata', 4 * WAIT_MS);
  // Seeks to the middle and two other places; seek_ms is the median.
  const times: number[] = [];
  for (const frac of [0.5, 0.13, 0.91]) {
    if (r.error) break;
    const t0 = performance.now();
    v.currentTime = Math.max(0, (v.duration || 0) * frac);
    r.error = await once(v, 'seeked', WAIT_MS);
    if (!r.error && v.readyState < 2) r.error = await once(v, 'canplay', WAIT_MS);
    times.push(performance.now() - t0);
  }
  r.seeks_ms = times;
  r.seek_ms = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
  Object.assign(r, { ready_state: v.readyState, video_width: v.videoWidth, video_height: v.videoHeight, duration_s: v.duration || 0 });
  v.removeAttribute('src');
  v.load();
  v.remove();
  return r;
}

/** Plays every registered episode once the list has stopped growing (files
 * named on the command line are added one by one), then reports. */
export async function runWindowCheck(): Promise<void> {
  const mode = await api.windowCheckWanted().catch(() => '');
  if (!mode) return;
  if (mode === 'viewer') {
    await api.windowCheckViewerDone(await viewerFlow('Window Named')).catch((e: unknown) => console.error('castscope: window check:', e));
    return;
  }
  let keys: string[] = [];
  let stableSince = Date.now();
  const end = Date.now() + WAIT_MS;
  while (Date.now() < end) {
    const now = (await api.listEpisodes().catch(() => [])).map((e) => e.key).sort();
    if (now.join() !== keys.join()) {
      keys = now;
      stableSince = Date.now();
    } else if (keys.length > 0 && Date.now() - stableSince > 3000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const results: Result[] = [];
  for (const key of keys) results.push(await play(key));
  await api.windowCheckDone(results).catch((e: unknown) => console.error('castscope: window check:', e));
}

/** What the viewer flow did in the window, step by step. */
export interface ViewerFlow {
  key: string;
  ready_state: number;
  segment_label: string;
  segment_start: number;
  current_time: number;
  label_drawn: boolean;
  renamed_in_overlay: boolean;
  renamed_in_cast: boolean;
  error: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, ms: number, f: () => T | null | undefined | false): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(100);
  }
}

const labels = () => [...document.querySelectorAll('[data-testid="face-label"]')].map((l) => l.textContent?.trim() ?? '');

/** The viewer as an editor uses it, in the window itself: once an episode
 * is analysed, open it on the viewer, click a person's timeline segment,
 * check the playhead and the name on the face there, rename the person
 * from that face's box, and check the overlay and the Cast view follow. */
export async function viewerFlow(newName: string): Promise<ViewerFlow> {
  const { episodes, select, setTab } = await import('./stores/episodes.svelte');
  const r: ViewerFlow = { key: '', ready_state: 0, segment_label: '', segment_start: 0, current_time: 0, label_drawn: false, renamed_in_overlay: false, renamed_in_cast: false, error: '' };
  try {
    const ep = await waitFor('an analysed episode', 240_000, () => episodes.list.find((e) => e.states?.analyzed));
    r.key = ep.key;
    select(ep.key);
    setTab('viewer');
    const video = await waitFor('the player', 30_000, () => document.querySelector<HTMLVideoElement>('[data-testid="player"]'));
    await waitFor('a decoded frame', 30_000, () => video.readyState >= 2);
    r.ready_state = video.readyState;
    const seg = await waitFor('a person\'s segment', 10_000, () => document.querySelector<HTMLElement>('[data-testid="timeline-segment"]:not([data-person="0"])'));
    r.segment_label = seg.dataset.label ?? '';
    r.segment_start = Number(seg.dataset.start);
    seg.click();
    await waitFor('the seek', 10_000, () => !video.seeking && Math.abs(video.currentTime - r.segment_start) <= 0.5);
    r.current_time = video.currentTime;
    await waitFor(`"${r.segment_label}" on a face`, 5_000, () => labels().includes(r.segment_label));
    r.label_drawn = true;
    const box = [...document.querySelectorAll<HTMLElement>('[data-testid="face-box"]')].find((b) => b.textContent?.trim() === r.segment_label);
    box?.click();
    const input = await waitFor('the rename field', 5_000, () => document.querySelector<HTMLInputElement>('[data-testid="face-rename"]'));
    input.value = newName;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.form?.requestSubmit();
    await waitFor(`"${newName}" on a face`, 120_000, () => {
      const s = document.querySelector<HTMLElement>(`[data-testid="timeline-segment"][data-label="${CSS.escape(newName)}"]`);
      s?.click();
      return s && labels().includes(newName);
    });
    r.renamed_in_overlay = true;
    setTab('cast');
    await waitFor(`"${newName}" in the Cast view`, 30_000, () =>
      [...document.querySelectorAll('[data-testid="person-name"]')].some((el) => el.textContent?.trim() === newName),
    );
    r.renamed_in_cast = true;
  } catch (e) {
    r.error = e instanceof Error ? e.message : String(e);
  }
  return r;
}
