// JSON shapes exchanged with the Go backend (bound methods and events).

export type StageName = 'validate' | 'extract' | 'detect' | 'track' | 'cluster' | 'analytics';

export const STAGES: readonly { name: StageName; label: string }[] = [
  { name: 'validate', label: 'Validate' },
  { name: 'extract', label: 'Extract frames' },
  { name: 'detect', label: 'Detect/Embed' },
  { name: 'track', label: 'Track' },
  { name: 'cluster', label: 'Cluster' },
  { name: 'analytics', label: 'Screen time' },
];

export type RegistryState =
  | 'validated'
  | 'extracted_frames'
  | 'detected'
  | 'tracked'
  | 'clustered'
  | 'analyzed';

export const REGISTRY_STATES: readonly RegistryState[] = [
  'validated',
  'extracted_frames',
  'detected',
  'tracked',
  'clustered',
  'analyzed',
];

export type StageStatus = 'pending' | 'running' | 'ok' | 'error' | 'skipped';
export type EtaState = 'learning' | 'live' | 'history' | '';

export interface VideoInfo {
  width: number;
  height: number;
  fps: number;
  frames: number;
  duration_s: number;
  codec: string;
  has_audio: boolean;
}

export interface StageError {
  code: string;
  message: string;
  hint?: string;
}

export interface StageView {
  name: string;
  label: string;
  status: StageStatus;
  stale: boolean;
  attempt: number;
  max_attempts: number;
  done: number;
  total: number;
  unit: string;
  rate: number;
  eta_s: number | null;
  eta_state: EtaState;
  slow: boolean;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
  next_retry_at: string | null;
  result: Record<string, unknown> | null;
  error: StageError | null;
  skip_reason?: string;
  /** Stored progress, as the inspector's job envelopes carry it. */
  progress?: { done: number; total: number; unit?: string };
}

export interface StageEvent extends StageView {
  job_id: string;
  episode_key: string;
  stage: string;
  at: string;
}

export interface Job {
  job_id: string;
  episode_key: string;
  mode: string;
  created_at: string;
  finished_at: string | null;
  stages: StageView[];
}

export interface Episode {
  key: string;
  title: string;
  video_path: string;
  size_bytes: number;
  mod_time: string;
  fingerprint: string;
  video?: VideoInfo | null;
  states: Record<RegistryState, boolean>;
  timestamps: Record<string, string | null>;
  created_at: string;
  latest_job: Job | null;
}

export interface ArtifactFile {
  name: string;
  exists: boolean;
  size_bytes: number;
  rows: number | null;
}

export interface Report {
  episode_key: string;
  registry: {
    exists: boolean;
    path: string;
    video_path: string;
    states: Record<string, boolean>;
    timestamps: Record<string, string | null>;
  };
  jobs: Job[];
  artifacts: { dir: string; exists: boolean; files: ArtifactFile[] };
  det_stats: Record<string, unknown> | null;
  log_tail: string[];
}

export interface LogLine {
  time: string;
  level: string;
  job_id: string;
  stage: string;
  line: string;
}

export interface ModelStatus {
  name: string;
  file: string;
  ok: boolean;
  problem?: string;
}

export interface Settings {
  data_dir: string;
  models_dir: string;
  models: ModelStatus[];
  ort_lib: string;
  ort_version: string;
  provider: string;
  require_gpu: boolean;
  sample_fps: number;
  detect_preset: string;
  stall_after_s: number;
}
