import type { CastPerson, CastView, Episode, PlaybackView, ScreenTimeReport, StageEvent, StageView } from '../lib/types';

export function stage(over: Partial<StageView> = {}): StageView {
  return {
    name: 'detect',
    label: 'Detect/Embed',
    status: 'pending',
    stale: false,
    attempt: 0,
    max_attempts: 3,
    done: 0,
    total: 0,
    unit: 'frames',
    rate: 0,
    eta_s: null,
    eta_state: '',
    slow: false,
    started_at: null,
    finished_at: null,
    heartbeat_at: null,
    next_retry_at: null,
    result: null,
    error: null,
    ...over,
  };
}

export function stageEvent(over: Partial<StageEvent> = {}): StageEvent {
  const s = stage(over);
  return {
    ...s,
    job_id: 'prepare_ep1_1',
    episode_key: 'ep1',
    stage: s.name,
    at: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

export function episode(over: Partial<Episode> = {}): Episode {
  return {
    key: 'ep1',
    title: 'EP1',
    video_path: '/videos/EP1.mp4',
    size_bytes: 1234567,
    mod_time: '2026-01-01T00:00:00Z',
    fingerprint: 'abc',
    video: { path: '/videos/EP1.mp4', container: 'mp4', width: 1920, height: 1080, fps: 25, frames: 2500, duration_s: 100, rotation: 0, codec: 'h264', has_audio: true, vfr: false },
    states: { validated: false, extracted_frames: false, detected: false, tracked: false, clustered: false, analyzed: false },
    timestamps: {},
    created_at: '2026-01-01T00:00:00Z',
    latest_job: null,
    ...over,
  };
}

export function person(over: Partial<CastPerson> = {}): CastPerson {
  return {
    identity_id: 1,
    person: 'p1',
    label: 'Person 1',
    name: '',
    locked: false,
    tracks: 3,
    detections: 40,
    track_ids: [11, 12, 13],
    screen_time_s: 62.5,
    margin_s: 0.5,
    share: 0.25,
    appearances: 4,
    first_s: 1,
    last_s: 90,
    facebank_name: '',
    facebank_score: 0,
    facebank_reason: '',
    suggestion: null,
    profile_s: 0,
    thumb_track: 11,
    ...over,
  };
}

export function castView(over: Partial<CastView> = {}): CastView {
  return {
    episode_key: 'ep1',
    show: 'ep',
    ready: true,
    people: [
      person(),
      person({
        identity_id: 2,
        person: 'p2',
        label: 'Jordan Doe',
        name: 'Jordan Doe',
        locked: true,
        track_ids: [21, 22],
        tracks: 2,
        screen_time_s: 30,
        share: 0.12,
        facebank_name: 'Jordan Doe',
        facebank_score: 0.71,
        facebank_reason: 'photo jordan_doe.jpg matches 0.71, next name Sam Roe, margin 0.45',
        thumb_track: 21,
      }),
      person({ identity_id: 3, person: 'p3', label: 'Person 3', track_ids: [31], tracks: 1, screen_time_s: 4, share: 0.02, thumb_track: 31 }),
    ],
    unidentified: { tracks: 2, screen_time_s: 3.5 },
    review: [
      { track_id: 12, identity_id: 1, label: 'Person 1', other_id: 3, other_label: 'Person 3', margin: 0.02, start_s: 10, end_s: 12 },
      { track_id: 22, identity_id: 2, label: 'Jordan Doe', other_id: 0, other_label: '', margin: 0.08, start_s: 40, end_s: 41 },
    ],
    suggestions: [{ identity_id: 1, label: 'Person 1', other_id: 3, other_label: 'Person 3', similarity: 0.47 }],
    can_undo: false,
    last_op: '',
    ops: 0,
    pending: false,
    facebank: [{ id: 7, show: 'ep', name: 'Jordan Doe', file: '/photos/Jordan_Doe.jpg', added_at: '2026-01-01T00:00:00Z' }],
    ...over,
  };
}

export function screenTimeReport(over: Partial<ScreenTimeReport> = {}): ScreenTimeReport {
  const seg = (a: number, b: number) => ({ start_ms: a * 1000, end_ms: b * 1000, start_s: a, end_s: b });
  return {
    episode_key: 'ep1',
    duration_s: 100,
    sample_interval_s: 0.5,
    preset: 'default',
    bridge_s: 1.5,
    faces_on_screen_s: 80,
    people: [
      {
        identity_id: 1, label: 'Alex Example', screen_time_s: 50, margin_s: 0.5, share: 0.5, appearances: 2, first_s: 0, last_s: 60,
        overlap_s: 5, tracks: 3, segments: [seg(0, 20), seg(30, 60)],
      },
      {
        identity_id: 2, label: 'Jordan Doe', screen_time_s: 25, margin_s: 0.5, profile_s: 6.5, share: 0.25, appearances: 1, first_s: 65, last_s: 90,
        overlap_s: 0, tracks: 1, locked: true, segments: [seg(65, 90)],
      },
    ],
    unidentified: { screen_time_s: 5, margin_s: 0.5, tracks: 1, segments: [seg(92, 97)] },
    co_appearance: { identity_ids: [1, 2], seconds: [[0, 0], [0, 0]] },
    ...over,
  };
}

/** The viewer's data: person 1 (track 11) on screen from 0 s to 0.4 s, an
 * unidentified face (track 40) from 1 s. */
export function playbackView(over: Partial<PlaybackView> = {}): PlaybackView {
  return {
    key: 'ep1',
    source: { url: '/media/ep1', direct: true, reason: '', proxy_ready: false, proxy_making: false, proxy_progress: 0, media: {} as PlaybackView['source']['media'] },
    width: 640,
    height: 360,
    duration_s: 100,
    rate: { num: 25, den: 1, drop: false },
    tc_start: 0,
    sample_ms: 200,
    cuts_ms: [30000],
    tracks: [
      { track_id: 11, identity_id: 1, t_ms: [0, 200, 400], boxes: [100, 50, 160, 120, 102, 50, 162, 120, 104, 50, 164, 120] },
      { track_id: 40, identity_id: 0, t_ms: [1000, 1200], boxes: [300, 60, 340, 110, 300, 60, 340, 110] },
    ],
    ...over,
  };
}
