import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import CastView from './CastView.svelte';
import { handleEpisodeEvent } from '../lib/stores/episodes.svelte';
import { resetStores } from '../lib/stores';
import { handleStageEvent, jobs } from '../lib/stores/jobs.svelte';
import { toasts } from '../lib/stores/toasts.svelte';
import type { CastView as Cast, CurateRequest } from '../lib/types';
import { castView, episode, stage, stageEvent } from '../test/fixtures';

type Fn = (...args: unknown[]) => Promise<unknown>;
let go: Record<string, ReturnType<typeof vi.fn>>;
let cast: Cast;

const ep = () => episode({ states: { validated: true, extracted_frames: true, detected: true, tracked: true, clustered: true, analyzed: true } });

async function settle() {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await tick();
  }
}

async function show() {
  handleEpisodeEvent(ep());
  render(CastView, { episodeKey: 'ep1' });
  await settle();
}

function curated(): CurateRequest[] {
  return go.Curate.mock.calls.map((c) => c[1] as CurateRequest);
}

function endRecluster(job = 'cluster_ep1_2') {
  for (const stage of ['cluster', 'analytics']) {
    handleStageEvent(stageEvent({ job_id: job, name: stage, stage, label: stage, status: 'ok', attempt: 1 }));
  }
}

beforeEach(() => {
  resetStores();
  cast = castView();
  go = {
    Cast: vi.fn(async () => cast),
    FaceThumbs: vi.fn(async (_k: unknown, ids: unknown) =>
      Object.fromEntries((ids as number[]).map((id) => [String(id), `data:image/jpeg;base64,${id}`])),
    ),
    Curate: vi.fn(async () => 'cluster_ep1_2'),
    UndoCuration: vi.fn(async () => 'cluster_ep1_3'),
    RunEpisode: vi.fn(async () => 'cluster_ep1_4'),
    CatchUpCast: vi.fn(async () => 'cluster_ep1_5'),
    ChooseHeadshots: vi.fn(async () => []),
    RenameHeadshot: vi.fn(async () => undefined),
    RemoveHeadshot: vi.fn(async () => undefined),
  };
  window.go = { main: { App: go as unknown as Record<string, Fn> } };
});

afterEach(() => {
  delete window.go;
});

describe('CastView', () => {
  it('shows a card per person with its face thumbnail, time, share, lock badge and facebank match', async () => {
    await show();
    expect(go.Cast).toHaveBeenCalledWith('ep1');
    const cards = screen.getAllByTestId(/^person-\d+$/);
    expect(cards.map((c) => within(c).getByTestId('person-name').textContent)).toEqual(['Person 1', 'Jordan Doe', 'Person 3']);
    // thumbnails of the cards and the review strip go out in one batch
    expect(go.FaceThumbs).toHaveBeenCalledTimes(1);
    expect([...(go.FaceThumbs.mock.calls[0][1] as number[])].sort()).toEqual([11, 12, 21, 22, 31]);
    const first = screen.getByTestId('person-1');
    expect(within(first).getByTestId('person-thumb').getAttribute('src')).toBe('data:image/jpeg;base64,11');
    expect(within(first).getByTestId('person-time').textContent).toContain('1:03');
    expect(first.textContent).toContain('25.0 %');
    expect(within(first).queryByTestId('lock-badge')).toBeNull();
    const jordan = screen.getByTestId('person-2');
    expect(within(jordan).getByTestId('lock-badge')).toBeTruthy();
    expect(within(jordan).getByTestId('facebank-match').textContent).toContain('Jordan Doe 0.71');
    expect(within(jordan).getByTestId('lock').textContent).toBe('Unlock');
    expect(screen.getByTestId('unidentified').textContent).toContain('2 tracks');
  });

  it('offers a name below the naming bar with its evidence; Confirm renames the person; profile time is shown', async () => {
    const c = castView();
    c.people[0] = { ...c.people[0], suggestion: { name: 'Sam Roe', file: 'sam_roe.jpg', score: 0.27, margin: 0.11, next: 'Jordan Doe' }, profile_s: 2.4 };
    cast = c;
    await show();
    const first = screen.getByTestId('person-1');
    const offer = within(first).getByTestId('name-suggestion');
    expect(offer.textContent).toContain('May be Sam Roe');
    expect(offer.textContent).toContain('0.27, margin 0.11');
    expect(offer.getAttribute('title')).toContain('sam_roe.jpg');
    expect(within(first).getByTestId('profile-time').textContent).toContain('2.4 s of it from profile faces');
    expect(within(screen.getByTestId('person-2')).queryByTestId('name-suggestion')).toBeNull();
    expect(within(screen.getByTestId('person-2')).getByTestId('facebank-match').getAttribute('title')).toContain('jordan_doe.jpg matches 0.71');
    await fireEvent.click(within(first).getByTestId('confirm-suggestion'));
    await settle();
    expect(curated()).toEqual([{ kind: 'rename', identity_id: 1, name: 'Sam Roe' }]);
  });

  it('Undo is disabled with nothing to undo; otherwise it names the last operation and undoes it', async () => {
    await show();
    expect((screen.getByTestId('undo') as HTMLButtonElement).disabled).toBe(true);
    cast = castView({ can_undo: true, last_op: 'Renamed Person 1 to Alex', ops: 1 });
    endRecluster('prepare_ep1_1');
    await settle();
    const undo = screen.getByTestId('undo') as HTMLButtonElement;
    expect(undo.disabled).toBe(false);
    expect(screen.getByTestId('last-op').textContent).toBe('Renamed Person 1 to Alex');
    await fireEvent.click(undo);
    await settle();
    expect(go.UndoCuration).toHaveBeenCalledWith('ep1');
    expect(jobs.recluster.ep1).toBe('cluster_ep1_3');
  });

  it('Merge sends the selected people into the one with most screen time; the view waits for the re-cluster and reloads', async () => {
    await show();
    expect((screen.getByTestId('merge') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('select-3'));
    await fireEvent.click(screen.getByTestId('select-1'));
    expect((screen.getByTestId('merge-target') as HTMLSelectElement).value).toBe('1');
    await fireEvent.click(screen.getByTestId('merge'));
    await settle();
    expect(curated()).toEqual([{ kind: 'merge', identity_id: 1, others: [3] }]);
    expect(screen.getByTestId('cast-pending').textContent).toContain('Re-clustering');
    expect((within(screen.getByTestId('person-1')).getByTestId('rename') as HTMLButtonElement).disabled).toBe(true);
    expect(go.Cast).toHaveBeenCalledTimes(1);

    cast = castView({ people: castView().people.slice(0, 2), can_undo: true, last_op: 'Merged Person 3 into Person 1' });
    endRecluster();
    await settle();
    expect(go.Cast).toHaveBeenCalledTimes(2);
    expect(screen.queryByTestId('cast-pending')).toBeNull();
    expect(screen.queryByTestId('person-3')).toBeNull();
    expect(screen.getByTestId('last-op').textContent).toBe('Merged Person 3 into Person 1');
  });

  it('the merge target can be changed', async () => {
    await show();
    await fireEvent.click(screen.getByTestId('select-1'));
    await fireEvent.click(screen.getByTestId('select-2'));
    await fireEvent.change(screen.getByTestId('merge-target'), { target: { value: '2' } });
    await fireEvent.click(screen.getByTestId('merge'));
    await settle();
    expect(curated()).toEqual([{ kind: 'merge', identity_id: 2, others: [1] }]);
  });

  it('dropping a card on another merges it into that person', async () => {
    await show();
    const store = new Map<string, string>();
    const dataTransfer = {
      get types() {
        return [...store.keys()];
      },
      setData: (t: string, v: string) => store.set(t, v),
      getData: (t: string) => store.get(t) ?? '',
      effectAllowed: '',
      dropEffect: '',
    };
    await fireEvent.dragStart(screen.getByTestId('person-3'), { dataTransfer });
    await fireEvent.dragOver(screen.getByTestId('person-2'), { dataTransfer });
    expect(screen.getByTestId('person-2').classList.contains('over')).toBe(true);
    await fireEvent.drop(screen.getByTestId('person-2'), { dataTransfer });
    await settle();
    expect(curated()).toEqual([{ kind: 'merge', identity_id: 2, others: [3] }]);
  });

  it('renames inline: Enter sends the new name, Escape cancels', async () => {
    await show();
    const card = screen.getByTestId('person-1');
    await fireEvent.click(within(card).getByTestId('rename'));
    await fireEvent.input(within(card).getByTestId('rename-input'), { target: { value: 'Alex' } });
    await fireEvent.keyDown(within(card).getByTestId('rename-input'), { key: 'Escape' });
    expect(within(card).queryByTestId('rename-input')).toBeNull();
    expect(go.Curate).not.toHaveBeenCalled();
    await fireEvent.click(within(card).getByTestId('rename'));
    await fireEvent.input(within(card).getByTestId('rename-input'), { target: { value: '  Alex Example ' } });
    await fireEvent.keyDown(within(card).getByTestId('rename-input'), { key: 'Enter' });
    await settle();
    expect(curated()).toEqual([{ kind: 'rename', identity_id: 1, name: 'Alex Example' }]);
    // Keyboard users keep their place: focus goes to the name, not the page.
    expect(document.activeElement).toBe(within(card).getByTestId('person-name'));
  });

  it('lock and unlock', async () => {
    await show();
    await fireEvent.click(within(screen.getByTestId('person-1')).getByTestId('lock'));
    await settle();
    endRecluster();
    await settle();
    await fireEvent.click(within(screen.getByTestId('person-2')).getByTestId('lock'));
    await settle();
    expect(curated()).toEqual([
      { kind: 'lock', identity_id: 1 },
      { kind: 'unlock', identity_id: 2 },
    ]);
  });

  it('splits chosen tracks into a new person, or takes them away from this one', async () => {
    await show();
    await fireEvent.click(within(screen.getByTestId('person-1')).getByTestId('tracks'));
    const panel = screen.getByTestId('person-tracks');
    expect(within(panel).getAllByTestId(/^track-/).map((t) => t.dataset.testid)).toEqual(['track-11', 'track-12', 'track-13']);
    expect((within(panel).getByTestId('split') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(within(within(panel).getByTestId('track-12')).getByRole('checkbox'));
    await fireEvent.click(within(within(panel).getByTestId('track-13')).getByRole('checkbox'));
    await fireEvent.input(within(panel).getByLabelText('Name of the new person'), { target: { value: 'Sam' } });
    await fireEvent.click(within(panel).getByTestId('split'));
    await settle();
    expect(curated()).toEqual([{ kind: 'split', identity_id: 1, track_ids: [12, 13], name: 'Sam' }]);
    endRecluster();
    await settle();
    await fireEvent.click(within(screen.getByTestId('person-1')).getByTestId('tracks'));
    const again = screen.getByTestId('person-tracks');
    await fireEvent.click(within(within(again).getByTestId('track-11')).getByRole('checkbox'));
    await fireEvent.click(within(again).getByTestId('not-this'));
    await settle();
    expect(curated()[1]).toEqual({ kind: 'not_this', identity_id: 1, track_ids: [11] });
  });

  it('review strip: most ambiguous first; Keep confirms the track as its person\'s, Move and Not send it elsewhere', async () => {
    await show();
    const items = screen.getAllByTestId(/^review-\d+$/);
    expect(items.map((i) => i.dataset.testid)).toEqual(['review-12', 'review-22']);
    expect(items[0].textContent).toContain('belongs to Person 1');
    expect(items[0].textContent).toContain('could be Person 3');
    expect(within(items[1]).queryByTestId('review-move')).toBeNull();
    await fireEvent.click(within(items[1]).getByTestId('review-keep'));
    expect(screen.queryByTestId('review-22')).toBeNull(); // at once, before the re-cluster
    await settle();
    expect(curated()).toEqual([{ kind: 'confirm', identity_id: 2, track_ids: [22] }]);
    expect((within(screen.getByTestId('review-12')).getByTestId('review-keep') as HTMLButtonElement).disabled).toBe(true);
    endRecluster();
    await settle();
    await fireEvent.click(within(screen.getByTestId('review-12')).getByTestId('review-move'));
    await settle();
    expect(curated()[1]).toEqual({ kind: 'move', identity_id: 3, track_ids: [12] });
    endRecluster();
    await settle();
    await fireEvent.click(within(screen.getByTestId('review-12')).getByTestId('review-not'));
    await settle();
    expect(curated()[2]).toEqual({ kind: 'not_this', identity_id: 1, track_ids: [12] });
  });

  it('a rejected curation shows a typed toast and leaves the view usable', async () => {
    go.Curate.mockImplementation(async () => {
      throw { code: 'ERR_USAGE', message: 'Person 1 is locked.', hint: 'Unlock it first.' };
    });
    await show();
    await fireEvent.click(within(screen.getByTestId('person-1')).getByTestId('lock'));
    await settle();
    expect(toasts.list[0]).toMatchObject({ title: 'Locking failed', code: 'ERR_USAGE', message: 'Person 1 is locked.', hint: 'Unlock it first.' });
    expect(screen.queryByTestId('cast-pending')).toBeNull();
    expect((within(screen.getByTestId('person-1')).getByTestId('lock') as HTMLButtonElement).disabled).toBe(false);
  });

  it('facebank: lists headshots, adds with per-file error toasts, renames, removes and re-runs cluster', async () => {
    go.ChooseHeadshots.mockImplementation(async () => [
      { path: '/photos/Alex_Example.jpg', headshot: { id: 8, show: 'ep', name: 'Alex Example', file: '/photos/Alex_Example.jpg', added_at: '' } },
      { path: '/photos/group.jpg', error: { code: 'ERR_HEADSHOT_INVALID', message: 'The headshot group.jpg shows 2 faces.', hint: 'Use a photo of one person.' } },
    ]);
    await show();
    const fb = screen.getByTestId('facebank');
    expect(within(fb).getByTestId('headshot-7').textContent).toContain('Jordan_Doe.jpg');
    await fireEvent.click(within(fb).getByTestId('add-headshots'));
    await settle();
    expect(go.ChooseHeadshots).toHaveBeenCalledWith('ep');
    expect(toasts.list).toHaveLength(1);
    expect(toasts.list[0]).toMatchObject({ title: 'Headshot group.jpg not added', code: 'ERR_HEADSHOT_INVALID' });
    expect(screen.getByTestId('headshots-added').textContent).toBe('Added 1 of 2 headshots.');
    expect(go.Cast).toHaveBeenCalledTimes(2);

    await fireEvent.change(within(fb).getByLabelText('Name of headshot Jordan_Doe.jpg'), { target: { value: 'Jordan D.' } });
    await settle();
    expect(go.RenameHeadshot).toHaveBeenCalledWith(7, 'Jordan D.');
    go.RenameHeadshot.mockImplementationOnce(async () => {
      throw { code: 'ERR_USAGE', message: 'A name cannot be empty.' };
    });
    const field = within(fb).getByLabelText('Name of headshot Jordan_Doe.jpg') as HTMLInputElement;
    await fireEvent.change(field, { target: { value: 'Nope' } });
    await settle();
    expect(field.value).toBe('Jordan Doe'); // a failed rename shows the stored name again
    await fireEvent.click(within(fb).getByTestId('remove-headshot'));
    await settle();
    expect(go.RemoveHeadshot).toHaveBeenCalledWith(7);
    await fireEvent.click(within(fb).getByTestId('rerun-cluster'));
    await settle();
    expect(go.RunEpisode).toHaveBeenCalledWith('ep1', ['cluster+']);
    expect(jobs.recluster.ep1).toBe('cluster_ep1_4');
  });

  it('a cast whose changes are pending waits for the re-cluster the backend queues', async () => {
    cast = castView({ pending: true, recluster_job: 'cluster_ep1_9' });
    await show();
    expect(screen.getByTestId('cast-pending')).toBeTruthy();
    cast = castView();
    endRecluster('cluster_ep1_9');
    await settle();
    expect(screen.queryByTestId('cast-pending')).toBeNull();
  });

  it('a cast owed a catch-up asks for it once (reading it queued nothing) and waits for that job', async () => {
    cast = castView({ pending: true, catch_up: true });
    await show();
    expect(go.CatchUpCast).toHaveBeenCalledTimes(1);
    expect(go.CatchUpCast).toHaveBeenCalledWith('ep1');
    expect(jobs.recluster.ep1).toBe('cluster_ep1_5');
    expect(screen.getByTestId('cast-pending')).toBeTruthy();
    cast = castView();
    endRecluster('cluster_ep1_5');
    await settle();
    expect(screen.queryByTestId('cast-pending')).toBeNull();
    expect(go.CatchUpCast).toHaveBeenCalledTimes(1);
    expect(go.Curate).not.toHaveBeenCalled();
  });

  it('pending with no re-cluster running (the last one failed): offers Re-run and Undo instead of waiting', async () => {
    cast = castView({
      pending: true,
      can_undo: true,
      last_op: 'Rename to "Kyle"',
      recluster_error: { code: 'ERR_ARTIFACT_MISSING', message: 'tracks.parquet is missing.', hint: 'Run the track stage again.' },
    });
    await show();
    expect(screen.queryByTestId('cast-pending')).toBeNull();
    const stale = screen.getByTestId('cast-stale').textContent ?? '';
    expect(stale).toContain('Re-run cluster');
    expect(stale).toContain('ERR_ARTIFACT_MISSING');
    expect(stale).toContain('tracks.parquet is missing.');
    // Editing would be refused until the people are current: only Re-run and Undo are offered.
    const card = screen.getByTestId('person-1');
    for (const id of ['rename', 'lock']) expect((within(card).getByTestId(id) as HTMLButtonElement).disabled).toBe(true);
    expect((within(screen.getByTestId('review-12')).getByTestId('review-keep') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('undo') as HTMLButtonElement).disabled).toBe(false);
    await fireEvent.click(screen.getByTestId('undo'));
    await settle();
    expect(go.UndoCuration).toHaveBeenCalledTimes(1);
  });

  it('a Keep that fails, or one undone later, brings the track back to the review strip', async () => {
    go.Curate.mockImplementationOnce(async () => {
      throw { code: 'ERR_USAGE', message: 'There is no person 2 in this episode any more.', hint: 'Reload the Cast view and try again.' };
    });
    await show();
    await fireEvent.click(within(screen.getByTestId('review-22')).getByTestId('review-keep'));
    await settle();
    expect(toasts.list[0]).toMatchObject({ code: 'ERR_USAGE' });
    expect(screen.getByTestId('review-22')).toBeTruthy();
    await fireEvent.click(within(screen.getByTestId('review-22')).getByTestId('review-keep'));
    expect(screen.queryByTestId('review-22')).toBeNull();
    expect(document.activeElement?.textContent).toContain('Review'); // focus stays in the strip
    await settle();
    // The re-cluster leaves the confirmed track out; Undo's puts it back.
    cast = castView({ review: cast.review.filter((r) => r.track_id !== 22), can_undo: true, last_op: 'Confirm 1 track(s)' });
    endRecluster();
    await settle();
    expect(screen.queryByTestId('review-22')).toBeNull();
    await fireEvent.click(screen.getByTestId('undo'));
    await settle();
    cast = castView();
    endRecluster('cluster_ep1_3');
    await settle();
    expect(screen.getByTestId('review-22')).toBeTruthy();
  });

  it('a failed split keeps the tracks panel and the picks; a done one closes it and gives focus back to the card', async () => {
    go.Curate.mockImplementationOnce(async () => {
      throw { code: 'ERR_USAGE', message: 'Track 12 is not one of Person 1\'s.', hint: 'Reload the Cast view and try again.' };
    });
    await show();
    await fireEvent.click(within(screen.getByTestId('person-1')).getByTestId('tracks'));
    let panel = screen.getByTestId('person-tracks');
    expect(document.activeElement?.textContent).toContain('Tracks of Person 1');
    await fireEvent.click(within(within(panel).getByTestId('track-12')).getByRole('checkbox'));
    await fireEvent.click(within(panel).getByTestId('split'));
    await settle();
    panel = screen.getByTestId('person-tracks');
    expect((within(within(panel).getByTestId('track-12')).getByRole('checkbox') as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(within(panel).getByTestId('split'));
    await settle();
    expect(screen.queryByTestId('person-tracks')).toBeNull();
    expect(document.activeElement).toBe(within(screen.getByTestId('person-1')).getByTestId('tracks'));
  });

  it('offers people who may be one person, with both faces, and merges them in one click', async () => {
    await show();
    const item = screen.getByTestId('suggestion-1-3');
    expect(item.textContent).toContain('Person 1');
    expect(item.textContent).toContain('Person 3');
    expect(item.textContent).toContain('0.47');
    expect(within(item).getAllByRole('img').map((i) => i.getAttribute('src'))).toEqual(['data:image/jpeg;base64,11', 'data:image/jpeg;base64,31']);
    await fireEvent.click(within(item).getByTestId('suggestion-merge'));
    await settle();
    expect(curated()).toEqual([{ kind: 'merge', identity_id: 1, others: [3] }]);
    expect((within(screen.getByTestId('suggestion-1-3')).getByTestId('suggestion-merge') as HTMLButtonElement).disabled).toBe(true);
  });

  it('without people of the current tracks, offers to run cluster unless a job of the episode runs', async () => {
    cast = castView({ ready: false, people: [], review: [], suggestions: [] });
    await show();
    expect(screen.getByTestId('cast-not-ready').textContent).toContain('once the cluster stage has run');
    await fireEvent.click(screen.getByTestId('run-cluster'));
    await settle();
    expect(go.RunEpisode).toHaveBeenCalledWith('ep1', ['cluster+']);
    handleEpisodeEvent(
      episode({
        states: { validated: true, extracted_frames: true, detected: true, tracked: true, clustered: false, analyzed: false },
        latest_job: {
          job_id: 'full_ep1_5',
          episode_key: 'ep1',
          mode: 'full',
          created_at: '2026-01-01T00:00:00Z',
          finished_at: null,
          stages: [stage({ name: 'detect', status: 'running', attempt: 1 })],
        },
      }),
    );
    await settle();
    expect(screen.queryByTestId('run-cluster')).toBeNull();
  });
});
