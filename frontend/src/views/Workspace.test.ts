import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import Workspace from './Workspace.svelte';
import { resetStores } from '../lib/stores';
import { episodes } from '../lib/stores/episodes.svelte';
import { EVENT_EPISODE, EVENT_STAGE } from '../lib/events';
import type { Report } from '../lib/types';
import { castView, episode, playbackView, screenTimeReport, stageEvent } from '../test/fixtures';

type Fn = (...args: unknown[]) => Promise<unknown>;

let subs: Map<string, (...d: unknown[]) => void>;
let drop: ((x: number, y: number, paths: string[]) => void) | undefined;
let go: Record<string, ReturnType<typeof vi.fn>>;

function report(): Report {
  return {
    episode_key: 'ep1',
    registry: {
      exists: true,
      path: '/data/episodes/ep1/state.json',
      video_path: '/videos/EP1.mp4',
      states: { validated: true, extracted_frames: true, detected: true, tracked: false },
      timestamps: { validated: '2026-01-01T10:00:00.000Z', detected: '2026-01-01T10:05:00.000Z', tracked: null },
    },
    jobs: [],
    artifacts: {
      dir: '/data/harvest/ep1',
      exists: true,
      files: [{ name: 'embeddings.parquet', exists: true, size_bytes: 2048, rows: 5432 }],
    },
    det_stats: { faces_detected: 5678 },
    log_tail: ['[DETECT] ep1 registry detected=true'],
  };
}

async function settle() {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
    await tick();
  }
}

beforeEach(() => {
  resetStores();
  subs = new Map();
  drop = undefined;
  go = {
    ListEpisodes: vi.fn(async () => [episode()]),
    AddVideos: vi.fn(async (paths: unknown) =>
      (paths as string[]).map((p) => episode({ key: 'ep2', title: 'EP2', video_path: p })),
    ),
    JobLogs: vi.fn(async () => [
      { time: '2026-01-01T10:00:00.000Z', level: 'INFO', job_id: 'prepare_ep1_1', stage: 'validate', line: '[VALIDATE] ep1 stage=start job_id=prepare_ep1_1' },
      { time: '2026-01-01T10:00:01.000Z', level: 'ERROR', job_id: 'prepare_ep1_1', stage: 'validate', line: '[VALIDATE] ep1 stage=end status=error' },
    ]),
    Inspect: vi.fn(async () => report()),
    RunEpisode: vi.fn(async () => 'prepare_ep1_2'),
    TakeOpenFiles: vi.fn(async (): Promise<string[] | null> => null),
  };
  window.go = { main: { App: go as unknown as Record<string, Fn> } };
  window.runtime = {
    EventsOn: (name, cb) => {
      subs.set(name, cb);
      return () => subs.delete(name);
    },
    OnFileDrop: (cb) => {
      drop = cb;
    },
  };
});

afterEach(() => {
  vi.useRealTimers();
  delete window.go;
  delete window.runtime;
});

describe('Workspace', () => {
  it('loads the snapshot, shows the episode and its six stage cards inside the drop zone', async () => {
    render(Workspace);
    await settle();
    const zone = screen.getByTestId('drop-zone');
    expect(zone.getAttribute('style')).toContain('--wails-drop-target: drop');
    expect(screen.getByTestId('episode-ep1')).toBeTruthy();
    for (const name of ['validate', 'extract', 'detect', 'track', 'cluster', 'analytics']) {
      expect(screen.getByTestId(`stage-${name}`).dataset.status).toBe('pending');
    }
    expect(go.ListEpisodes).toHaveBeenCalledTimes(1);
    window.dispatchEvent(new Event('focus'));
    await settle();
    expect(go.ListEpisodes).toHaveBeenCalledTimes(2);
  });

  it('adds the files Castscope was opened with, on load and when a later launch hands some over', async () => {
    go.TakeOpenFiles.mockImplementationOnce(async () => ['/videos/EP2.mp4']);
    render(Workspace);
    await settle();
    expect(go.AddVideos).toHaveBeenCalledExactlyOnceWith(['/videos/EP2.mp4']);
    expect(screen.getByTestId('episode-ep2').getAttribute('aria-current')).toBe('true');
    go.TakeOpenFiles.mockImplementationOnce(async () => ['/videos/EP3.mp4']);
    subs.get('castscope:open')?.();
    await settle();
    expect(go.TakeOpenFiles).toHaveBeenCalledTimes(2);
    expect(go.AddVideos).toHaveBeenLastCalledWith(['/videos/EP3.mp4']);
    expect(screen.queryByTestId('toast-error')).toBeNull();
  });

  it('a file drop registers the videos and selects the returned episode', async () => {
    render(Workspace);
    await settle();
    drop?.(10, 10, ['/videos/EP2.mp4']);
    await settle();
    expect(go.AddVideos).toHaveBeenCalledWith(['/videos/EP2.mp4']);
    expect(screen.getByTestId('episode-ep2').getAttribute('aria-current')).toBe('true');
  });

  it('Run all calls RunEpisode with all stages', async () => {
    render(Workspace);
    await settle();
    await fireEvent.click(screen.getByTestId('run-all'));
    await settle();
    expect(go.RunEpisode).toHaveBeenCalledWith('ep1', []);
  });

  it('stage events drive the cards; an error raises a toast whose View Logs opens the job log', async () => {
    render(Workspace);
    await settle();
    subs.get(EVENT_STAGE)?.(stageEvent({ status: 'running', attempt: 1, done: 40, total: 100, eta_s: 90, eta_state: 'live' }));
    await settle();
    expect(screen.getByTestId('stage-detect').dataset.status).toBe('running');
    expect(screen.getByTestId('eta').textContent).toBe('ETA ~2 min');
    subs.get(EVENT_STAGE)?.(
      stageEvent({
        name: 'validate',
        stage: 'validate',
        label: 'Validate',
        status: 'error',
        attempt: 1,
        error: { code: 'ERR_VIDEO_UNREADABLE', message: 'cannot decode', hint: 'Check the file.' },
      }),
    );
    await settle();
    expect(screen.getByTestId('stage-validate').dataset.status).toBe('error');
    const toast = screen.getByTestId('toast-error');
    expect(toast.textContent).toContain('cannot decode');
    await fireEvent.click(screen.getByTestId('view-logs'));
    await settle();
    expect(go.JobLogs).toHaveBeenCalledWith('prepare_ep1_1');
    expect(screen.getByTestId('log-lines').textContent).toContain('[VALIDATE] ep1 stage=end status=error');
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await fireEvent.click(screen.getByTestId('copy-logs'));
    await settle();
    expect(writeText).toHaveBeenCalledOnce();
    expect(String((writeText.mock.calls[0] as unknown[])[0])).toContain('[VALIDATE] ep1 stage=start');
  });

  it('episode events update the list', async () => {
    render(Workspace);
    await settle();
    subs.get(EVENT_EPISODE)?.(episode({ key: 'ep3', title: 'EP3' }));
    await settle();
    expect(screen.getByTestId('episode-ep3')).toBeTruthy();
  });

  it('the inspector is one click away and renders the report', async () => {
    render(Workspace);
    await settle();
    await fireEvent.click(screen.getByTestId('toggle-inspector'));
    await settle();
    expect(go.Inspect).toHaveBeenCalledWith('ep1');
    const insp = screen.getByTestId('inspector');
    expect(insp.textContent).toContain('detected: true');
    expect(insp.textContent).toContain('tracked: false');
    expect(screen.getByTestId('artifact-embeddings.parquet').textContent).toContain('5,432');
    expect(screen.getByTestId('log-tail').textContent).toContain('registry detected=true');
    expect(screen.getByTestId('open-data-folder')).toBeTruthy();
    expect(screen.getByTestId('export-json')).toBeTruthy();
  });

  it('dropping a known file selects the existing episode instead of adding a second one', async () => {
    go.ListEpisodes.mockImplementation(async () => [episode(), episode({ key: 'ep2', title: 'EP2' })]);
    go.AddVideos.mockImplementation(async () => [episode()]);
    render(Workspace);
    await settle();
    await fireEvent.click(screen.getByTestId('episode-ep2'));
    drop?.(1, 1, ['/videos/EP1.mp4']);
    await settle();
    expect(screen.getAllByTestId('episode-ep1')).toHaveLength(1);
    expect(screen.getByTestId('episode-ep1').getAttribute('aria-current')).toBe('true');
  });

  it('a rejected call shows a typed error toast whose View Logs shows the error; Escape closes it', async () => {
    go.AddVideos.mockImplementation(async () => {
      throw { code: 'ERR_VIDEO_UNSUPPORTED', message: 'not a video file: /tmp/notes.txt' };
    });
    render(Workspace);
    await settle();
    drop?.(1, 1, ['/tmp/notes.txt']);
    await settle();
    const toast = screen.getByTestId('toast-error');
    expect(toast.dataset.code).toBe('ERR_VIDEO_UNSUPPORTED');
    expect(toast.textContent).toContain('not a video file: /tmp/notes.txt');
    await fireEvent.click(screen.getByTestId('view-logs'));
    await settle();
    expect(screen.getByTestId('log-lines').textContent).toContain('ERR_VIDEO_UNSUPPORTED not a video file');
    await fireEvent.keyDown(window, { key: 'Escape' });
    await settle();
    expect(screen.queryByTestId('log-panel')).toBeNull();
  });

  it('an open inspector reloads when the selected episode changes state', async () => {
    render(Workspace);
    await settle();
    await fireEvent.click(screen.getByTestId('toggle-inspector'));
    await settle();
    expect(go.Inspect).toHaveBeenCalledTimes(1);
    subs.get(EVENT_STAGE)?.(stageEvent({ status: 'ok', attempt: 1, done: 10, total: 10 }));
    await new Promise((r) => setTimeout(r, 350));
    await settle();
    expect(go.Inspect).toHaveBeenCalledTimes(2);
  });

  it('shows a drop hint while files are dragged over the window', async () => {
    render(Workspace);
    await settle();
    const zone = screen.getByTestId('drop-zone');
    await fireEvent.dragEnter(zone, { dataTransfer: { types: ['Files'] } });
    expect(zone.textContent).toContain('Drop to add episodes');
    await fireEvent.drop(zone, { dataTransfer: { types: ['Files'] } });
    expect(zone.textContent).not.toContain('Drop to add episodes');
  });

  it('renders progress of one stage at most 4 times per second under an event flood', async () => {
    vi.useFakeTimers();
    render(Workspace);
    await settle();
    subs.get(EVENT_STAGE)?.(stageEvent({ status: 'running', attempt: 1, done: 0, total: 100000 }));
    await settle();
    const text = () => screen.getByTestId('progress-text').textContent;
    let renders = 0;
    let last = text();
    // 200 events per second for 2 seconds
    for (let i = 1; i <= 400; i++) {
      subs.get(EVENT_STAGE)?.(stageEvent({ status: 'running', attempt: 1, done: i, total: 100000 }));
      await vi.advanceTimersByTimeAsync(5);
      const t = text();
      if (t !== last) {
        renders++;
        last = t;
      }
    }
    expect(renders).toBeGreaterThanOrEqual(6);
    expect(renders).toBeLessThanOrEqual(8);
  });

  it('Cast, Viewer and Report tabs open only once the episode is clustered / analyzed, and say why', async () => {
    render(Workspace);
    await settle();
    const cast = screen.getByTestId('tab-cast');
    expect(screen.getByTestId('tab-pipeline').getAttribute('aria-selected')).toBe('true');
    expect(cast.getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByTestId('tab-report').getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByTestId('tab-viewer').getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByTestId('tab-why').textContent).toContain('Run the pipeline first');
    await fireEvent.click(cast);
    await settle();
    expect(cast.getAttribute('aria-selected')).toBe('false');
    expect(screen.getByTestId('stage-detect')).toBeTruthy();

    subs.get(EVENT_EPISODE)?.(episode({ states: { ...episode().states, clustered: true } }));
    await settle();
    expect(cast.getAttribute('aria-disabled')).toBe('false');
    expect(screen.getByTestId('tab-report').getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByTestId('tab-viewer').getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByTestId('tab-why').textContent).toContain('Viewer and Report open once');
  });

  it('an analysed episode opens on the viewer; tabs switch by click and by arrow keys; a re-cluster started from the Cast view keeps it open', async () => {
    const done = { validated: true, extracted_frames: true, detected: true, tracked: true, clustered: true, analyzed: true };
    go.ListEpisodes.mockImplementation(async () => [episode({ states: done })]);
    go.Cast = vi.fn(async () => castView());
    go.FaceThumbs = vi.fn(async () => ({}));
    go.Curate = vi.fn(async () => 'cluster_ep1_2');
    go.ScreenTime = vi.fn(async () => screenTimeReport());
    go.Playback = vi.fn(async () => playbackView());
    render(Workspace);
    await settle();
    expect(screen.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe('tab-viewer');
    expect(screen.getByTestId('player')).toBeTruthy();
    expect(screen.queryByTestId('stage-detect')).toBeNull();
    await fireEvent.click(screen.getByTestId('tab-cast'));
    await settle();
    expect(screen.getByTestId('cast-view')).toBeTruthy();
    expect(screen.queryByTestId('stage-detect')).toBeNull();
    expect(screen.getByRole('tabpanel').getAttribute('aria-labelledby')).toBe('tab-cast');

    await fireEvent.keyDown(screen.getByTestId('tab-cast'), { key: 'ArrowRight' });
    await settle();
    expect(screen.getByTestId('report-view')).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByTestId('tab-report'));
    expect(screen.getByTestId('tab-report').tabIndex).toBe(0);
    expect(screen.getByTestId('tab-cast').tabIndex).toBe(-1);
    await fireEvent.keyDown(screen.getByTestId('tab-report'), { key: 'End' });
    await settle();
    expect(screen.getByTestId('stage-detect')).toBeTruthy();
    await fireEvent.keyDown(screen.getByTestId('tab-pipeline'), { key: 'ArrowLeft' });
    await settle();
    expect(episodes.tab).toBe('report');

    await fireEvent.click(screen.getByTestId('tab-cast'));
    await settle();
    await fireEvent.click(screen.getAllByTestId('lock')[0]);
    await settle();
    expect(go.Curate).toHaveBeenCalledWith('ep1', { kind: 'lock', identity_id: 1 });
    // the re-cluster's cluster stage clears the clustered flag while it runs
    subs.get(EVENT_EPISODE)?.(episode({ states: { ...done, clustered: false, analyzed: false } }));
    subs.get(EVENT_STAGE)?.(stageEvent({ job_id: 'cluster_ep1_2', name: 'cluster', stage: 'cluster', status: 'running', attempt: 1 }));
    await settle();
    expect(screen.getByTestId('cast-view')).toBeTruthy();
    expect(screen.getByTestId('cast-pending')).toBeTruthy();
    subs.get(EVENT_STAGE)?.(stageEvent({ job_id: 'cluster_ep1_2', name: 'cluster', stage: 'cluster', status: 'ok', attempt: 1 }));
    subs.get(EVENT_EPISODE)?.(episode({ states: done }));
    subs.get(EVENT_STAGE)?.(stageEvent({ job_id: 'cluster_ep1_2', name: 'analytics', stage: 'analytics', status: 'ok', attempt: 1 }));
    await settle();
    expect(screen.queryByTestId('cast-pending')).toBeNull();
    // the viewer's load, the Cast tab's two opens, the reload after the re-cluster
    expect(go.Cast).toHaveBeenCalledTimes(4);
  });
});
