package remote

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"castscope/backend/errs"
	"castscope/backend/job"
)

// stageTimeout bounds one attempt of one stage from its start; stalls are
// the heartbeat timeout's to catch, this only ends a stage that heartbeats
// forever.
const stageTimeout = 24 * time.Hour

// RetryPolicy is the local backoff as Temporal's: the same first wait,
// factor, cap and attempts, with the permanent codes non-retryable.
func RetryPolicy(p job.RetryPolicy) *temporal.RetryPolicy {
	p = p.Normalized()
	return &temporal.RetryPolicy{
		InitialInterval:        p.Base,
		BackoffCoefficient:     p.Factor,
		MaximumInterval:        p.Cap,
		MaximumAttempts:        int32(p.MaxAttempts),
		NonRetryableErrorTypes: permanentCodes(),
	}
}

// permanentCodes are the error types Temporal must not retry: the codes
// job.IsPermanent calls permanent.
func permanentCodes() []string {
	var out []string
	for _, c := range errs.Codes() {
		if job.IsPermanent(errs.New(c, "", "")) {
			out = append(out, string(c))
		}
	}
	return out
}

// EpisodeWorkflow runs an episode's stages in order, one activity each on
// its queue, and keeps their state for the "progress" query. It ends with
// the final Progress; a failed stage fails it with the stage's typed code
// (the Progress in the failure's details), a cancel cancels it (the same).
func EpisodeWorkflow(ctx workflow.Context, in Input) (Progress, error) {
	p := Progress{JobID: in.JobID, EpisodeKey: in.EpisodeKey, Episode: in.Episode}
	maxAttempts := in.Retry.Normalized().MaxAttempts
	for _, n := range in.Stages {
		p.Stages = append(p.Stages, job.Stage{Name: n, Status: job.StatusPending, MaxAttempts: maxAttempts})
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return p, nil }); err != nil {
		return p, err
	}
	hb := in.HeartbeatTimeout
	if hb <= 0 {
		hb = job.DefaultStallAfter
	}
	policy := RetryPolicy(in.Retry)

	// endRest ends every stage after i as canceled, for why.
	endRest := func(i int, why string) {
		now := workflow.Now(ctx)
		for k := i + 1; k < len(p.Stages); k++ {
			st := &p.Stages[k]
			st.Status, st.FinishedAt = job.StatusCanceled, &now
			st.Error = &job.StageError{Code: string(errs.Canceled), Message: why}
		}
		p.Done = true
	}
	for i, name := range in.Stages {
		now := workflow.Now(ctx)
		st := &p.Stages[i]
		// Running from the workflow's view; until a worker takes it the
		// submitter shows it pending (Follow reads the activity's state).
		st.Status, st.StartedAt, st.Attempt = job.StatusRunning, &now, 1
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			TaskQueue:           QueueOf(name),
			StartToCloseTimeout: stageTimeout,
			HeartbeatTimeout:    hb,
			RetryPolicy:         policy,
			WaitForCancellation: true,
		})
		var out StageOutcome
		err := workflow.ExecuteActivity(actx, ActivityName(name), StageInput{
			JobID: in.JobID, EpisodeKey: in.EpisodeKey, Mode: in.Mode, Stage: name, Settings: in.Settings,
			Rerun: in.Rerun, Episode: p.Episode, Context: in.Context, LastFingerprint: in.LastFingerprints[name],
		}).Get(ctx, &out)
		end := workflow.Now(ctx)
		st.FinishedAt = &end
		if err == nil {
			st.Status, st.Result, st.SkipReason, st.Fingerprint, st.Owner = out.Status, out.Result, out.SkipReason, out.Fingerprint, out.Worker
			if !out.StartedAt.IsZero() {
				st.StartedAt = &out.StartedAt
			}
			if out.Episode != nil {
				p.Episode = out.Episode
			}
			continue
		}
		if temporal.IsCanceledError(err) || ctx.Err() != nil {
			st.Status = job.StatusCanceled
			st.Error = &job.StageError{Code: string(errs.Canceled), Message: "The job was canceled."}
			endRest(i, "The job was canceled.")
			return p, temporal.NewCanceledError(p)
		}
		st.Status, st.Error = job.StatusError, stageErrorOf(name, err)
		endRest(i, fmt.Sprintf("Not run: stage %s failed.", name))
		return p, temporal.NewNonRetryableApplicationError(st.Error.Message, st.Error.Code, nil, p)
	}
	p.Done = true
	return p, nil
}

// stageErrorOf turns an activity's failure into the stage's typed error:
// the activity's own (its type is the code, its details the StageError),
// or ERR_STAGE_STALLED when its heartbeats stopped on the last attempt.
func stageErrorOf(stage string, err error) *job.StageError {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		var se job.StageError
		if app.HasDetails() && app.Details(&se) == nil && se.Code != "" {
			return &se
		}
		return &job.StageError{Code: app.Type(), Message: app.Message()}
	}
	var to *temporal.TimeoutError
	if errors.As(err, &to) {
		return &job.StageError{Code: string(errs.StageStalled),
			Message: fmt.Sprintf("Stage %s stopped reporting progress (%s timeout) on every attempt.", stage, to.TimeoutType()),
			Hint:    "Check that the workers are running and can reach the shared folder, then run the episode again."}
	}
	e := errs.As(err)
	return &job.StageError{Code: string(e.Code), Message: e.Message, Hint: e.Hint}
}
