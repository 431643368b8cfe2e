import type { Episode, StageEvent, StageView } from '../lib/types';

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
    video: { width: 1920, height: 1080, fps: 25, frames: 2500, duration_s: 100, codec: 'h264', has_audio: true },
    states: { validated: false, extracted_frames: false, detected: false, tracked: false, clustered: false, analyzed: false },
    timestamps: {},
    created_at: '2026-01-01T00:00:00Z',
    latest_job: null,
    ...over,
  };
}
