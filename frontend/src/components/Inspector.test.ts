import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import Inspector from './Inspector.svelte';
import type { Report } from '../lib/types';
import { stage } from '../test/fixtures';

function report(): Report {
  return {
    episode_key: 'rhobh_s05_e03',
    registry: {
      exists: true,
      path: '/d/episodes/rhobh_s05_e03/state.json',
      video_path: '/v/RHOBH_S05_E03.mp4',
      states: { detected: true, validated: true, tracked: false, extracted_frames: true },
      timestamps: { validated: '2025-11-06T22:10:02.123Z', detected: '2025-11-06T22:15:30.123Z', tracked: null },
    },
    jobs: [
      {
        job_id: 'prepare_rhobh_s05_e03_1',
        episode_key: 'rhobh_s05_e03',
        mode: 'prepare',
        created_at: '2025-11-06T22:10:00.000Z',
        finished_at: '2025-11-06T22:15:31.000Z',
        stages: [
          { ...stage({ status: 'ok', attempt: 1, result: { faces_detected: 5678 } }), progress: { done: 1234, total: 1234 } },
          stage({ name: 'track', label: 'Track', status: 'error', attempt: 3, error: { code: 'ERR_INTERNAL', message: 'boom' } }),
        ],
      },
    ],
    artifacts: {
      dir: '/d/harvest/rhobh_s05_e03',
      exists: true,
      files: [
        { name: 'manifest.parquet', exists: true, size_bytes: 1536, rows: 1234 },
        { name: 'tracks.parquet', exists: false, size_bytes: 0, rows: null },
      ],
    },
    det_stats: { frames_processed: 1234 },
    log_tail: ['[DETECT] rhobh_s05_e03 stage=end status=ok frames=1234 faces=5678'],
  };
}

describe('Inspector', () => {
  it('renders registry states in pipeline order with timestamps, jobs, artifacts, stats and log tail', async () => {
    const onopenfolder = vi.fn();
    const onexport = vi.fn();
    render(Inspector, { report: report(), episodeKey: 'rhobh_s05_e03', onopenfolder, onexport });
    const states = [...screen.getByTestId('registry-states').querySelectorAll('li')].map((li) => li.querySelector('.mono')?.textContent);
    expect(states).toEqual(['validated: true', 'extracted_frames: true', 'detected: true', 'tracked: false']);
    expect(screen.getByTestId('registry-detected').textContent).toMatch(/2025-11-0[67] \d\d:\d\d:30/);
    expect(screen.getByTestId('inspector-stage-detect').textContent).toContain('1,234/1,234');
    expect(screen.getByTestId('inspector').textContent).toContain('faces_detected: 5,678');
    expect(screen.getByTestId('inspector').textContent).toContain('ERR_INTERNAL boom');
    expect(screen.getByTestId('artifact-manifest.parquet').textContent).toContain('1.5 KiB');
    expect(screen.getByTestId('artifact-manifest.parquet').textContent).toContain('1,234');
    expect(screen.getByTestId('artifact-tracks.parquet').textContent).toContain('❌');
    expect(screen.getByTestId('inspector').textContent).toContain('frames_processed');
    expect(screen.getByTestId('log-tail').textContent).toContain('status=ok');
    await fireEvent.click(screen.getByTestId('open-data-folder'));
    await fireEvent.click(screen.getByTestId('export-json'));
    expect(onopenfolder).toHaveBeenCalledOnce();
    expect(onexport).toHaveBeenCalledOnce();
  });

  it('shows the curation log in effect and whether the identities show it yet', () => {
    const r = report();
    r.curation = { ops: ['Rename to "Kyle"', 'Lock a person'], applied: false, clustered: true, show: 'rhobh', headshots: 1, names: [] };
    render(Inspector, { report: r, episodeKey: 'rhobh_s05_e03' });
    const c = screen.getByTestId('inspector-curation');
    expect([...c.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['Rename to "Kyle"', 'Lock a person']);
    expect(c.textContent).toContain('Not applied yet');
    expect(c.textContent).toContain('Cast list of “rhobh”: 1 headshot');
  });

  it('tells a stage whose process is gone from a running one', () => {
    const r = report();
    r.jobs[0].finished_at = null;
    r.jobs[0].stages[1] = {
      ...stage({ name: 'track', label: 'Track', status: 'running', attempt: 1 }),
      interrupted: { pid: 1234, message: 'process 1234 is gone; resumes on the next run' },
    };
    render(Inspector, { report: r, episodeKey: 'rhobh_s05_e03' });
    expect(screen.getByTestId('inspector-stage-track').textContent).toContain('running → interrupted');
    expect(screen.getByTestId('inspector-interrupted-track').textContent).toContain('process 1234 is gone; resumes on the next run');
    expect(screen.getByTestId('inspector-stage-detect').textContent).not.toContain('interrupted');
  });

  it('asks for a selection when no episode is selected', () => {
    render(Inspector, { report: null, episodeKey: null });
    expect(screen.getByTestId('inspector').textContent).toContain('Select an episode');
  });
});
