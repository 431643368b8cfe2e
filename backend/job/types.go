package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"castscope/backend/errs"
)

// Status is the lifecycle state of one stage. The comment on each value
// says who moves a stage out of it.
type Status string

const (
	// StatusPending: waiting for its turn: new, or put back after its
	// process died or closed (it resumes from its checkpoint). The Runner
	// moves it to running when a worker takes it, to skipped when its
	// outputs are complete and its inputs unchanged, and to canceled on
	// cancel or when an earlier stage of the job failed.
	StatusPending Status = "pending"
	// StatusRunning: the stage body runs; the Runner heartbeats. The Runner
	// moves it to ok/error/skipped when the body returns (panics included),
	// to retrying when the attempt failed and attempts are left, to
	// canceled on cancel, and back to pending on Close. The Rescuer moves
	// it to retrying (or error when attempts are exhausted) with
	// ERR_STAGE_STALLED after StallAfter without a heartbeat, and back to
	// pending when its owner process is dead.
	StatusRunning Status = "running"
	// StatusRetrying: an attempt failed (Error says why) and another runs
	// at NextRetryAt. The Runner moves it to running then, or to canceled
	// on cancel.
	StatusRetrying Status = "retrying"
	// StatusOK: finished; terminal. Only a new job (an explicit re-run)
	// runs the stage again.
	StatusOK Status = "ok"
	// StatusError: failed for good (Error says why); terminal.
	StatusError Status = "error"
	// StatusSkipped: not run (SkipReason says why); terminal.
	StatusSkipped Status = "skipped"
	// StatusCanceled: stopped before its end, or never started, because
	// the job was canceled or an earlier stage failed (Error, with
	// ERR_CANCELED, says which); terminal. Its finished outputs are kept.
	StatusCanceled Status = "canceled"
)

// Terminal reports whether s is ok, error, skipped or canceled.
func (s Status) Terminal() bool {
	return s == StatusOK || s == StatusError || s == StatusSkipped || s == StatusCanceled
}

// transitions is the stage state machine, the only place that says which
// moves are legal.
var transitions = map[Status][]Status{
	StatusPending:  {StatusRunning, StatusSkipped, StatusCanceled},
	StatusRunning:  {StatusOK, StatusError, StatusSkipped, StatusPending, StatusRetrying, StatusCanceled},
	StatusRetrying: {StatusRunning, StatusCanceled},
}

// CanTransition reports whether a stage may move from → to.
func CanTransition(from, to Status) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// CheckTransition returns ERR_ILLEGAL_TRANSITION when from → to is illegal.
func CheckTransition(stage string, from, to Status) error {
	if CanTransition(from, to) {
		return nil
	}
	return errs.New(errs.IllegalTransition,
		fmt.Sprintf("Stage %s cannot move from %s to %s.", stage, from, to),
		"Run the stage again as a new job instead.")
}

// StageError is the error of a failed stage, as users see it.
type StageError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// StageErrorOf converts err into a StageError (untyped → ERR_INTERNAL).
func StageErrorOf(err error) *StageError {
	if err == nil {
		return nil
	}
	e := errs.As(err)
	return &StageError{Code: string(e.Code), Message: e.Message, Hint: e.Hint}
}

// Progress is how far a stage got.
type Progress struct {
	Done  int64  `json:"done"`
	Total int64  `json:"total"`
	Unit  string `json:"unit,omitempty"`
}

// Stage is one stage of one job: what meta.json's "stages" map holds.
type Stage struct {
	Name        string          `json:"name"`
	Status      Status          `json:"status"`
	Stale       bool            `json:"stale"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Progress    Progress        `json:"progress"`
	StartedAt   *time.Time      `json:"started_at"`
	FinishedAt  *time.Time      `json:"finished_at"`
	HeartbeatAt *time.Time      `json:"heartbeat_at"`
	NextRetryAt *time.Time      `json:"next_retry_at"`
	Result      json.RawMessage `json:"result"`
	Error       *StageError     `json:"error"`
	SkipReason  string          `json:"skip_reason,omitempty"`
	Owner       string          `json:"owner,omitempty"`       // process that runs it (pid@host/start#runner) for crash detection
	Fingerprint string          `json:"fingerprint,omitempty"` // inputs+settings of the run that produced the outputs (skip check)
	Crashes     int             `json:"crashes,omitempty"`     // times in a row its process died while it ran, no checkpoint between
}

// MarshalJSON writes times as RFC 3339 UTC with milliseconds and a null
// result as null.
func (s Stage) MarshalJSON() ([]byte, error) {
	type alias Stage
	res := s.Result
	if len(res) == 0 {
		res = json.RawMessage("null")
	}
	return json.Marshal(struct {
		alias
		StartedAt   *string         `json:"started_at"`
		FinishedAt  *string         `json:"finished_at"`
		HeartbeatAt *string         `json:"heartbeat_at"`
		NextRetryAt *string         `json:"next_retry_at"`
		Result      json.RawMessage `json:"result"`
	}{alias(s), ts(s.StartedAt), ts(s.FinishedAt), ts(s.HeartbeatAt), ts(s.NextRetryAt), res})
}

// Job is one submitted piece of work on one episode: ordered stages.
type Job struct {
	ID         string          `json:"job_id"`
	EpisodeKey string          `json:"episode_key"`
	Mode       string          `json:"mode"`
	Settings   json.RawMessage `json:"settings,omitempty"`
	Rerun      bool            `json:"rerun,omitempty"`
	Canceled   bool            `json:"canceled,omitempty"`
	// Driver names who runs the job's stages when it is not this
	// computer's Runner ("temporal 10.0.0.5:7233/default"): the Runner and
	// its Rescuer leave such a job alone, and its stages are written by
	// whoever mirrors that driver's state (package remote). "" is local.
	Driver     string     `json:"driver,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Stages     []Stage    `json:"-"` // exported as an object keyed by name, with "order"
}

// Stage returns the stage called name.
func (j Job) Stage(name string) (Stage, bool) {
	for _, s := range j.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return Stage{}, false
}

// Done reports whether every stage is terminal.
func (j Job) Done() bool {
	for _, s := range j.Stages {
		if !s.Status.Terminal() {
			return false
		}
	}
	return true
}

type jobJSON struct {
	ID         string           `json:"job_id"`
	EpisodeKey string           `json:"episode_key"`
	Mode       string           `json:"mode"`
	Settings   json.RawMessage  `json:"settings,omitempty"`
	Rerun      bool             `json:"rerun,omitempty"`
	Canceled   bool             `json:"canceled,omitempty"`
	Driver     string           `json:"driver,omitempty"`
	CreatedAt  string           `json:"created_at"`
	FinishedAt *string          `json:"finished_at"`
	Order      []string         `json:"order"`
	Stages     map[string]Stage `json:"stages"`
}

// MarshalJSON writes the meta.json envelope: stages as an object keyed by
// name plus "order".
func (j Job) MarshalJSON() ([]byte, error) {
	out := jobJSON{ID: j.ID, EpisodeKey: j.EpisodeKey, Mode: j.Mode, Settings: j.Settings,
		Rerun: j.Rerun, Canceled: j.Canceled, Driver: j.Driver, CreatedAt: FormatTime(j.CreatedAt), FinishedAt: ts(j.FinishedAt),
		Order: []string{}, Stages: map[string]Stage{}}
	for _, s := range j.Stages {
		out.Order = append(out.Order, s.Name)
		out.Stages[s.Name] = s
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a meta.json envelope (one without "order" lists its
// stages by name).
func (j *Job) UnmarshalJSON(b []byte) error {
	var in struct {
		jobJSON
		CreatedAt  *time.Time `json:"created_at"`
		FinishedAt *time.Time `json:"finished_at"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*j = Job{ID: in.ID, EpisodeKey: in.EpisodeKey, Mode: in.Mode, Settings: in.Settings,
		Rerun: in.Rerun, Canceled: in.Canceled, Driver: in.Driver, FinishedAt: in.FinishedAt}
	if in.CreatedAt != nil {
		j.CreatedAt = *in.CreatedAt
	}
	order := in.Order
	if len(order) == 0 {
		order = sortedNames(in.Stages)
	}
	for _, n := range order {
		s, ok := in.Stages[n]
		if !ok {
			continue
		}
		s.Name = n
		j.Stages = append(j.Stages, s)
	}
	return nil
}

// sortedNames orders the stages of an envelope without "order" by name.
func sortedNames(m map[string]Stage) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TimeLayout is the one timestamp format of Castscope's records and
// exports: RFC 3339, UTC, milliseconds (2025-11-06T22:10:02.123Z).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime formats t in TimeLayout (UTC).
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

func ts(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := FormatTime(*t)
	return &s
}

// Reporter is what a stage body gets: progress, checkpoints and logging.
type Reporter interface {
	Progress(done, total int64, unit string) // cheap, callable from hot loops; also a heartbeat
	Checkpoint() json.RawMessage             // last saved checkpoint of this stage (nil on first attempt)
	SaveCheckpoint(v any) error              // durable before it returns
	Logf(format string, args ...any)         // a "[STAGE] key ..." line in worker.log + the job's log
	Job() Job                                // job id, episode key, settings
}

// SetRateKey tells the runner the context that the stage's throughput
// depends on (e.g. "CUDAExecutionProvider/1920x1080"): ETA history is
// kept per stage and key. Reporters that do not support it ignore it.
func SetRateKey(r Reporter, key string) {
	if k, ok := r.(interface{ SetRateKey(string) }); ok {
		k.SetRateKey(key)
	}
}

// StageFunc is a stage body. Its result (JSON-encoded) becomes the stage's
// result.
type StageFunc func(ctx context.Context, r Reporter) (result any, err error)

// StageDef declares one stage.
type StageDef struct {
	Name  string // "detect"
	Label string // "Detect/Embed"
	// Flag is the registry flag the stage owns (e.g. "detected"): the runner
	// sets it false when the stage starts and true when it ends ok
	// (ERR_REGISTRY_UPDATE_FAILED when that write fails).
	Flag  string
	Heavy bool // counts against the heavy-worker pool (Config.HeavyWorkers)
	Run   StageFunc
	// Fingerprint hashes the stage's inputs and settings; with Complete it
	// lets the runner skip a stage whose outputs are whole and whose
	// fingerprint equals the one of the run that produced them.
	Fingerprint func(ctx context.Context, j Job) (string, error)
	Complete    func(ctx context.Context, j Job) bool // artifacts present and whole
}

// ErrSkip is returned (wrapped, see Skip) by a body that decides not to run.
var ErrSkip = errors.New("job: stage skipped")

type skipError struct{ reason string }

func (e *skipError) Error() string { return "job: stage skipped: " + e.reason }
func (e *skipError) Unwrap() error { return ErrSkip }

// Skip returns an error that ends the stage as skipped with reason.
func Skip(reason string) error { return &skipError{reason: reason} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err must not be retried: marked Permanent,
// or a typed error whose cause waiting cannot fix (missing input, model,
// unsupported video, bad key, full or read-only disk, cancel, panic).
func IsPermanent(err error) bool {
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	switch errs.CodeOf(err) {
	case errs.EpisodeNotRegistered, errs.InvalidEpisodeKey, errs.InputNotFound, errs.VideoUnreadable,
		errs.VideoUnsupported, errs.ModelMissing, errs.ModelChecksum, errs.ModelLoadFailed, errs.RuntimeMissing,
		errs.ProviderUnavailable, errs.DiskFull, errs.ReadOnly, errs.DatabaseCorrupt, errs.Canceled,
		errs.IllegalTransition, errs.Usage, errs.ArtifactMissing:
		return true
	}
	return false
}

// Event is one change of one stage, for the UI and the CLI.
type Event struct {
	JobID       string          `json:"job_id"`
	EpisodeKey  string          `json:"episode_key"`
	Stage       string          `json:"stage"`
	Label       string          `json:"label,omitempty"`
	Status      Status          `json:"status"`
	Stale       bool            `json:"stale"`
	Attempt     int             `json:"attempt"`
	MaxAttempts int             `json:"max_attempts"`
	Done        int64           `json:"done"`
	Total       int64           `json:"total"`
	Unit        string          `json:"unit"`
	Rate        float64         `json:"rate"` // units/s
	ETASeconds  *float64        `json:"eta_s"`
	ETAState    string          `json:"eta_state"` // "learning" | "live" | "history" | "" (not running)
	Slow        bool            `json:"slow"`
	NextRetryAt *time.Time      `json:"next_retry_at"`
	Result      json.RawMessage `json:"result"`
	Error       *StageError     `json:"error"`
	SkipReason  string          `json:"skip_reason,omitempty"`
	At          time.Time       `json:"at"`
}

// Notifier receives events. Notify must not block for long.
type Notifier interface{ Notify(Event) }

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(Event)

// Notify calls f(e).
func (f NotifierFunc) Notify(e Event) { f(e) }

// ErrConflict is returned by a Store when a compare-and-set on a stage
// fails (someone else moved it first).
var ErrConflict = errors.New("job: stage changed concurrently")

// ErrNotFound is returned by a Store for an unknown job.
var ErrNotFound = errors.New("job: not found")

// Store is the persistence the runner needs; package sqlite implements it.
// Every method is safe for concurrent use and durable when it returns.
type Store interface {
	// CreateJob inserts j with its stages unless an unfinished job with the
	// same signature exists: then it returns that job and true.
	CreateJob(ctx context.Context, j Job, signature string) (Job, bool, error)
	Job(ctx context.Context, id string) (Job, error)
	// ActiveJobs returns every job whose FinishedAt is nil, oldest first.
	ActiveJobs(ctx context.Context) ([]Job, error)
	// UpdateStage stores s if the stored stage has status from (and, when
	// from is running, owner equal to s.Owner's previous owner prevOwner);
	// ErrConflict otherwise. Progress, times, result, error all come from s.
	UpdateStage(ctx context.Context, jobID string, s Stage, from Status, prevOwner string) error
	// Heartbeat records at and p on a running stage owned by owner; it
	// returns whether the job was asked to cancel, or ErrConflict when the
	// stage is no longer running under owner.
	Heartbeat(ctx context.Context, jobID, stage, owner string, p Progress, at time.Time) (canceled bool, err error)
	SaveCheckpoint(ctx context.Context, jobID, stage, owner string, cp json.RawMessage) error
	Checkpoint(ctx context.Context, jobID, stage string) (json.RawMessage, error)
	FinishJob(ctx context.Context, jobID string, at time.Time) error
	RequestCancel(ctx context.Context, jobID string) error
	// MarkStale sets stale on the ok/skipped records of stages of
	// episodeKey in jobs other than exceptJobID.
	MarkStale(ctx context.Context, episodeKey string, stages []string, exceptJobID string) error
	// LastFingerprint returns the fingerprint of the newest ok or skipped
	// record of stage for episodeKey ("" when none).
	LastFingerprint(ctx context.Context, episodeKey, stage string) (string, error)
	SetEpisodeState(ctx context.Context, key, flag string, v bool) error
	// StageRate returns the remembered throughput (units/s) of stage under
	// rateKey (0 when unknown); RecordStageRate folds a new measurement in.
	StageRate(ctx context.Context, stage, rateKey string) (float64, error)
	RecordStageRate(ctx context.Context, stage, rateKey string, rate float64) error
	AppendLog(ctx context.Context, l LogLine) error
	// Flush writes whatever the store exports of its state (meta.json,
	// state.json) now; Wait calls it so the exports are right when it
	// returns.
	Flush(ctx context.Context) error
}

// RetryPolicy is the backoff of failed attempts. Zero fields take the
// defaults: Base 5 s, Factor 2, Cap 10 min, MaxAttempts 5.
type RetryPolicy struct {
	Base        time.Duration
	Factor      float64
	Cap         time.Duration
	MaxAttempts int
}

// Defaults of RetryPolicy and Config.
const (
	DefaultRetryBase       = 5 * time.Second
	DefaultRetryFactor     = 2.0
	DefaultRetryCap        = 10 * time.Minute
	DefaultMaxAttempts     = 5
	DefaultStallAfter      = 2 * time.Minute
	DefaultNoProgressAfter = 30 * time.Minute
	DefaultHeartbeatEvery  = 2 * time.Second
)

// Normalized returns p with its zero fields at the defaults.
func (p RetryPolicy) Normalized() RetryPolicy {
	if p.Base <= 0 {
		p.Base = DefaultRetryBase
	}
	if p.Factor < 1 {
		p.Factor = DefaultRetryFactor
	}
	if p.Cap <= 0 {
		p.Cap = DefaultRetryCap
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	return p
}

// NextRetryAt returns when attempt number attempt+1 may start after
// attempt (1-based) failed at now: Base×Factor^(attempt-1), capped, with
// "equal jitter" (half fixed, half rnd()-scaled). rnd returns [0,1); nil
// means no jitter (the upper bound).
func NextRetryAt(now time.Time, attempt int, p RetryPolicy, rnd func() float64) time.Time {
	p = p.Normalized()
	d := float64(p.Base) * math.Pow(p.Factor, float64(max(attempt, 1)-1))
	if d > float64(p.Cap) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(p.Cap)
	}
	j := 1.0
	if rnd != nil {
		j = rnd()
	}
	return now.Add(time.Duration(d/2 + d/2*j))
}
