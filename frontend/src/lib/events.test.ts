import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, EVENT_EPISODE, EVENT_OPEN, EVENT_STAGE } from './events';
import { episode, stageEvent } from '../test/fixtures';

describe('events', () => {
  afterEach(() => {
    delete window.runtime;
  });

  it('does nothing without a Wails runtime', () => {
    const off = connect({ stage: vi.fn(), episode: vi.fn(), drop: vi.fn() });
    expect(() => off()).not.toThrow();
  });

  it('routes stage and episode events and file drops, and unsubscribes', () => {
    const subs = new Map<string, (...d: unknown[]) => void>();
    const offs: string[] = [];
    let dropCb: ((x: number, y: number, p: string[]) => void) | undefined;
    let useTarget: boolean | undefined;
    window.runtime = {
      EventsOn: (name, cb) => {
        subs.set(name, cb);
        return () => offs.push(name);
      },
      OnFileDrop: (cb, use) => {
        dropCb = cb;
        useTarget = use;
      },
      OnFileDropOff: () => offs.push('drop'),
    };
    const h = { stage: vi.fn(), episode: vi.fn(), drop: vi.fn() };
    const off = connect(h);
    const ev = stageEvent({ status: 'running' });
    subs.get(EVENT_STAGE)?.(ev);
    subs.get(EVENT_EPISODE)?.(episode());
    dropCb?.(1, 2, ['/a.mp4', '/b.mkv']);
    dropCb?.(1, 2, []);
    expect(h.stage).toHaveBeenCalledWith(ev);
    expect(h.episode).toHaveBeenCalledOnce();
    expect(h.drop).toHaveBeenCalledExactlyOnceWith(['/a.mp4', '/b.mkv']);
    expect(useTarget).toBe(true);
    off();
    expect(offs.sort()).toEqual([EVENT_EPISODE, EVENT_STAGE, 'drop'].sort());
  });

  it('asks the page to take the files Castscope was opened with', () => {
    const subs = new Map<string, (...d: unknown[]) => void>();
    window.runtime = { EventsOn: (name, cb) => void subs.set(name, cb) };
    const open = vi.fn();
    connect({ stage: vi.fn(), episode: vi.fn(), drop: vi.fn(), open });
    expect(open).not.toHaveBeenCalled();
    subs.get(EVENT_OPEN)?.();
    expect(open).toHaveBeenCalledOnce();
  });
});
