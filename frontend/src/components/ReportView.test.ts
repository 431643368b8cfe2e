import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import ReportView from './ReportView.svelte';
import { handleEpisodeEvent } from '../lib/stores/episodes.svelte';
import { resetStores } from '../lib/stores';
import { handleStageEvent } from '../lib/stores/jobs.svelte';
import { toasts } from '../lib/stores/toasts.svelte';
import { PALETTE, UNIDENTIFIED_COLOR } from '../lib/chartdata';
import type { Comparison } from '../lib/types';
import { episode, screenTimeReport, stageEvent } from '../test/fixtures';

type Fn = (...args: unknown[]) => Promise<unknown>;
let go: Record<string, ReturnType<typeof vi.fn>>;

async function settle() {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await tick();
  }
}

async function show() {
  handleEpisodeEvent(episode());
  render(ReportView, { episodeKey: 'ep1' });
  await settle();
}

const rgb = (hex: string) => {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
};

beforeEach(() => {
  resetStores();
  go = {
    ScreenTime: vi.fn(async () => screenTimeReport()),
    OnScreen: vi.fn(async (_k: unknown, at: unknown) => ({
      ms: Number(at) * 1000 || 42000,
      clock: '00:42',
      timecode: '00:00:42:00',
      people: [
        { identity_id: 1, label: 'Alex Example', segment: { start_ms: 30000, end_ms: 60000, start_s: 30, end_s: 60 } },
        { identity_id: 0, label: '', segment: { start_ms: 40000, end_ms: 45000, start_s: 40, end_s: 45 } },
      ],
      frame: 'data:image/jpeg;base64,frame',
      frame_index: 1260,
    })),
    CompareLogged: vi.fn(async (): Promise<Comparison[]> => [
      { name: 'Alex Example', identity_id: 1, found: true, computed_s: 50, logged_s: 49.8, diff_s: 0.2, diff_pct: 0.4, margin_s: 0.5, within: true },
      { name: 'Jordan Doe', identity_id: 2, found: true, computed_s: 25, logged_s: 30, diff_s: -5, diff_pct: -16.7, margin_s: 0.5, within: false },
      { name: 'Nobody', found: false, computed_s: 0, logged_s: 12, diff_s: 0, diff_pct: 0, margin_s: 0, within: false },
    ]),
    ExportScreenTime: vi.fn(async () => '/home/ed/ep1_screentime.edl'),
    OpenReport: vi.fn(async () => undefined),
  };
  window.go = { main: { App: go as unknown as Record<string, Fn> } };
});

afterEach(() => {
  delete window.go;
});

describe('ReportView', () => {
  it('shows the totals, the margin note and a row per person plus the unidentified faces, in the chart colours', async () => {
    await show();
    expect(go.ScreenTime).toHaveBeenCalledWith('ep1');
    const totals = screen.getByTestId('report-totals');
    expect(totals.textContent).toContain('1:40');
    expect(totals.textContent).toContain('1:20');
    expect(totals.textContent).toContain('80.0 %');
    expect(totals.textContent).toContain('default');
    expect(screen.getByTestId('margin-note').textContent).toContain('sampled every 0.50 s');
    const rows = within(screen.getByTestId('screen-time-table')).getAllByTestId(/^row-/);
    expect(rows.map((r) => r.dataset.testid)).toEqual(['row-1', 'row-2', 'row-0']);
    expect(rows[0].textContent).toContain('Alex Example');
    expect(rows[0].textContent).toContain('50.0 s');
    expect(rows[2].textContent).toContain('Unidentified');
    expect(within(rows[1]).getByTestId('profile-2').textContent).toContain('6.5 s from profiles');
    expect(within(rows[0]).queryByTestId('profile-1')).toBeNull();
    const swatch = (r: HTMLElement) => (r.querySelector('.swatch') as HTMLElement).style.background;
    expect(swatch(rows[0])).toBe(rgb(PALETTE[0]));
    expect(swatch(rows[2])).toBe(rgb(UNIDENTIFIED_COLOR));
  });

  it('degrades without a 2D canvas context: charts say so, the table carries the numbers', async () => {
    await show();
    expect(screen.getByTestId('chart-bar')).toBeTruthy();
    expect(screen.getAllByText(/Charts cannot be drawn here/)).toHaveLength(1);
    // The timeline is plain elements: it needs no canvas.
    expect(screen.getAllByTestId('timeline-segment')).toHaveLength(4);
  });

  it('the timeline is the viewer\'s: a click on a segment shows who is on screen at its start', async () => {
    await show();
    const segs = screen.getAllByTestId('timeline-segment');
    expect(segs.map((s) => [s.getAttribute('data-label'), s.getAttribute('data-start')])).toEqual([
      ['Alex Example', '0'],
      ['Alex Example', '30'],
      ['Jordan Doe', '65'],
      ['Unidentified', '92'],
    ]);
    await fireEvent.click(segs[1]);
    await settle();
    expect(go.OnScreen).toHaveBeenCalledWith('ep1', '30.25'); // the first sample: half an interval (0.5 s) in
  });

  it('previews a segment: OnScreen with its start, then the frame and who is on screen in chart colours', async () => {
    await show();
    await fireEvent.click(screen.getByTestId('preview-2'));
    await settle();
    expect(go.OnScreen).toHaveBeenCalledWith('ep1', '65.25');
    expect(screen.getByTestId('onscreen-frame').getAttribute('src')).toBe('data:image/jpeg;base64,frame');
    const people = screen.getByTestId('onscreen-people');
    expect(people.textContent).toContain('Alex Example');
    expect(people.textContent).toContain('Unidentified face');
    expect((screen.getByTestId('onscreen-at') as HTMLInputElement).value).toBe('01:05.250');
  });

  it('looks up a typed time; a time the backend cannot read is shown inline', async () => {
    await show();
    await fireEvent.input(screen.getByTestId('onscreen-at'), { target: { value: '01:05' } });
    await fireEvent.submit(screen.getByTestId('onscreen-at').closest('form')!);
    await settle();
    expect(go.OnScreen).toHaveBeenLastCalledWith('ep1', '01:05');
    // A typed timecode stays as typed (not rewritten to a clock from the start).
    await fireEvent.input(screen.getByTestId('onscreen-at'), { target: { value: '01:00:10:12' } });
    await fireEvent.submit(screen.getByTestId('onscreen-at').closest('form')!);
    await settle();
    expect((screen.getByTestId('onscreen-at') as HTMLInputElement).value).toBe('01:00:10:12');
    go.OnScreen.mockImplementation(async () => {
      throw { code: 'ERR_USAGE', message: '"99:99" is past the end (01:40).' };
    });
    await fireEvent.input(screen.getByTestId('onscreen-at'), { target: { value: '99:99' } });
    await fireEvent.submit(screen.getByTestId('onscreen-at').closest('form')!);
    await settle();
    expect(screen.getByTestId('onscreen-error').textContent).toContain('past the end');
    expect(toasts.list).toHaveLength(0);
  });

  it('compares hand-logged timings: differences in s and %, rows within the margin marked', async () => {
    await show();
    await fireEvent.input(screen.getByTestId('compare-input'), { target: { value: 'Alex Example 49.8\nJordan Doe 0:30\nNobody 12' } });
    await fireEvent.click(screen.getByTestId('compare-run'));
    await settle();
    expect(go.CompareLogged).toHaveBeenCalledWith('ep1', 'Alex Example 49.8\nJordan Doe 0:30\nNobody 12');
    const rows = screen.getAllByTestId('compare-row');
    expect(rows.map((r) => r.className.split(' ')[0])).toEqual(['within', 'off', 'missing']);
    expect(within(rows[0]).getByTestId('compare-diff').textContent).toBe('+0.2 s');
    expect(rows[0].textContent).toContain('+0.4 %');
    expect(within(rows[0]).getByTestId('compare-within').textContent).toContain('yes');
    expect(within(rows[1]).getByTestId('compare-diff').textContent).toBe('−5.0 s');
    expect(rows[1].textContent).toContain('−16.7 %');
    expect(within(rows[1]).getByTestId('compare-within').textContent).toContain('no');
    expect(rows[2].textContent).toContain('not found');
  });

  it('a bad line in the pasted timings is shown under the box', async () => {
    go.CompareLogged.mockImplementation(async () => {
      throw { code: 'ERR_USAGE', message: 'Line 2 "Jordan" has no time.', hint: 'Write NAME SECONDS, NAME MM:SS or CSV name,seconds.' };
    });
    await show();
    await fireEvent.input(screen.getByTestId('compare-input'), { target: { value: 'A 1\nJordan' } });
    await fireEvent.click(screen.getByTestId('compare-run'));
    await settle();
    expect(screen.getByTestId('compare-error').textContent).toContain('Line 2 "Jordan" has no time.');
    expect(screen.queryByTestId('compare-table')).toBeNull();
  });

  it('exports each format, optionally for one person, and opens the printable report', async () => {
    await show();
    await fireEvent.click(screen.getByTestId('export-csv'));
    await settle();
    expect(go.ExportScreenTime).toHaveBeenLastCalledWith('ep1', 'csv', '');
    expect(screen.getByTestId('export-saved').textContent).toContain('/home/ed/ep1_screentime.edl');
    const person = screen.getByTestId('export-person') as HTMLSelectElement;
    expect([...person.options].map((o) => o.value)).toEqual(['', 'Alex Example', 'Jordan Doe']);
    await fireEvent.change(person, { target: { value: 'Jordan Doe' } });
    for (const f of ['json', 'edl', 'fcpxml', 'otio', 'html']) {
      await fireEvent.click(screen.getByTestId(`export-${f}`));
      await settle();
      expect(go.ExportScreenTime).toHaveBeenLastCalledWith('ep1', f, 'Jordan Doe');
    }
    await fireEvent.click(screen.getByTestId('open-report'));
    await settle();
    expect(go.OpenReport).toHaveBeenCalledWith('ep1');
  });

  it('a name the user gave two people is one export choice, the name itself (not the chart\'s "Jane (#7)")', async () => {
    const r = screenTimeReport();
    r.people = r.people.map((p) => ({ ...p, label: 'Alex Example' }));
    go.ScreenTime.mockImplementation(async () => r);
    await show();
    const person = screen.getByTestId('export-person') as HTMLSelectElement;
    expect([...person.options].map((o) => o.value)).toEqual(['', 'Alex Example']);
  });

  it('only the newest preview is shown when lookups answer out of order', async () => {
    const answers: ((v: unknown) => void)[] = [];
    go.OnScreen.mockImplementation(() => new Promise((r) => answers.push(r)));
    await show();
    await fireEvent.click(screen.getByTestId('preview-1'));
    await fireEvent.click(screen.getByTestId('preview-2'));
    const shot = (ms: number, frame: string) => ({ ms, clock: '', timecode: '', people: [], frame });
    answers[1](shot(65000, 'data:image/jpeg;base64,newer'));
    await settle();
    answers[0](shot(0, 'data:image/jpeg;base64,older'));
    await settle();
    expect(screen.getByTestId('onscreen-frame').getAttribute('src')).toBe('data:image/jpeg;base64,newer');
    expect((screen.getByTestId('onscreen-at') as HTMLInputElement).value).toBe('01:05');
  });

  it('a canceled save dialog says nothing; a failed export raises a toast', async () => {
    go.ExportScreenTime.mockImplementationOnce(async () => '');
    await show();
    await fireEvent.click(screen.getByTestId('export-otio'));
    await settle();
    expect(screen.queryByTestId('export-saved')).toBeNull();
    go.ExportScreenTime.mockImplementationOnce(async () => {
      throw { code: 'ERR_ARTIFACT_WRITE_FAILED', message: 'cannot write /ro/x.otio' };
    });
    await fireEvent.click(screen.getByTestId('export-otio'));
    await settle();
    expect(toasts.list[0]).toMatchObject({ title: 'Exporting OTIO failed', code: 'ERR_ARTIFACT_WRITE_FAILED' });
  });

  it('reloads when analytics of the episode ends again; the comparison is made again and a merged-away export choice goes', async () => {
    await show();
    await fireEvent.input(screen.getByTestId('compare-input'), { target: { value: 'Alex Example 49.8' } });
    await fireEvent.click(screen.getByTestId('compare-run'));
    await fireEvent.change(screen.getByTestId('export-person'), { target: { value: 'Jordan Doe' } });
    await settle();
    expect(go.CompareLogged).toHaveBeenCalledTimes(1);
    go.ScreenTime.mockImplementation(async () => screenTimeReport({ people: screenTimeReport().people.slice(0, 1) }));
    handleStageEvent(stageEvent({ job_id: 'cluster_ep1_2', name: 'analytics', stage: 'analytics', label: 'Screen time', status: 'ok', attempt: 1 }));
    await settle();
    expect(go.ScreenTime).toHaveBeenCalledTimes(2);
    expect(screen.queryByTestId('row-2')).toBeNull();
    expect(go.CompareLogged).toHaveBeenCalledTimes(2);
    expect(go.CompareLogged).toHaveBeenLastCalledWith('ep1', 'Alex Example 49.8');
    expect((screen.getByTestId('export-person') as HTMLSelectElement).value).toBe('');
    await fireEvent.click(screen.getByTestId('export-csv'));
    await settle();
    expect(go.ExportScreenTime).toHaveBeenLastCalledWith('ep1', 'csv', '');
  });

  it('says to run the pipeline when there is no report yet', async () => {
    go.ScreenTime.mockImplementation(async () => {
      throw { code: 'ERR_ARTIFACT_MISSING', message: 'screentime.json is missing' };
    });
    await show();
    expect(screen.getByTestId('report-view').textContent).toContain('run the pipeline first');
  });
});
