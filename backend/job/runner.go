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
//   - A failed attempt that will be retried is retrying, with the error
//     kept and NextRetryAt set; only the last failure ends in error.
//     Finished stages (ok/error/skipped/canceled) never move again: a
//     re-run is a new job. The states and who moves each are declared
//     together in types.go.
//   - Errors are retried unless marked Permanent or typed with a code that
//     waiting cannot fix (IsPermanent); panics are ERR_INTERNAL, not
//     retried, with the stack only in the log.
//   - A stage that fails makes the stages after it in the same job end in
//     canceled (ERR_CANCELED, "not run"), so Wait always returns.
//   - Heartbeat = a sign of life from the body (any Reporter call) recorded
//     by the runner every HeartbeatEvery; a body silent for StallAfter is
//     stalled; a body alive but without new progress for NoProgressAfter is
//     only flagged slow.
//   - Crash recovery: a stage left running by a dead owner (pid gone, or a
//     closed runner of this process) goes back to pending and resumes from
//     its checkpoint; that crashed attempt does not count against
//     MaxAttempts. Close does the same for the stages it interrupts.
//   - Workers (Config.Worker, worker.go): stage bodies run in a supervised
//     child process, so native code that crashes kills the worker, not the
//     app; the attempt fails with ERR_STAGE_CRASHED naming the signal and
//     is retried with backoff like any failed attempt. Only a worker that
//     dies by itself counts against a stage; an app killed or closed does
//     not. Without workers (tests, embedding) the runner cannot tell the
//     two apart: a stage whose process died CrashLimit times in a row
//     without saving a checkpoint in between ends in ERR_STAGE_CRASHED, so
//     a stage that crashes the app is not resumed on every start.
//   - A re-run stage that ends ok marks the ok/skipped records of every
//     later stage of the episode in earlier jobs stale; a failed re-run
//     changes nothing. A stale record never satisfies the skip check.
//   - ETA: EWMA of the live rate once 3 samples (≥ 1 s each) exist; before
//     that the stage's remembered rate for the same rate key (SetRateKey:
//     provider, resolution…) — "history"; else "learning", never past 10 %
//     of the work or 30 s (then the average rate so far, "live").
//   - Events: every status change at once; progress at most every 250 ms
//     per stage (the held-back one follows with the next heartbeat).
//   - This package imports no project package but errs: the registry
//     (episode keys: Config.ValidateKey), the log file (logx) and the
//     store (sqlite) depend on it, never the other way.
package job

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"castscope/backend/errs"
)

// Config configures a Runner. Zero values take the defaults.
type Config struct {
	Store           Store
	Notifier        Notifier
	Logger          *slog.Logger
	Now             func() time.Time // reads the time (default Clock.Now)
	Clock           Clock            // waits and tickers too (default the wall clock)
	HeavyWorkers    int              // heavy stages at a time (default 1)
	StallAfter      time.Duration    // default 2 min
	NoProgressAfter time.Duration    // default 30 min
	HeartbeatEvery  time.Duration    // default 2 s
	RescueEvery     time.Duration    // how often the Rescuer looks (default min(StallAfter/4, 5 s))
	Retry           RetryPolicy
	Owner           string         // default pid@host/start#nonce
	Rand            func() float64 // jitter source (default math/rand)
	// Worker starts a worker process for each attempt (worker.go); nil
	// runs stage bodies in this process.
	Worker WorkerCommand
	// ValidateKey checks a request's episode key (the registry's rule;
	// nil: a plain name, safe in file names and job ids).
	ValidateKey func(key string) error
}

// Request asks for stages of one episode.
type Request struct {
	EpisodeKey string
	Mode       string
	Stages     []string // empty → every stage the runner knows, in order
	Settings   json.RawMessage
	Rerun      bool // run even if the artifacts are complete (no skip)
	// Driver, when set, records the job for another driver to run (see
	// Job.Driver): Submit stores it and leaves it to that driver.
	Driver string
}

// progressEvery is the minimum spacing of progress events per stage.
const progressEvery = 250 * time.Millisecond

// closeGrace is how long Close waits for a stage body to return.
const closeGrace = 5 * time.Second

// CrashLimit is how many times in a row a stage's process may die while
// it runs, with no checkpoint saved in between, before recovery fails the
// stage with ERR_STAGE_CRASHED instead of resuming it.
const CrashLimit = 3

var (
	errClosing  = errors.New("job: runner closing")
	errCanceled = errors.New("job: canceled")
	errStalled  = errors.New("job: stage stalled")
	errLost     = errors.New("job: stage taken over")
	// ErrClosed is returned by calls on a closed runner.
	ErrClosed = errors.New("job: runner closed")
)

// Runner runs jobs. Create with NewRunner, then Start.
type Runner struct {
	cfg    Config
	defs   []StageDef
	byName map[string]int
	store  Store
	log    *slog.Logger
	now    func() time.Time
	clock  Clock
	rescue *Rescuer
	rnd    func() float64
	owner  string
	nonce  string
	retry  RetryPolicy
	heavy  chan struct{}
	// stallAfter is cfg.StallAfter, changeable while running (SetStallAfter).
	stallAfter atomic.Int64
	// fixed are the periods Config set; zero ones follow the stall timeout.
	fixed struct{ heartbeat, rescue time.Duration }

	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	spareMu sync.Mutex
	spare   *workerProc // started ahead for the next attempt (worker.go)

	mu      sync.Mutex
	jobs    map[string]*jobRun
	started bool
	closed  bool
}

type jobRun struct {
	id       string
	exit     chan struct{} // closed when the driver returns
	cancelCh chan struct{}
	once     sync.Once

	err error // why the driver stopped early (set before exit closes)

	mu  sync.Mutex
	job Job
	cur *stageRun
}

func (jr *jobRun) snapshot() Job {
	jr.mu.Lock()
	defer jr.mu.Unlock()
	j := jr.job
	j.Stages = append([]Stage(nil), jr.job.Stages...)
	return j
}

func (jr *jobRun) canceled() bool {
	select {
	case <-jr.cancelCh:
		return true
	default:
		return false
	}
}

// NewRunner returns a runner for the stages defs (in pipeline order).
func NewRunner(cfg Config, defs ...StageDef) *Runner {
	r := &Runner{cfg: cfg, defs: defs, byName: map[string]int{}, store: cfg.Store, jobs: map[string]*jobRun{}}
	for i, d := range defs {
		r.byName[d.Name] = i
	}
	r.log = cfg.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.now = cfg.Now
	if r.now == nil {
		r.now = time.Now
	}
	r.clock = cfg.Clock
	switch {
	case r.clock == nil:
		r.clock = realClock{now: r.now}
	case cfg.Now == nil:
		r.now = r.clock.Now
	}
	r.rescue = &Rescuer{r: r, clock: r.clock}
	r.rnd = cfg.Rand
	if r.rnd == nil {
		r.rnd = rand.Float64
	}
	r.owner, r.nonce = newOwner()
	if cfg.Owner != "" {
		r.owner = cfg.Owner
	}
	r.retry = cfg.Retry.Normalized()
	r.cfg.HeavyWorkers = cmp.Or(cfg.HeavyWorkers, 1)
	r.cfg.StallAfter = cmp.Or(cfg.StallAfter, DefaultStallAfter)
	r.fixed.heartbeat, r.fixed.rescue = cfg.HeartbeatEvery, cfg.RescueEvery
	r.cfg.NoProgressAfter = cmp.Or(cfg.NoProgressAfter, DefaultNoProgressAfter)
	r.stallAfter.Store(int64(r.cfg.StallAfter))
	r.heavy = make(chan struct{}, r.cfg.HeavyWorkers)
	r.ctx, r.cancel = context.WithCancelCause(context.Background())
	return r
}

// heartbeatEvery is the heartbeat period: Config.HeartbeatEvery, or a
// quarter of the stall timeout in effect (at most 2 s).
func (r *Runner) heartbeatEvery() time.Duration {
	return cmp.Or(r.fixed.heartbeat, min(DefaultHeartbeatEvery, r.stall()/4))
}

// rescueEvery is how often the Rescuer looks: Config.RescueEvery, or a
// quarter of the stall timeout in effect (at most 5 s).
func (r *Runner) rescueEvery() time.Duration {
	return cmp.Or(r.fixed.rescue, min(5*time.Second, r.stall()/4))
}

// SetStallAfter changes how long a running stage may stay silent before it
// is failed with ERR_STAGE_STALLED, for stages running now and later (the
// Settings panel); the heartbeat and rescue periods follow it from their
// next tick. A d of zero or less is ignored.
func (r *Runner) SetStallAfter(d time.Duration) {
	if d > 0 {
		r.stallAfter.Store(int64(d))
	}
}

// StallAfter is the stall timeout in effect.
func (r *Runner) StallAfter() time.Duration { return r.stall() }

func (r *Runner) stall() time.Duration { return time.Duration(r.stallAfter.Load()) }

// Owner returns the owner string this runner writes on running stages.
func (r *Runner) Owner() string { return r.owner }

// Start recovers stages left running by dead owners (they resume from
// their checkpoint), adopts every unfinished job, and starts the Rescuer.
func (r *Runner) Start(ctx context.Context) error {
	if r.store == nil {
		return errors.New("job: Config.Store is nil")
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	if r.started {
		r.mu.Unlock()
		return nil
	}
	r.started = true
	r.mu.Unlock()
	liveRunners.Store(r.nonce, true)
	if _, err := r.Rescue(ctx); err != nil {
		return err
	}
	active, err := r.store.ActiveJobs(ctx)
	if err != nil {
		return err
	}
	for _, j := range active {
		r.adopt(j)
	}
	r.wg.Add(1)
	go func() { defer r.wg.Done(); r.rescue.run(r.ctx) }()
	return nil
}

// adopt starts driving j unless this runner already does.
func (r *Runner) adopt(j Job) *jobRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	if jr, ok := r.jobs[j.ID]; ok {
		return jr
	}
	if r.closed || !r.started || j.FinishedAt != nil || j.Driver != "" {
		return nil
	}
	jr := &jobRun{id: j.ID, exit: make(chan struct{}), cancelCh: make(chan struct{}), job: j}
	if j.Canceled {
		close(jr.cancelCh)
	}
	r.jobs[j.ID] = jr
	r.wg.Add(1)
	go r.drive(jr)
	return jr
}

// Submit creates a job for req, or returns the equal unfinished job (same
// episode, stages, settings and rerun flag) with existing=true.
func (r *Runner) Submit(ctx context.Context, req Request) (j Job, existing bool, err error) {
	validate := r.cfg.ValidateKey
	if validate == nil {
		validate = checkKey
	}
	if err := validate(req.EpisodeKey); err != nil {
		return Job{}, false, err
	}
	names, err := r.orderStages(req.Stages)
	if err != nil {
		return Job{}, false, err
	}
	settings := req.Settings
	if len(settings) > 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, settings); err != nil {
			return Job{}, false, errs.Wrap(errs.Usage, err, "The job settings are not valid JSON.", "Pass the settings as a JSON object.")
		}
		settings = json.RawMessage(b.Bytes())
	}
	mode := slugMode(cmp.Or(req.Mode, "run"))
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%v", req.EpisodeKey, strings.Join(names, ","), settings, req.Rerun)
	sig := hex.EncodeToString(h.Sum(nil))
	now := r.now().UTC().Truncate(time.Millisecond)
	j = Job{
		ID:         fmt.Sprintf("%s_%s_%s", mode, req.EpisodeKey, now.Format("20060102T150405.000")),
		EpisodeKey: req.EpisodeKey, Mode: mode, Settings: settings, Rerun: req.Rerun, Driver: req.Driver, CreatedAt: now,
	}
	j.ID = strings.Replace(j.ID, ".", "", 1)
	for _, n := range names {
		j.Stages = append(j.Stages, Stage{Name: n, Status: StatusPending, MaxAttempts: r.retry.MaxAttempts})
	}
	if r.isClosed() {
		return Job{}, false, ErrClosed
	}
	got, existing, err := r.store.CreateJob(ctx, j, sig)
	if err != nil {
		return Job{}, false, err
	}
	if existing {
		r.jobLog(got, slog.LevelInfo, fmt.Sprintf("submit existing job_id=%s", got.ID))
	} else {
		r.jobLog(got, slog.LevelInfo, fmt.Sprintf("submit job_id=%s mode=%s stages=%s rerun=%v", got.ID, got.Mode, strings.Join(names, ","), req.Rerun))
		for _, st := range got.Stages {
			r.notify(r.event(got, st, nil))
		}
	}
	r.adopt(got)
	return got, existing, nil
}

func (r *Runner) orderStages(req []string) ([]string, error) {
	if len(req) == 0 {
		out := make([]string, len(r.defs))
		for i, d := range r.defs {
			out[i] = d.Name
		}
		if len(out) == 0 {
			return nil, errs.New(errs.Usage, "There are no stages to run.", "")
		}
		return out, nil
	}
	want := map[string]bool{}
	for _, n := range req {
		if _, ok := r.byName[n]; !ok {
			return nil, errs.New(errs.Usage, fmt.Sprintf("There is no stage %q.", n), "Stages: "+strings.Join(r.stageNames(), ", ")+".")
		}
		want[n] = true
	}
	var out []string
	for _, d := range r.defs {
		if want[d.Name] {
			out = append(out, d.Name)
		}
	}
	return out, nil
}

func (r *Runner) stageNames() []string {
	out := make([]string, len(r.defs))
	for i, d := range r.defs {
		out[i] = d.Name
	}
	return out
}

func slugMode(m string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(m) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "run"
	}
	if len(s) > 32 {
		s = s[:32]
	}
	return s
}

func (r *Runner) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Cancel cancels a job: the running stage's context is canceled and every
// unfinished stage ends canceled (ERR_CANCELED) (artifacts are kept).
// A job run by another process is flagged; its runner sees the flag on its
// next heartbeat.
func (r *Runner) Cancel(ctx context.Context, jobID string) error {
	if err := r.store.RequestCancel(ctx, jobID); err != nil {
		return err
	}
	r.mu.Lock()
	jr := r.jobs[jobID]
	r.mu.Unlock()
	if jr != nil {
		jr.once.Do(func() { close(jr.cancelCh) })
		jr.mu.Lock()
		if sr := jr.cur; sr != nil {
			sr.cancel(errCanceled)
		}
		jr.mu.Unlock()
		return nil
	}
	// Not driven here: end the pending stages if no stage runs anywhere.
	j, err := r.store.Job(ctx, jobID)
	if err != nil {
		return err
	}
	for _, st := range j.Stages {
		if st.Status == StatusRunning {
			return nil
		}
	}
	now := r.now()
	for _, st := range j.Stages {
		if st.Status == StatusPending || st.Status == StatusRetrying {
			next := st
			next.Status, next.Error, next.FinishedAt, next.NextRetryAt = StatusCanceled, canceledError(), &now, nil
			if err := r.store.UpdateStage(ctx, jobID, next, st.Status, ""); err != nil && !errors.Is(err, ErrConflict) {
				return err
			}
			r.notify(r.event(j, next, nil))
		}
	}
	return r.store.FinishJob(ctx, jobID, now)
}

func canceledError() *StageError {
	return &StageError{Code: string(errs.Canceled), Message: "The job was canceled.", Hint: "Run it again when you are ready; finished outputs were kept."}
}

// Wait blocks until every stage of the job is ok, error, skipped or canceled and
// returns the job as stored.
func (r *Runner) Wait(ctx context.Context, jobID string) (Job, error) {
	for {
		r.mu.Lock()
		jr := r.jobs[jobID]
		r.mu.Unlock()
		if jr != nil {
			select {
			case <-jr.exit:
			case <-ctx.Done():
				return Job{}, ctx.Err()
			}
		}
		j, err := r.store.Job(ctx, jobID)
		if err != nil {
			return Job{}, err
		}
		if j.Done() && j.FinishedAt != nil {
			// the JSON exports are right by the time Wait returns
			if err := r.store.Flush(ctx); err != nil {
				r.log.Warn("writing the JSON exports failed; they will be retried", "job_id", jobID, "error", err)
			}
			return j, nil
		}
		if jr != nil && jr.err != nil {
			return j, jr.err
		}
		if r.isClosed() {
			return j, ErrClosed
		}
		select { // run by another process, or between drivers: poll
		case <-r.clock.After(100 * time.Millisecond):
		case <-ctx.Done():
			return Job{}, ctx.Err()
		}
	}
}

// Close stops the runner: running stages are canceled and put back to
// pending (they resume on the next Start). It waits up to a few seconds
// for stage bodies to return.
func (r *Runner) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.cancel(errClosing)
	r.dropSpare()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-r.clock.After(closeGrace + 2*time.Second):
		r.log.Warn("runner closed with stage bodies still running")
	}
	liveRunners.Delete(r.nonce)
	return nil
}
