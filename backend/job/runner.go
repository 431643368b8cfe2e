// Package job is the durable stage engine: jobs of ordered stages with a
// state machine (types.go: the only place that says which moves are legal),
// a Runner that runs stage bodies in a bounded worker pool, heartbeats,
// a Rescuer for stalled stages, retries with backoff, cancel, skip,
// re-runs that mark downstream stages stale, crash recovery from
// checkpoints, throughput-learned ETA and throttled events.
//
// Decisions:
//   - The Store (package sqlite) is the source of truth; the runner keeps
//     only what it needs to drive stages and every transition is a
//     compare-and-set on the stored status, so two processes on one data
//     folder cannot both run a stage.
//   - A failed attempt that will be retried goes back to pending with the
//     error kept and NextRetryAt set; only the last failure ends in error.
//     Finished stages (ok/error/skipped) never move again: a re-run is a
//     new job.
//   - Errors are retried unless marked Permanent or typed with a code that
//     waiting cannot fix (IsPermanent); panics are ERR_INTERNAL, not
//     retried, with the stack only in the log.
//   - A stage that fails makes the stages after it in the same job end in
//     error (ERR_CANCELED, "not run"), so Wait always returns.
//   - Heartbeat = a sign of life from the body (any Reporter call) recorded
//     by the runner every HeartbeatEvery; a body silent for StallAfter is
//     stalled; a body alive but without new progress for NoProgressAfter is
//     only flagged slow.
//   - This package imports no vision package and not package sqlite.
package job

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// Config configures a Runner. Zero values take the defaults.
type Config struct {
	Store           Store
	Notifier        Notifier
	Logger          *slog.Logger
	Now             func() time.Time
	HeavyWorkers    int           // heavy stages at a time (default 1)
	StallAfter      time.Duration // default 2 min
	NoProgressAfter time.Duration // default 30 min
	HeartbeatEvery  time.Duration // default 2 s
	RescueEvery     time.Duration // how often the Rescuer looks (default min(StallAfter/4, 5 s))
	Retry           RetryPolicy
	Owner           string // default pid@host/start#nonce
	Rand            func() float64
}

// Request asks for stages of one episode.
type Request struct {
	EpisodeKey string
	Mode       string
	Stages     []string // empty → every stage the runner knows, in order
	Settings   json.RawMessage
	Rerun      bool // run even if the artifacts are complete (no skip)
}

// Runner runs jobs.
type Runner struct {
	cfg  Config
	defs []StageDef
}

// NewRunner returns a runner for the stages defs (in pipeline order).
func NewRunner(cfg Config, defs ...StageDef) *Runner {
	cfg.HeavyWorkers = cmp.Or(cfg.HeavyWorkers, 1)
	return &Runner{cfg: cfg, defs: defs}
}

// Start recovers stages left running by dead owners and starts the workers
// and the Rescuer.
func (r *Runner) Start(ctx context.Context) error { return nil }

// Submit creates a job for req, or returns the equal unfinished job with
// existing=true.
func (r *Runner) Submit(ctx context.Context, req Request) (j Job, existing bool, err error) {
	return Job{}, false, nil
}

// Cancel cancels a job: its running stage's context is canceled and every
// unfinished stage ends in error with ERR_CANCELED (artifacts are kept).
func (r *Runner) Cancel(ctx context.Context, jobID string) error { return nil }

// Wait blocks until every stage of the job is ok, error or skipped.
func (r *Runner) Wait(ctx context.Context, jobID string) (Job, error) { return Job{}, nil }

// StageView returns, per stage of the job, the same fields as Event
// (rate, ETA and slow flag included while it runs).
func (r *Runner) StageView(ctx context.Context, jobID string) ([]Event, error) { return nil, nil }

// Close stops the runner: running stages are canceled and put back to
// pending, so the next Start resumes them.
func (r *Runner) Close() error { return nil }
