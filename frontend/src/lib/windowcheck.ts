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
  if (!(await api.windowCheckWanted().catch(() => false))) return;
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
