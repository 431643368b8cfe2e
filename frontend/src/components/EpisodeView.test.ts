import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import EpisodeView from './EpisodeView.svelte';
import StageStrip from './StageStrip.svelte';
import { episode, stage } from '../test/fixtures';
import type { Job } from '../lib/types';

function job(over: Partial<Job> = {}): Job {
  return {
    job_id: 'prepare_ep1_1',
    episode_key: 'ep1',
    mode: 'prepare',
    created_at: '2026-01-01T00:00:00.000Z',
    finished_at: null,
    stages: [
      stage({ name: 'validate', label: 'Validate', status: 'ok', owner: 'temporal:w2' }),
      stage({ name: 'detect', label: 'Detect/Embed', status: 'running', attempt: 1, done: 5, total: 10, owner: 'temporal:w1' }),
    ],
    ...over,
  };
}

describe('EpisodeView on Temporal', () => {
  it('shows where a remote job runs and which worker runs the running stage', () => {
    render(EpisodeView, { episode: episode({ latest_job: job({ driver: 'temporal 127.0.0.1:7233/default' }) }), now: Date.now() });
    expect(screen.getByTestId('job-driver').textContent).toBe('on Temporal 127.0.0.1:7233');
    expect(screen.getByTestId('stage-detect').querySelector('[data-testid="worker"]')?.textContent).toBe('worker w1');
    expect(screen.getByTestId('stage-validate').querySelector('[data-testid="worker"]')).toBeNull();
  });

  it('names a namespace other than default', () => {
    render(EpisodeView, { episode: episode({ latest_job: job({ driver: 'temporal temporal.lan:7233/castscope' }) }), now: Date.now() });
    expect(screen.getByTestId('job-driver').textContent).toBe('on Temporal temporal.lan:7233 (castscope)');
  });

  it('shows neither for a job of this computer', () => {
    const local = job({
      stages: [stage({ name: 'detect', label: 'Detect/Embed', status: 'running', attempt: 1, done: 5, total: 10, owner: '4242@studio/1767268800#1' })],
    });
    render(EpisodeView, { episode: episode({ latest_job: local }), now: Date.now() });
    expect(screen.queryByTestId('job-driver')).toBeNull();
    expect(screen.queryByTestId('worker')).toBeNull();
    expect(screen.getByRole('region', { name: 'Episode ep1' }).textContent).not.toMatch(/Temporal|worker/);
  });
});

describe('StageStrip on Temporal', () => {
  it('names the server and the worker for a remote job only', () => {
    const stages = job().stages;
    const { unmount } = render(StageStrip, { stages, driver: 'temporal 127.0.0.1:7233/default', onopen: () => {} });
    expect(screen.getByTestId('strip-driver').textContent).toBe('on Temporal 127.0.0.1:7233');
    expect(screen.getByTestId('stage-strip').querySelector('[data-stage="detect"]')?.textContent).toContain('worker w1');
    unmount();

    render(StageStrip, { stages: job({ stages: [stage({ status: 'running', owner: '4242@studio/1#1', done: 5, total: 10 })] }).stages, onopen: () => {} });
    expect(screen.queryByTestId('strip-driver')).toBeNull();
    expect(screen.getByTestId('stage-strip').textContent).not.toContain('worker');
  });
});
