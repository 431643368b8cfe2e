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

/** A stage's state (backend/job/types.go says who moves it out of each). */
export type StageStatus = 'pending' | 'running' | 'retrying' | 'ok' | 'error' | 'skipped' | 'canceled';
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
  /** The inspector's: a stage still stored as running whose process is gone. */
  interrupted?: { pid?: number; message: string };
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
  /** Absent before the episode is registered. */
  curation?: InspectCuration;
  log_tail: string[];
}

/** The inspector's view of what the user said about an episode's people. */
export interface InspectCuration {
  /** In effect, oldest first, in words. */
  ops: string[];
  /** The identities on disk reflect the log and the cast list. */
  applied: boolean;
  clustered: boolean;
  show: string;
  headshots: number;
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
  /** "built in" (the binary's own pack) or "folder" (the models folder). */
  origin?: string;
  path?: string;
  licence?: string;
  training_data?: string;
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
  /** Cosine distance under which tracks join one person (0.05–1.5). */
  cluster_threshold: number;
  /** Shortest track (detections) that counts as a person. */
  min_track_len: number;
  screentime_preset: ScreentimePreset;
}

export type ScreentimePreset = 'default' | 'strict';
export const SCREENTIME_PRESETS: readonly ScreentimePreset[] = ['default', 'strict'];

// ---- Cast (identities and their curation) -----------------------------------

export interface CastPerson {
  identity_id: number;
  person: string;
  label: string;
  name: string;
  locked: boolean;
  tracks: number;
  detections: number;
  track_ids: number[];
  screen_time_s: number;
  margin_s: number;
  share: number;
  appearances: number;
  first_s: number;
  last_s: number;
  facebank_name: string;
  facebank_score: number;
  /** Why the cast list gave the name (photo, score, margin); '' if it did not. */
  facebank_reason: string;
  /** A name below the naming bar, offered for one-click confirmation. */
  suggestion: NameCandidate | null;
  /** Seconds of the screen time seen only in profile faces. */
  profile_s: number;
  /** Track whose face thumbnail represents the person. */
  thumb_track: number;
}

/** A cast-list name for a person, with the evidence for it. */
export interface NameCandidate {
  name: string;
  file: string;
  score: number;
  margin: number;
  next?: string;
  rival?: number;
}

export interface ReviewItem {
  track_id: number;
  identity_id: number;
  label: string;
  /** Nearest other identity (0 / "" when there is none). */
  other_id: number;
  other_label: string;
  /** Own cosine − other cosine; small means ambiguous. */
  margin: number;
  start_s: number;
  end_s: number;
}

/** Two people who may be one: never on screen together, faces alike. The other would be merged into the first. */
export interface MergeSuggestion {
  identity_id: number;
  label: string;
  other_id: number;
  other_label: string;
  /** Cosine of their mean faces. */
  similarity: number;
}

export interface Headshot {
  id: number;
  show: string;
  name: string;
  file: string;
  added_at: string;
}

export interface HeadshotResult {
  path: string;
  headshot?: Headshot;
  error?: StageError;
}

export interface CastView {
  episode_key: string;
  show: string;
  /** False until the cluster stage has run once. */
  ready: boolean;
  /** Most screen time first. */
  people: CastPerson[];
  unidentified: { tracks: number; screen_time_s: number };
  /** Most ambiguous tracks first. */
  review: ReviewItem[];
  /** People who may be one person, most alike first. */
  suggestions: MergeSuggestion[];
  can_undo: boolean;
  last_op: string;
  ops: number;
  /** Curation or facebank changed since the identities were built. */
  pending: boolean;
  /** The episode's job (queued or running) that brings a pending view up to date; "" when none runs. */
  recluster_job?: string;
  /** Why the episode's latest job failed, when nothing is queued to catch a pending view up. */
  recluster_error?: StageError;
  /** Pending with nothing bringing it up to date: reading never queues work, so the view calls api.catchUpCast. */
  catch_up?: boolean;
  facebank: Headshot[];
}

export type CurateKind = 'rename' | 'merge' | 'split' | 'move' | 'confirm' | 'not_this' | 'lock' | 'unlock';

export interface CurateRequest {
  kind: CurateKind;
  /** rename / merge-into / move-to / not_this-from / lock / unlock; ignored by split. */
  identity_id: number;
  /** merge: identities merged into identity_id. */
  others?: number[];
  /** split / move / not_this. */
  track_ids?: number[];
  /** rename: the new name; split: optional name of the new person. */
  name?: string;
}

// ---- Screen time report -----------------------------------------------------

export interface Segment {
  start_ms: number;
  end_ms: number;
  start_s: number;
  end_s: number;
}

export interface ScreenTimePerson {
  identity_id: number;
  label: string;
  screen_time_s: number;
  margin_s: number;
  /** Seconds of screen_time_s seen only in profile faces. */
  profile_s?: number;
  share: number;
  appearances: number;
  first_s: number;
  last_s: number;
  overlap_s: number;
  tracks: number;
  locked?: boolean;
  segments: Segment[];
}

export interface ScreenTimeReport {
  episode_key: string;
  duration_s: number;
  sample_interval_s: number;
  preset: string;
  bridge_s: number;
  faces_on_screen_s: number;
  people: ScreenTimePerson[];
  unidentified: { screen_time_s: number; margin_s: number; tracks: number; segments: Segment[] };
  co_appearance: { identity_ids: number[]; seconds: number[][] };
}

export interface Comparison {
  name: string;
  identity_id?: number;
  found: boolean;
  computed_s: number;
  logged_s: number;
  diff_s: number;
  diff_pct: number;
  margin_s: number;
  within: boolean;
}

export interface OnScreenPerson {
  /** 0 for unidentified faces. */
  identity_id: number;
  label: string;
  segment: Segment;
}

export interface OnScreen {
  ms: number;
  clock: string;
  timecode: string;
  people: OnScreenPerson[];
  /** JPEG data URL of that moment. */
  frame: string;
  /** The video frame shown (0-based), the one `timecode` names. */
  frame_index: number;
}

export type ExportFormat = 'csv' | 'json' | 'edl' | 'fcpxml' | 'otio' | 'html';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json', 'edl', 'fcpxml', 'otio', 'html'];
