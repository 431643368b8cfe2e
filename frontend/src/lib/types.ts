// The shapes exchanged with the Go backend (bound methods and events), as
// components import them. Each is the generated model of its Go type
// (./wailsjs/go/models, make bindings), never a copy; where Wails types a
// field looser than Go sends it (time.Time → any, json.RawMessage →
// number[], a pointer or nil slice → optional) it is narrowed here, and
// api.ts's normalize* functions make nil slices empty. The stages, their
// registry flags, the settings' defaults and presets and the error codes
// come from the backend's catalog (catalog.ts).
import type { episode, errs, identity, inspect, job, modelpack, screentime, service, video } from './wailsjs/go/models';

type Time = string;
/** Go's json.RawMessage: any JSON value. */
type JSONObject = Record<string, unknown>;

/** A stage's state (backend/job/types.go says who moves it out of each). */
export type StageStatus = 'pending' | 'running' | 'retrying' | 'ok' | 'error' | 'skipped' | 'canceled';
export type EtaState = 'learning' | 'live' | 'history' | '';

/** The validate stage's probe (service.EpisodeView decodes the registry's copy). */
export type VideoInfo = video.Info;

export type StageError = job.StageError;

export type StageView = Omit<
  service.StageView,
  'status' | 'eta_s' | 'eta_state' | 'started_at' | 'finished_at' | 'heartbeat_at' | 'next_retry_at' | 'result' | 'error'
> & {
  status: StageStatus;
  eta_s: number | null;
  eta_state: EtaState;
  started_at: Time | null;
  finished_at: Time | null;
  heartbeat_at: Time | null;
  next_retry_at: Time | null;
  result: JSONObject | null;
  error: StageError | null;
  /** Stored progress, as the inspector's job envelopes carry it. */
  progress?: { done: number; total: number; unit?: string };
  /** The inspector's: a stage still stored as running whose process is gone. */
  interrupted?: inspect.Interrupted;
};

/** A stage event (backend/job Event): the stage's view and where it belongs. */
export interface StageEvent extends StageView {
  job_id: string;
  episode_key: string;
  stage: string;
  at: Time;
}

export type Job = Omit<service.JobView, 'created_at' | 'finished_at' | 'stages'> & {
  created_at: Time;
  finished_at: Time | null;
  stages: StageView[];
};

/** service.EpisodeView: the episode's fields, its decoded probe and latest_job (its MarshalJSON). */
export type Episode = Omit<episode.Episode, 'mod_time' | 'created_at' | 'video'> & {
  mod_time: Time;
  created_at: Time;
  video?: VideoInfo | null;
  latest_job: Job | null;
};

export type ArtifactFile = Omit<inspect.ArtifactFile, 'rows'> & { rows: number | null };

export type InspectCuration = inspect.Curation;

export type Report = Omit<inspect.Report, 'jobs' | 'det_stats' | 'artifacts'> & {
  jobs: Job[];
  artifacts: Omit<inspect.ArtifactsView, 'files'> & { files: ArtifactFile[] };
  det_stats: JSONObject | null;
};

export type LogLine = Omit<job.LogLine, 'time' | 'job_id' | 'stage'> & { time: Time; job_id: string; stage: string };

export type ModelStatus = modelpack.Status;

export type Settings = service.SettingsView;
export type ScreentimePreset = string;

export type Catalog = service.Catalog;
export type CatalogStage = service.CatalogStage;

// ---- Cast (identities and their curation) -----------------------------------

export type CastPerson = Omit<service.CastPerson, 'suggestion'> & {
  /** A name below the naming bar, offered for one-click confirmation. */
  suggestion: NameCandidate | null;
};
/** A cast-list name for a person, with the evidence for it. */
export type NameCandidate = identity.Candidate;
export type ReviewItem = service.ReviewItem;
export type MergeSuggestion = service.MergeSuggestion;
export type Headshot = Omit<identity.Headshot, 'added_at' | 'sha256'> & { added_at: Time; sha256?: string };
export type HeadshotResult = Omit<service.HeadshotResult, 'headshot' | 'error'> & { headshot?: Headshot; error?: errs.Error };

export type CastView = Omit<service.CastView, 'people' | 'facebank' | 'catch_up'> & {
  people: CastPerson[];
  facebank: Headshot[];
  catch_up?: boolean;
};

export type CurateKind = 'rename' | 'merge' | 'split' | 'move' | 'confirm' | 'not_this' | 'lock' | 'unlock';
export type CurateRequest = Omit<service.CurateRequest, 'kind'> & { kind: CurateKind };

// ---- Screen time report -----------------------------------------------------

export type Segment = screentime.Segment;
export type ScreenTimePerson = Omit<screentime.Person, 'profile_s'> & { profile_s?: number };
/** What the viewer loads once per episode (service.PlaybackView). */
export type PlaybackView = service.PlaybackView;

export type ScreenTimeReport = Omit<screentime.Report, 'people'> & { people: ScreenTimePerson[] };
export type Comparison = screentime.Comparison;
export type OnScreenPerson = screentime.Presence;
export type OnScreen = service.OnScreen;

export type ExportFormat = 'csv' | 'json' | 'edl' | 'fcpxml' | 'otio' | 'html';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json', 'edl', 'fcpxml', 'otio', 'html'];
