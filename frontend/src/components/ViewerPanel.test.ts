import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import ViewerPanel from './ViewerPanel.svelte';
import { resetStores } from '../lib/stores';
import { castView, playbackView, screenTimeReport } from '../test/fixtures';

type Fn = (...args: unknown[]) => Promise<unknown>;
let go: Record<string, ReturnType<typeof vi.fn>>;

async function settle() {
  for (let i = 0; i < 6; i++) {
    await Promise.resolve();
    await tick();
  }
}

// jsdom does not decode video: currentTime is a plain property here, and
// the overlay follows it on each animation frame.
function fakeTime(video: HTMLVideoElement) {
  let t = 0;
  Object.defineProperty(video, 'currentTime', { get: () => t, set: (v: number) => (t = v), configurable: true });
  Object.defineProperty(video, 'duration', { get: () => 100, configurable: true });
}

beforeEach(() => {
  resetStores();
  go = {
    Playback: vi.fn(async () => playbackView()),
    ScreenTime: vi.fn(async () => screenTimeReport()),
    Cast: vi.fn(async () => castView()),
    Curate: vi.fn(async () => 'cluster_ep1_2'),
  };
  window.go = { main: { App: go as unknown as Record<string, Fn> } };
});
afterEach(() => vi.useRealTimers());

describe('ViewerPanel', () => {
  it('draws the names of the faces on screen, seeks from the timeline, and renames from a box', async () => {
    render(ViewerPanel, { episodeKey: 'ep1' });
    await settle();
    const video = screen.getByTestId('player') as HTMLVideoElement;
    expect(video.getAttribute('src')).toBe('/media/ep1');
    fakeTime(video);
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    await settle();
    // At 0 s: person 1's face (the Cast view's label), not the unidentified one.
    expect(screen.getAllByTestId('face-label').map((l) => l.textContent)).toEqual(['Person 1']);

    // One lane per person plus the unidentified faces; a segment seeks to its start.
    const segs = screen.getAllByTestId('timeline-segment');
    expect(segs.map((s) => s.getAttribute('data-start'))).toEqual(['0', '30', '65', '92']);
    await fireEvent.click(segs[3]);
    expect(video.currentTime).toBeCloseTo(92.1, 5); // the first sample: half an interval (200 ms) in
    video.currentTime = 1.1;
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    await settle();
    expect(screen.getAllByTestId('face-label').map((l) => l.textContent)).toEqual(['Unidentified']);

    // Back to person 1, click the box, rename.
    video.currentTime = 0.1;
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    await settle();
    await fireEvent.click(screen.getByTestId('face-box'));
    await settle();
    const name = screen.getByTestId('face-rename') as HTMLInputElement;
    expect(name.value).toBe('Person 1');
    await fireEvent.input(name, { target: { value: 'Alex Example' } });
    await fireEvent.submit(name.closest('form')!);
    await settle();
    expect(go.Curate).toHaveBeenCalledWith('ep1', { kind: 'rename', identity_id: 1, name: 'Alex Example' });
  });

  it('keys editors know move the playhead', async () => {
    render(ViewerPanel, { episodeKey: 'ep1' });
    await settle();
    const video = screen.getByTestId('player') as HTMLVideoElement;
    fakeTime(video);
    video.pause = () => {};
    const stage = screen.getByRole('application');
    await fireEvent.keyDown(stage, { key: 'ArrowRight', shiftKey: true });
    expect(video.currentTime).toBe(1);
    await fireEvent.keyDown(stage, { key: 'ArrowRight' }); // one frame at 25 fps: into frame 26
    expect(video.currentTime).toBeCloseTo(26 / 25 + 0.02, 5);
    await fireEvent.keyDown(stage, { key: 'End' });
    expect(video.currentTime).toBe(100);
    await fireEvent.keyDown(stage, { key: 'Home' });
    expect(video.currentTime).toBe(0);
    // A typed timecode seeks into that frame.
    const tc = screen.getByTestId('timecode') as HTMLInputElement;
    await fireEvent.focus(tc);
    await fireEvent.input(tc, { target: { value: '00:00:10:05' } });
    await fireEvent.submit(tc.closest('form')!);
    expect(video.currentTime).toBeCloseTo(10.2 + 0.02, 5);
    await fireEvent.input(tc, { target: { value: '10:05' } });
    await fireEvent.submit(tc.closest('form')!);
    expect(screen.getByTestId('player-error').textContent).toContain('four fields');
  });

  it('says a proxy is being made instead of showing a black box, follows it, and stops asking when it failed or the viewer closed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const making = { ...playbackView().source, direct: false, proxy_ready: false, proxy_making: true, proxy_progress: 0.25, reason: 'HEVC in MKV: the window cannot play it; playing a 540p H.264 proxy' };
    go.Playback = vi.fn(async () => playbackView({ source: making }));
    go.MediaStatus = vi.fn(async () => ({ ...making, proxy_progress: 0.5 }));
    const { unmount } = render(ViewerPanel, { episodeKey: 'ep1' });
    await settle();
    expect(screen.getByTestId('proxy-note').textContent).toMatch(/HEVC in MKV.*making it now \(25 %\)/s);
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(screen.getByTestId('proxy-note').textContent).toContain('(50 %)');
    go.MediaStatus.mockImplementation(async () => ({ ...making, proxy_making: false, proxy_progress: 0, proxy_error: 'ffmpeg cannot read the file.' }));
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(screen.getByTestId('proxy-note').textContent).toContain('could not be made: ffmpeg cannot read the file.');
    const asked = go.MediaStatus.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(go.MediaStatus).toHaveBeenCalledTimes(asked); // a failure stops the asking

    // A viewer closed while a proxy is made asks nothing more.
    go.MediaStatus.mockImplementation(async () => ({ ...making }));
    unmount();
    render(ViewerPanel, { episodeKey: 'ep1' }).unmount();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(go.MediaStatus).toHaveBeenCalledTimes(asked);
  });
});
