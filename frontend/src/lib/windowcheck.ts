// The window's playback check (app_windowcheck.go): when the app asks for
// it, play the first registered episode's video through /media/{key} and
// report what the engine did. Never throws; a page without a backend or a
// run without the check does nothing.
import { api } from './api';

const WAIT_MS = 30_000;

function until<T>(what: () => Promise<T | null>, ms: number): Promise<T | null> {
  const end = Date.now() + ms;
  return (async () => {
    while (Date.now() < end) {
      const v = await what().catch(() => null);
      if (v) return v;
      await new Promise((r) => setTimeout(r, 250));
    }
    return null;
  })();
}

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

export async function runWindowCheck(): Promise<void> {
  if (!(await api.windowCheckWanted().catch(() => false))) return;
  const ep = await until(async () => (await api.listEpisodes())[0] ?? null, WAIT_MS);
  const key = ep?.key ?? '';
  const url = key ? await api.mediaURL(key).catch(() => `/media/${key}`) : '';
  const result = { key, url, ready_state: 0, video_width: 0, video_height: 0, duration_s: 0, seek_ms: 0, error: key ? '' : 'no episode registered' };
  if (key) {
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'auto';
    v.style.cssText = 'position:fixed;width:2px;height:2px;opacity:0;pointer-events:none';
    document.body.appendChild(v);
    v.src = url;
    result.error = await once(v, 'loadeddata', WAIT_MS);
    if (!result.error) {
      const t0 = performance.now();
      v.currentTime = Math.max(0, (v.duration || 0) / 2);
      result.error = await once(v, 'seeked', WAIT_MS);
      result.seek_ms = performance.now() - t0;
    }
    Object.assign(result, { ready_state: v.readyState, video_width: v.videoWidth, video_height: v.videoHeight, duration_s: v.duration || 0 });
    v.remove();
  }
  await api.windowCheckDone(result).catch((e: unknown) => console.error('castscope: window check:', e));
}
