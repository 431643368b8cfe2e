package remote

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"castscope/backend/errs"
	"castscope/backend/job"
)

// memoJobID names the job id in a workflow's memo, so a submitter that
// attaches to a running workflow learns which job it is.
const memoJobID = "job_id"

// Submitted is what Submit did.
type Submitted struct {
	WorkflowID string
	RunID      string
	JobID      string // the job the workflow runs (another submitter's when Attached)
	Attached   bool   // the episode's workflow was already running: no second one started
}

// Submit starts the episode's workflow, or attaches to the one running:
// the id conflict policy makes the server decide, so two submitters racing
// start one workflow.
func Submit(ctx context.Context, c client.Client, in Input) (Submitted, error) {
	id := WorkflowID(in.EpisodeKey)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                QueueWorkflows,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		Memo:                     map[string]any{memoJobID: in.JobID},
	}, WorkflowName, in)
	if err != nil {
		return Submitted{}, unavailable(err, "start the workflow of "+in.EpisodeKey)
	}
	s := Submitted{WorkflowID: id, RunID: run.GetRunID(), JobID: in.JobID}
	d, err := c.DescribeWorkflowExecution(ctx, id, s.RunID)
	if err != nil {
		return s, unavailable(err, "describe "+id)
	}
	if f := d.GetWorkflowExecutionInfo().GetMemo().GetFields()[memoJobID]; f != nil {
		var jid string
		if converter.GetDefaultDataConverter().FromPayload(f, &jid) == nil && jid != "" && jid != in.JobID {
			s.JobID, s.Attached = jid, true
		}
	}
	return s, nil
}

// Running returns the run id of the episode's workflow when one runs.
func Running(ctx context.Context, c client.Client, key string) (string, bool, error) {
	d, err := c.DescribeWorkflowExecution(ctx, WorkflowID(key), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return "", false, nil
	}
	if err != nil {
		return "", false, unavailable(err, "describe "+WorkflowID(key))
	}
	info := d.GetWorkflowExecutionInfo()
	return info.GetExecution().GetRunId(), info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

// Cancel asks the episode's running workflow to cancel: the stage running
// stops at its next heartbeat, the rest end canceled.
func Cancel(ctx context.Context, c client.Client, key string) error {
	if err := c.CancelWorkflow(ctx, WorkflowID(key), ""); err != nil {
		return unavailable(err, "cancel "+WorkflowID(key))
	}
	return nil
}

// PollEvery is how often Follow looks at a workflow.
const PollEvery = 500 * time.Millisecond

// Follow watches the workflow (id, runID) until it closes, calling each
// with its state as it changes — the workflow's own stage records, with
// the running stage's attempt, progress, worker and last failure from the
// pending activity's heartbeat details — and returns its final state.
func Follow(ctx context.Context, c client.Client, workflowID, runID string, each func(Progress)) (Progress, error) {
	var last Progress
	for {
		d, err := c.DescribeWorkflowExecution(ctx, workflowID, runID)
		if err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			return last, unavailable(err, "describe "+workflowID)
		}
		if d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			p, err := final(ctx, c, workflowID, runID, last)
			if each != nil {
				each(p)
			}
			return p, err
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := c.QueryWorkflow(qctx, workflowID, runID, QueryProgress)
		cancel()
		if err == nil {
			var p Progress
			if v.Get(&p) == nil {
				merge(&p, d.GetPendingActivities())
				last = p
				if each != nil {
					each(p)
				}
			}
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(PollEvery):
		}
	}
}

// merge lays the pending activities over the workflow's stage records.
func merge(p *Progress, pending []*workflowpb.PendingActivityInfo) {
	for _, pa := range pending {
		name := stageOfActivity(pa.GetActivityType().GetName())
		for i := range p.Stages {
			st := &p.Stages[i]
			if st.Name != name || st.Status.Terminal() {
				continue
			}
			st.Attempt = int(max(pa.GetAttempt(), 1))
			if m := pa.GetMaximumAttempts(); m > 0 {
				st.MaxAttempts = int(m)
			}
			if pd := pa.GetHeartbeatDetails(); pd != nil {
				var hb Heartbeat
				if converter.GetDefaultDataConverter().FromPayloads(pd, &hb) == nil {
					st.Progress = hb.Progress
				}
			}
			if t := pa.GetLastHeartbeatTime(); t != nil {
				at := t.AsTime()
				st.HeartbeatAt = &at
			}
			st.Owner = pa.GetLastWorkerIdentity()
			if t := pa.GetLastStartedTime(); t != nil && pa.GetState() != enumspb.PENDING_ACTIVITY_STATE_SCHEDULED {
				at := t.AsTime()
				st.StartedAt = &at
			}
			f := pa.GetLastFailure()
			if f == nil && pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_SCHEDULED {
				// Queued for a free worker: not running yet, as a local
				// stage waiting for its worker slot stays pending.
				st.Status, st.StartedAt, st.Attempt = job.StatusPending, nil, 0
				continue
			}
			if f != nil && pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_SCHEDULED {
				st.Status = job.StatusRetrying
				code := f.GetApplicationFailureInfo().GetType()
				if code == "" {
					code = string(errs.StageStalled)
				}
				st.Error = &job.StageError{Code: code, Message: f.GetMessage()}
				if t := pa.GetNextAttemptScheduleTime(); t != nil {
					at := t.AsTime()
					st.NextRetryAt = &at
				}
			}
		}
	}
}

// final is the closed workflow's state: its result, or the Progress its
// failure or cancel carries; a workflow terminated or timed out from
// outside ends its unfinished stages in error.
func final(ctx context.Context, c client.Client, workflowID, runID string, last Progress) (Progress, error) {
	var p Progress
	err := c.GetWorkflow(ctx, workflowID, runID).Get(ctx, &p)
	if err == nil {
		return p, nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.HasDetails() && app.Details(&p) == nil && p.JobID != "" {
		return p, nil
	}
	var can *temporal.CanceledError
	if errors.As(err, &can) && can.HasDetails() && can.Details(&p) == nil && p.JobID != "" {
		return p, nil
	}
	// Terminated, timed out, or a failure without our details.
	p = last
	now := time.Now()
	for i := range p.Stages {
		st := &p.Stages[i]
		if !st.Status.Terminal() {
			st.Status, st.FinishedAt = job.StatusError, &now
			st.Error = &job.StageError{Code: string(errs.Internal), Message: fmt.Sprintf("The workflow %s ended without finishing this stage: %v", workflowID, err),
				Hint: "See the workflow's history in Temporal, then run the episode again."}
		}
	}
	p.Done = true
	return p, nil
}

// unavailable types an error of the Temporal client.
func unavailable(err error, what string) error {
	if errs.CodeOf(err) != "" {
		return err
	}
	return errs.Wrap(errs.RemoteUnavailable, err, fmt.Sprintf("Temporal could not %s.", what), "Check that the Temporal server runs and this machine can reach it.")
}
