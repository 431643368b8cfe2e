package remote

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"castscope/backend/errs"
	"castscope/backend/job"
)

var order = []string{"validate", "extract", "detect", "track", "cluster", "analytics"}

// env is a test workflow environment whose stage activities call body
// (the stage name, its attempt).
func env(t *testing.T, body func(ctx context.Context, stage string, attempt int32) (StageOutcome, error)) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	e := s.NewTestWorkflowEnvironment()
	e.RegisterWorkflow(EpisodeWorkflow)
	for _, n := range order {
		e.RegisterActivityWithOptions(func(ctx context.Context, in StageInput) (StageOutcome, error) {
			return body(ctx, n, activity.GetInfo(ctx).Attempt)
		}, activity.RegisterOptions{Name: ActivityName(n)})
	}
	return e
}

func input() Input {
	return Input{JobID: "full_ep_1", EpisodeKey: "ep", Mode: "full", Stages: order, Episode: json.RawMessage(`{"key":"ep"}`),
		Retry: job.RetryPolicy{Base: time.Second, MaxAttempts: 3}, HeartbeatTimeout: 5 * time.Second}
}

func TestWorkflowRunsTheStagesInOrder(t *testing.T) {
	var mu sync.Mutex
	var ran []string
	var queues []string
	e := env(t, func(ctx context.Context, stage string, _ int32) (StageOutcome, error) {
		mu.Lock()
		ran = append(ran, stage)
		queues = append(queues, activity.GetInfo(ctx).TaskQueue)
		mu.Unlock()
		out := StageOutcome{Status: job.StatusOK, Result: json.RawMessage(`{"n":1}`), Fingerprint: "fp-" + stage}
		if stage == "validate" {
			out.Episode = json.RawMessage(`{"key":"ep","video":{"width":640}}`)
		}
		return out, nil
	})
	e.ExecuteWorkflow(EpisodeWorkflow, input())
	if !e.IsWorkflowCompleted() || e.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed=%v err=%v", e.IsWorkflowCompleted(), e.GetWorkflowError())
	}
	var p Progress
	if err := e.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ran, order) {
		t.Errorf("ran %v, want %v", ran, order)
	}
	for i, q := range queues {
		want := QueueCPU
		if order[i] == "detect" {
			want = QueueGPU
		}
		if q != want {
			t.Errorf("%s ran on %s, want %s", order[i], q, want)
		}
	}
	for _, st := range p.Stages {
		if st.Status != job.StatusOK || st.Fingerprint != "fp-"+st.Name || st.StartedAt == nil || st.FinishedAt == nil {
			t.Errorf("stage %+v", st)
		}
	}
	if !p.Done || string(p.Episode) != `{"key":"ep","video":{"width":640}}` {
		t.Errorf("progress: done=%v episode=%s (validate's probe must reach the later stages)", p.Done, p.Episode)
	}
}

// A permanent typed error fails the workflow at once, with its code and
// no retry; a transient one is retried with backoff and the stage ends ok.
func TestWorkflowRetriesOnlyWhatWaitingCanFix(t *testing.T) {
	attempts := map[string]int32{}
	var mu sync.Mutex
	e := env(t, func(ctx context.Context, stage string, attempt int32) (StageOutcome, error) {
		mu.Lock()
		attempts[stage] = attempt
		mu.Unlock()
		switch {
		case stage == "extract" && attempt == 1:
			return StageOutcome{}, activityError(errs.New(errs.ArtifactWriteFailed, "The disk hiccuped.", ""))
		case stage == "detect":
			return StageOutcome{}, activityError(errs.New(errs.ModelChecksum, "The detector model is corrupt.", "Reinstall."))
		}
		return StageOutcome{Status: job.StatusOK}, nil
	})
	e.ExecuteWorkflow(EpisodeWorkflow, input())
	err := e.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != string(errs.ModelChecksum) {
		t.Fatalf("workflow error %v, want one typed %s", err, errs.ModelChecksum)
	}
	var p Progress
	if err := app.Details(&p); err != nil {
		t.Fatal(err)
	}
	if attempts["extract"] != 2 || attempts["detect"] != 1 {
		t.Errorf("attempts %v: want extract retried once, detect not retried", attempts)
	}
	want := map[string]job.Status{"validate": job.StatusOK, "extract": job.StatusOK, "detect": job.StatusError,
		"track": job.StatusCanceled, "cluster": job.StatusCanceled, "analytics": job.StatusCanceled}
	for _, st := range p.Stages {
		if st.Status != want[st.Name] {
			t.Errorf("%s is %s, want %s", st.Name, st.Status, want[st.Name])
		}
	}
	if d := p.Stages[2].Error; d == nil || d.Code != string(errs.ModelChecksum) || d.Hint != "Reinstall." {
		t.Errorf("detect's error %+v, want the typed error with its hint", d)
	}
}

// A stage that stops heart-beating on every attempt ends in
// ERR_STAGE_STALLED, never running forever.
func TestWorkflowStalledStageEndsStalled(t *testing.T) {
	e := env(t, func(ctx context.Context, stage string, _ int32) (StageOutcome, error) {
		if stage == "detect" {
			return StageOutcome{}, temporal.NewHeartbeatTimeoutError()
		}
		return StageOutcome{Status: job.StatusOK}, nil
	})
	e.ExecuteWorkflow(EpisodeWorkflow, input())
	var app *temporal.ApplicationError
	if err := e.GetWorkflowError(); !errors.As(err, &app) || app.Type() != string(errs.StageStalled) {
		t.Fatalf("workflow error %v, want %s", err, errs.StageStalled)
	}
}

func TestPermanentCodesAreNotRetried(t *testing.T) {
	p := RetryPolicy(job.RetryPolicy{})
	for _, c := range []errs.Code{errs.VideoUnreadable, errs.ModelMissing, errs.ModelChecksum, errs.InputNotFound, errs.Canceled} {
		if !slices.Contains(p.NonRetryableErrorTypes, string(c)) {
			t.Errorf("%s is retried", c)
		}
	}
	for _, c := range []errs.Code{errs.StageStalled, errs.Internal, errs.ArtifactWriteFailed} {
		if slices.Contains(p.NonRetryableErrorTypes, string(c)) {
			t.Errorf("%s is never retried", c)
		}
	}
	if p.InitialInterval != job.DefaultRetryBase || p.MaximumInterval != job.DefaultRetryCap || p.MaximumAttempts != job.DefaultMaxAttempts {
		t.Errorf("policy %+v is not the local backoff", p)
	}
}

func TestDriverRoundTrip(t *testing.T) {
	addr, ns, ok := ParseDriver(Driver("10.0.0.5:7233", ""))
	if !ok || addr != "10.0.0.5:7233" || ns != DefaultNamespace {
		t.Errorf("ParseDriver: %q %q %v", addr, ns, ok)
	}
	if _, _, ok := ParseDriver(""); ok {
		t.Error("a local job parsed as remote")
	}
}
