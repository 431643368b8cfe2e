import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import StageCard from './StageCard.svelte';
import { stage } from '../test/fixtures';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');

function card() {
  return screen.getByTestId('stage-detect');
}

describe('StageCard', () => {
  it('pending shows the pause icon and the label', () => {
    render(StageCard, { stage: stage() });
    expect(card().dataset.status).toBe('pending');
    expect(card().querySelector('h3')?.textContent?.trim()).toBe('⏸️ Detect/Embed');
    expect(screen.queryByTestId('progress')).toBeNull();
    expect(screen.queryByTestId('eta')).toBeNull();
  });

  it('running with a live ETA shows ETA text, progress bar and rate', () => {
    render(StageCard, {
      stage: stage({ status: 'running', attempt: 1, done: 250, total: 1000, rate: 12.34, eta_s: 600, eta_state: 'live' }),
    });
    expect(card().dataset.status).toBe('running');
    expect(card().querySelector('h3')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('⏳ Detect/Embed – ETA ~10 min');
    expect(screen.getByTestId('eta').textContent).toBe('ETA ~10 min');
    const bar = screen.getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('250');
    expect(bar.getAttribute('aria-valuemax')).toBe('1000');
    expect(screen.getByTestId('progress-text').textContent).toContain('25%');
    expect(screen.getByTestId('rate').textContent).toBe('12.3 frames/s');
    expect(card().textContent).not.toContain('learning');
    expect(card().textContent).not.toContain('from history');
  });

  it('running with an ETA learned from history says so', () => {
    render(StageCard, { stage: stage({ status: 'running', done: 10, total: 100, eta_s: 5400, eta_state: 'history' }) });
    expect(screen.getByTestId('eta').textContent).toBe('ETA ~1 h 30 min');
    expect(screen.getByTestId('eta').dataset.etaState).toBe('history');
    expect(card().textContent).toContain('from history');
  });

  it('shows "learning ETA…" only while the engine is learning', () => {
    render(StageCard, { stage: stage({ status: 'running', done: 3, total: 100, eta_s: null, eta_state: 'learning' }) });
    expect(screen.getByTestId('eta').textContent).toBe('learning ETA…');
  });

  it('does not say learning when the ETA state is empty', () => {
    render(StageCard, { stage: stage({ status: 'running', done: 3, total: 0, eta_s: null, eta_state: '' }) });
    expect(card().textContent).not.toContain('learning');
    expect(card().querySelector('h3')?.textContent?.trim()).toBe('⏳ Detect/Embed');
    // unknown total: indeterminate bar without aria-valuenow
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBeNull();
  });

  it('slow running stage carries a slow badge and note', () => {
    render(StageCard, { stage: stage({ status: 'running', done: 3, total: 100, eta_s: 120, eta_state: 'live', slow: true }) });
    expect(screen.getByTestId('slow')).toBeTruthy();
    expect(card().textContent).toContain('slower than usual');
  });

  it('stalled stage shows the error wording and a stalled marker', () => {
    render(StageCard, {
      stage: stage({
        status: 'error',
        attempt: 1,
        heartbeat_at: '2026-01-01T11:50:00.000Z',
        error: { code: 'ERR_STAGE_STALLED', message: 'no progress for 300 s', hint: 'The stage will be retried.' },
      }),
    });
    expect(card().dataset.status).toBe('error');
    expect(card().querySelector('h3')?.textContent?.trim()).toBe('❌ Detect/Embed failed: no progress for 300 s');
    expect(screen.getByTestId('stalled')).toBeTruthy();
    expect(screen.getByTestId('stalled-text').textContent).toContain('No progress since');
    expect(card().classList.contains('stalled')).toBe(true);
  });

  it('retrying stage shows attempt N of M and a countdown to the next retry', () => {
    render(StageCard, {
      now: NOW,
      stage: stage({
        status: 'retrying',
        attempt: 2,
        max_attempts: 3,
        next_retry_at: '2026-01-01T12:00:30.000Z',
        error: { code: 'ERR_STAGE_CRASHED', message: 'The worker process died of SIGSEGV.', hint: 'Castscope retries it.' },
      }),
    });
    expect(card().dataset.status).toBe('retrying');
    expect(card().querySelector('h3')?.textContent?.trim()).toBe('🔁 Detect/Embed will retry after: The worker process died of SIGSEGV.');
    const info = screen.getByTestId('retry-info').textContent ?? '';
    expect(info).toContain('attempt 2 of 3');
    expect(info).toContain('next retry in 30 s');
    expect(card().textContent).toContain('ERR_STAGE_CRASHED');
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('canceled is not a failure: the reason, and Retry', async () => {
    const onretry = vi.fn();
    render(StageCard, {
      onretry,
      stage: stage({ status: 'canceled', error: { code: 'ERR_CANCELED', message: 'Not run because the validate stage failed.' } }),
    });
    expect(card().dataset.status).toBe('canceled');
    expect(card().querySelector('h3')?.textContent?.trim()).toBe('⏹️ Detect/Embed canceled: Not run because the validate stage failed.');
    expect(card().textContent).not.toContain('failed:');
    await fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onretry).toHaveBeenCalledOnce();
  });

  it('retry countdown follows the clock', async () => {
    const { rerender } = render(StageCard, {
      now: NOW,
      stage: stage({ status: 'retrying', attempt: 2, max_attempts: 3, next_retry_at: '2026-01-01T12:02:00.000Z' }),
    });
    expect(screen.getByTestId('retry-info').textContent).toContain('in 2 min');
    await rerender({ now: NOW + 110_000 });
    expect(screen.getByTestId('retry-info').textContent).toContain('in 10 s');
  });

  it('ok shows complete and the result numbers', () => {
    render(StageCard, {
      stage: stage({ status: 'ok', attempt: 1, result: { faces_detected: 5678, embeddings_computed: 5432 } }),
    });
    expect(card().dataset.status).toBe('ok');
    expect(card().querySelector('h3')?.textContent?.trim()).toBe('✅ Detect/Embed complete');
    const result = screen.getByTestId('result').textContent ?? '';
    expect(result).toContain('faces detected');
    expect(result).toContain('5,678');
    expect(result).toContain('embeddings computed');
    expect(result).toContain('5,432');
  });

  it('error shows the message, the hint and the code, with Retry', async () => {
    const onretry = vi.fn();
    render(StageCard, {
      onretry,
      stage: stage({
        status: 'error',
        attempt: 1,
        error: { code: 'ERR_MODEL_MISSING', message: 'Cannot load model', hint: 'Clear the models folder to use the built-in models.' },
      }),
    });
    expect(card().querySelector('h3')?.textContent?.trim()).toBe('❌ Detect/Embed failed: Cannot load model');
    expect(screen.getByTestId('hint').textContent).toBe('Clear the models folder to use the built-in models.');
    expect(card().textContent).toContain('ERR_MODEL_MISSING');
    await fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onretry).toHaveBeenCalledOnce();
  });

  it('skipped shows the skip icon and the reason', () => {
    render(StageCard, { stage: stage({ status: 'skipped', skip_reason: 'not built yet' }) });
    expect(card().dataset.status).toBe('skipped');
    expect(card().querySelector('h3')?.textContent?.trim()).toBe('⏩ Detect/Embed (skipped)');
    expect(screen.getByTestId('skip-reason').textContent).toBe('not built yet');
  });

  it('stale stage carries a stale badge', () => {
    render(StageCard, { stage: stage({ status: 'ok', stale: true, result: { faces_detected: 1 } }) });
    expect(screen.getByTestId('stale').textContent).toBe('stale');
  });

  it('fresh stage has no stale badge', () => {
    render(StageCard, { stage: stage({ status: 'ok' }) });
    expect(screen.queryByTestId('stale')).toBeNull();
  });

  it('running stage offers Cancel; idle stage offers Run from here', async () => {
    const oncancel = vi.fn();
    const onrun = vi.fn();
    const { rerender } = render(StageCard, {
      oncancel,
      onrun,
      canRun: false,
      stage: stage({ status: 'running', done: 1, total: 2, eta_s: 10, eta_state: 'live' }),
    });
    expect(screen.queryByRole('button', { name: 'Run from here' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(oncancel).toHaveBeenCalledOnce();
    await rerender({ canRun: true, stage: stage({ status: 'ok' }) });
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Run from here' }));
    expect(onrun).toHaveBeenCalledOnce();
  });

  it('names the Temporal worker of a running remote stage, and nothing for a local one', () => {
    const { unmount } = render(StageCard, { stage: stage({ status: 'running', attempt: 1, done: 5, total: 10, owner: 'temporal:w1' }) });
    expect(screen.getByTestId('worker').textContent).toBe('worker w1');
    unmount();

    const local = render(StageCard, { stage: stage({ status: 'running', attempt: 1, done: 5, total: 10, owner: '4242@studio/1767268800#1' }) });
    expect(screen.queryByTestId('worker')).toBeNull();
    expect(card().textContent).not.toContain('worker');
    local.unmount();

    // Once the stage has ended the worker is history, not news.
    render(StageCard, { stage: stage({ status: 'ok', owner: 'temporal:w1' }) });
    expect(screen.queryByTestId('worker')).toBeNull();
  });
});
