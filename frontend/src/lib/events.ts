// The only module that subscribes to the Wails runtime (events and file drops).
import type { Episode, StageEvent } from './types';

export const EVENT_STAGE = 'castscope:stage';
export const EVENT_EPISODE = 'castscope:episode';
/** Files wait to be opened (command line, or a later launch handed them over): take them. */
export const EVENT_OPEN = 'castscope:open';

interface WailsRuntime {
  EventsOn?: (name: string, cb: (...data: unknown[]) => void) => (() => void) | void;
  OnFileDrop?: (cb: (x: number, y: number, paths: string[]) => void, useDropTarget: boolean) => void;
  OnFileDropOff?: () => void;
}

declare global {
  interface Window {
    runtime?: WailsRuntime;
  }
}

export interface EventHandlers {
  stage: (ev: StageEvent) => void;
  episode: (ep: Episode) => void;
  drop: (paths: string[]) => void;
  open?: () => void;
}

/** True when running inside the Wails window (or a dev build serving the runtime). */
export function hasRuntime(): boolean {
  return typeof window !== 'undefined' && !!window.runtime;
}

/** Subscribes to backend events and file drops; returns the unsubscribe function. */
export function connect(h: EventHandlers): () => void {
  const rt = typeof window !== 'undefined' ? window.runtime : undefined;
  if (!rt) return () => {};
  const offs: (() => void)[] = [];
  if (typeof rt.EventsOn === 'function') {
    const a = rt.EventsOn(EVENT_STAGE, (data) => {
      if (data && typeof data === 'object') h.stage(data as StageEvent);
    });
    if (typeof a === 'function') offs.push(a);
    const b = rt.EventsOn(EVENT_EPISODE, (data) => {
      if (data && typeof data === 'object') h.episode(data as Episode);
    });
    if (typeof b === 'function') offs.push(b);
    if (h.open) {
      const open = h.open;
      const c = rt.EventsOn(EVENT_OPEN, () => open());
      if (typeof c === 'function') offs.push(c);
    }
  }
  if (typeof rt.OnFileDrop === 'function') {
    rt.OnFileDrop((_x, _y, paths) => {
      if (Array.isArray(paths) && paths.length > 0) h.drop(paths);
    }, true);
    offs.push(() => rt.OnFileDropOff?.());
  }
  return () => offs.forEach((f) => f());
}
