import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import EpisodeList from './EpisodeList.svelte';
import { episode, stage } from '../test/fixtures';

type Fn = (...args: unknown[]) => Promise<unknown>;

afterEach(() => {
  delete window.go;
});

describe('EpisodeList', () => {
  it('shows the poster frame once frames are extracted, initials before', async () => {
    const thumbnail = vi.fn(async (key: unknown) => (key === 'done_s01_e01' ? 'data:image/jpeg;base64,AAAA' : ''));
    window.go = { main: { App: { Thumbnail: thumbnail as unknown as Fn } } };
    const done = episode({
      key: 'done_s01_e01',
      title: 'Done',
      states: { validated: true, extracted_frames: true, detected: false, tracked: false, clustered: false, analyzed: false },
    });
    const fresh = episode({ key: 'fresh_s01_e02', title: 'Fresh' });
    render(EpisodeList, { props: { episodes: [done, fresh], selectedKey: null, onselect: () => {} } });
    await waitFor(() => {
      const img = screen.getByTestId('episode-done_s01_e01').querySelector('img');
      expect(img?.getAttribute('src')).toBe('data:image/jpeg;base64,AAAA');
    });
    expect(thumbnail).toHaveBeenCalledTimes(1); // not asked for the episode without frames
    expect(screen.getByTestId('episode-fresh_s01_e02').querySelector('img')).toBeNull();
    expect(screen.getByTestId('episode-fresh_s01_e02').textContent).toContain('FR');
  });

  it('shows a file being read before its episode exists', () => {
    render(EpisodeList, { props: { episodes: [], selectedKey: null, onselect: () => {}, adding: ['/videos/Long_S01E01.mp4'] } });
    const row = screen.getByTestId('adding');
    expect(row.textContent).toContain('Long_S01E01.mp4');
    expect(row.textContent).toContain('Reading the file');
    expect(screen.queryByText(/No episodes yet/)).toBeNull();
  });

  it('calls a canceled job canceled, and names the stage that really failed', () => {
    const canceled = episode({
      key: 'c_s01_e01',
      latest_job: {
        job_id: 'j1', episode_key: 'c_s01_e01', mode: 'full', created_at: '', finished_at: '',
        stages: [
          stage({ name: 'validate', label: 'Validate', status: 'ok' }),
          stage({ name: 'extract', label: 'Extract frames', status: 'canceled', error: { code: 'ERR_CANCELED', message: 'The job was canceled.' } }),
        ],
      },
    });
    const failed = episode({
      key: 'f_s01_e01',
      latest_job: {
        job_id: 'j2', episode_key: 'f_s01_e01', mode: 'full', created_at: '', finished_at: '',
        stages: [
          stage({ name: 'validate', label: 'Validate', status: 'error', error: { code: 'ERR_VIDEO_UNREADABLE', message: 'Not a video.' } }),
          stage({ name: 'extract', label: 'Extract frames', status: 'canceled', error: { code: 'ERR_CANCELED', message: 'Not run because the validate stage failed.' } }),
        ],
      },
    });
    render(EpisodeList, { props: { episodes: [canceled, failed], selectedKey: null, onselect: () => {} } });
    expect(screen.getByTestId('episode-c_s01_e01').textContent).toContain('Canceled');
    expect(screen.getByTestId('episode-f_s01_e01').textContent).toContain('❌ Validate failed');
  });
});
