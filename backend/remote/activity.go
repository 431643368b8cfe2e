package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"castscope/backend/errs"
	"castscope/backend/job"
)

// Bound is what a worker runs one activity with: the stage definitions
// built over the activity's episode, and the episode record after the
// stage (nil when the stage left it unchanged).
type Bound struct {
	Stages  []job.StageDef
	Episode func() json.RawMessage
}

// Build binds the stages to one activity's input (the service builds them
// over a registry made of the input's episode and context).
type Build func(in StageInput) (Bound, error)

// heartbeatEvery is the most often a stage's progress is heartbeated (the
// SDK throttles further, see WorkerOptions).
const heartbeatEvery = 250 * time.Millisecond

// Checkpoints keep stage checkpoints durably (a file on the shared
// folder): a heartbeat's details reach Temporal up to a throttle interval
// after they are recorded, so a worker killed right after a checkpoint
// could leave the one before it; with Checkpoints, SaveCheckpoint is
// durable when it returns, as the local engine's is.
type Checkpoints interface {
	Load(jobID, stage string) (json.RawMessage, error) // nil when none
	Save(jobID, stage string, cp json.RawMessage) error
}

// activities runs stage bodies as activities.
type activities struct {
	build    Build
	cps      Checkpoints
	identity string
	log      *slog.Logger
}

// stage returns the activity function of one stage.
func (a *activities) stage(name string) func(ctx context.Context, in StageInput) (StageOutcome, error) {
	return func(ctx context.Context, in StageInput) (StageOutcome, error) {
		in.Stage = name
		return a.run(ctx, in)
	}
}

func (a *activities) run(ctx context.Context, in StageInput) (out StageOutcome, err error) {
	info := activity.GetInfo(ctx)
	out.Worker, out.StartedAt = a.identity, info.StartedTime
	logf := func(level slog.Level, text string) {
		a.log.Log(ctx, level, job.LogText(in.Stage, in.EpisodeKey, text), job.LogKeyJobID, in.JobID)
	}
	defer func() {
		if p := recover(); p != nil {
			logf(slog.LevelError, fmt.Sprintf("panic: %v\n%s", p, debug.Stack()))
			err = activityError(errs.New(errs.Internal, fmt.Sprintf("Stage %s crashed: %v.", in.Stage, p), "Report this with the worker's log."))
		}
	}()
	bound, err := a.build(in)
	if err != nil {
		return out, activityError(err)
	}
	var def *job.StageDef
	for i := range bound.Stages {
		if bound.Stages[i].Name == in.Stage {
			def = &bound.Stages[i]
		}
	}
	if def == nil {
		return out, activityError(errs.New(errs.Usage, fmt.Sprintf("This worker has no stage %q.", in.Stage), "Run the same Castscope version on every worker."))
	}
	j := in.Job()
	if def.Fingerprint != nil {
		fp, ferr := def.Fingerprint(ctx, j)
		if ferr != nil {
			logf(slog.LevelWarn, "fingerprint failed, the stage will run: "+ferr.Error())
		}
		out.Fingerprint = fp
	}
	if out.Fingerprint != "" && !in.Rerun && def.Complete != nil && info.Attempt == 1 &&
		in.LastFingerprint == out.Fingerprint && def.Complete(ctx, j) {
		logf(slog.LevelInfo, `stage=end status=skipped reason="outputs complete and inputs unchanged"`)
		out.Status, out.SkipReason = job.StatusSkipped, "outputs complete and inputs unchanged"
		return out, nil
	}
	r := &reporter{ctx: ctx, job: j, logf: logf, advanced: time.Now(), cps: a.cps}
	if activity.HasHeartbeatDetails(ctx) {
		var hb Heartbeat
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil {
			r.hb.Checkpoint = hb.Checkpoint
		}
	}
	if a.cps != nil { // the durable copy, as new as the details or newer
		if cp, err := a.cps.Load(in.JobID, in.Stage); err != nil {
			logf(slog.LevelWarn, "reading the checkpoint failed: "+errs.As(err).Message)
		} else if len(cp) > 0 {
			r.hb.Checkpoint = cp
		}
	}
	logf(slog.LevelInfo, fmt.Sprintf("stage=start job_id=%s attempt=%d/%d worker=%s", in.JobID, info.Attempt, maxAttempts(info), a.identity))
	stopBeats := r.beat(time.Second, job.DefaultNoProgressAfter)
	res, err := def.Run(ctx, r)
	stopBeats()
	if errors.Is(err, job.ErrSkip) {
		out.Status, out.SkipReason = job.StatusSkipped, trimSkip(err.Error())
		logf(slog.LevelInfo, fmt.Sprintf("stage=end status=skipped reason=%q", out.SkipReason))
		return out, nil
	}
	if err != nil && ctx.Err() != nil {
		// Canceled (the workflow was) or the worker stops: Temporal
		// records a cancel, or retries the attempt elsewhere.
		logf(slog.LevelInfo, fmt.Sprintf("stage=end status=canceled attempt=%d", info.Attempt))
		return out, ctx.Err()
	}
	if err != nil {
		e := errs.As(err)
		logf(slog.LevelError, fmt.Sprintf("stage=end status=error code=%s attempt=%d message=%q", e.Code, info.Attempt, e.Message))
		return out, activityError(err)
	}
	if res != nil {
		b, merr := json.Marshal(res)
		if merr != nil {
			return out, activityError(fmt.Errorf("remote: encode the %s result: %w", in.Stage, merr))
		}
		out.Result = b
	}
	if bound.Episode != nil {
		out.Episode = bound.Episode()
	}
	out.Status = job.StatusOK
	logf(slog.LevelInfo, fmt.Sprintf("stage=end status=ok attempt=%d", info.Attempt))
	return out, nil
}

func maxAttempts(info activity.Info) int32 {
	if info.RetryPolicy != nil && info.RetryPolicy.MaximumAttempts > 0 {
		return info.RetryPolicy.MaximumAttempts
	}
	return 0
}

func trimSkip(s string) string {
	const p = "job: stage skipped: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// activityError is err as Temporal carries it: an application error whose
// type is the typed code and whose details are the StageError users see,
// non-retryable when job.IsPermanent says waiting cannot fix it.
func activityError(err error) error {
	se := job.StageErrorOf(err)
	opts := temporal.ApplicationErrorOptions{NonRetryable: job.IsPermanent(err), Details: []any{se}}
	return temporal.NewApplicationErrorWithOptions(se.Message, se.Code, opts)
}

// reporter is job.Reporter over an activity: progress and checkpoints are
// heartbeat details, log lines go to the worker's log.
type reporter struct {
	ctx  context.Context
	job  job.Job
	logf func(slog.Level, string)
	cps  Checkpoints

	mu       sync.Mutex
	hb       Heartbeat
	last     time.Time // last heartbeat sent
	advanced time.Time // last time the work advanced (done grew, a checkpoint)
}

// beat heartbeats every period while the stage body runs, as the local
// runner does, so a stage that reports rarely (a long clustering) is not
// taken for dead; but only while its work advances: a body stuck for
// stuck stops heart-beating, Temporal's heartbeat timeout fails the
// attempt and it is retried — the stall the local engine calls
// ERR_STAGE_STALLED. It returns the function that stops it.
func (r *reporter) beat(period, stuck time.Duration) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			r.mu.Lock()
			alive := time.Since(r.advanced) < stuck
			hb := r.hb
			r.mu.Unlock()
			if alive {
				activity.RecordHeartbeat(r.ctx, hb)
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func (r *reporter) Progress(done, total int64, unit string) {
	r.mu.Lock()
	if done != r.hb.Progress.Done {
		r.advanced = time.Now()
	}
	r.hb.Progress = job.Progress{Done: done, Total: total, Unit: unit}
	send := time.Since(r.last) >= heartbeatEvery || done >= total
	if send {
		r.last = time.Now()
	}
	hb := r.hb
	r.mu.Unlock()
	if send {
		activity.RecordHeartbeat(r.ctx, hb)
	}
}

func (r *reporter) Checkpoint() json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hb.Checkpoint
}

// SaveCheckpoint stores the checkpoint durably (Checkpoints) and
// heartbeats it. Temporal keeps the details of the last heartbeat that
// reached it, which a worker killed right after may not have sent.
func (r *reporter) SaveCheckpoint(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("remote: encode checkpoint: %w", err)
	}
	if r.cps != nil {
		if err := r.cps.Save(r.job.ID, r.job.Stages[0].Name, b); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.hb.Checkpoint = b
	r.last, r.advanced = time.Now(), time.Now()
	hb := r.hb
	r.mu.Unlock()
	activity.RecordHeartbeat(r.ctx, hb)
	return nil
}

func (r *reporter) Logf(format string, args ...any) {
	r.logf(slog.LevelInfo, fmt.Sprintf(format, args...))
}

func (r *reporter) Job() job.Job { return r.job }
