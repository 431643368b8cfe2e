package service

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/remote"
	"castscope/backend/remote/devserver"
)

// eventLog is a Notifier that keeps every event.
type eventLog struct {
	mu sync.Mutex
	ev []job.Event
}

func (l *eventLog) Notify(e job.Event) { l.mu.Lock(); l.ev = append(l.ev, e); l.mu.Unlock() }

func (l *eventLog) find(f func(job.Event) bool) (job.Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.ev {
		if f(e) {
			return e, true
		}
	}
	return job.Event{}, false
}

// TestRunOnTemporalFromTheDesktop is the window's path with "Run on:
// Temporal": a video added runs on a dev server's worker (in this
// process), its progress arrives as the same stage events as a local
// run's (frames, ETA state), cancel cancels the workflow and ends the
// local job canceled, and running it again finishes with every stage ok,
// the registry flags up and the Cast view built from the shared folder.
func TestRunOnTemporalFromTheDesktop(t *testing.T) {
	bin := devserver.Binary()
	if bin == "" {
		if os.Getenv("CASTSCOPE_REQUIRE_TEMPORAL") == "1" {
			t.Fatal("no Temporal CLI (make temporal) and CASTSCOPE_REQUIRE_TEMPORAL=1")
		}
		t.Skip("no Temporal CLI: make temporal builds it")
	}
	srv, err := devserver.Start(context.Background(), bin, filepath.Join(t.TempDir(), "temporal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	media, models := realFixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	data := t.TempDir()

	wctx, stopWorker := context.WithCancel(context.Background())
	served := make(chan error, 1)
	started := make(chan string, 1)
	go func() {
		served <- ServeTemporal(wctx, WorkerConfig{HostPort: srv.Addr, Serve: remote.ServeAll, Artifacts: data, Identity: "desk-test",
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Started: func(_ []string, provider string) { started <- provider }})
	}()
	t.Cleanup(func() { stopWorker(); <-served })
	select {
	case p := <-started:
		t.Logf("worker detect provider: %s", p)
	case err := <-served:
		t.Fatalf("worker: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the worker did not start")
	}

	events := &eventLog{}
	b, err := Open(context.Background(), Options{DataDir: data, Notifier: events})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if err := b.SaveSettings(Settings{RunOn: RunOnTemporal, TemporalAddress: "nohost", StallAfterS: 5}); errs.CodeOf(err) != errs.Usage {
		t.Fatalf("a bad Temporal address was saved: %v", err)
	}
	if err := b.CheckTemporal(context.Background(), srv.Addr, "default"); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := b.SaveSettings(Settings{RunOn: RunOnTemporal, TemporalAddress: srv.Addr, StallAfterS: 5}); err != nil {
		t.Fatal(err)
	}

	clip := copyFile(t, filepath.Join(media, "faces_synthetic.mp4"), filepath.Join(t.TempDir(), "Remote_S01_E01.mp4"))
	views, err := b.AddVideos(context.Background(), []string{clip})
	if err != nil || len(views) != 1 {
		t.Fatalf("add: %v", err)
	}
	key := views[0].Episode.Key
	j, active, err := b.activeJob(context.Background(), key)
	if err != nil || !active || j.Driver != remote.Driver(srv.Addr, "default") {
		t.Fatalf("the added video's job: %+v active=%v %v", j, active, err)
	}

	// Live progress of the remote detect, then cancel.
	deadline := time.Now().Add(2 * time.Minute)
	var prog job.Event
	for ok := false; !ok; {
		prog, ok = events.find(func(e job.Event) bool {
			return e.Stage == "detect" && e.Status == job.StatusRunning && e.Done > 0 && e.Total > 0 && e.Unit == "frames" && e.ETAState != ""
		})
		if time.Now().After(deadline) {
			t.Fatalf("no detect progress event from the remote run; events: %+v", events.ev)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("remote detect progress: %d/%d %s, eta state %s", prog.Done, prog.Total, prog.Unit, prog.ETAState)
	if err := b.CancelJob(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got, err := b.WaitJob(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range got.Stages {
		want := job.StatusOK
		if st.Name == "detect" || st.Name == "track" || st.Name == "cluster" || st.Name == "analytics" {
			want = job.StatusCanceled
		}
		if st.Status != want {
			t.Errorf("after cancel: %s is %s, want %s", st.Name, st.Status, want)
		}
	}
	c, err := remote.Dial(context.Background(), srv.Addr, "default", b.Log.Slog())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, err := c.DescribeWorkflowExecution(context.Background(), remote.WorkflowID(key), "")
	if err != nil || d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED {
		t.Fatalf("the workflow after cancel: %v %v", d.GetWorkflowExecutionInfo().GetStatus(), err)
	}

	// Again, to the end: a new workflow run; validate and extract are
	// skipped (outputs whole, inputs unchanged), the rest ok.
	j2, _, err := b.Run(context.Background(), key, nil, RunOverrides{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err = b.WaitJob(ctx, j2.ID); err != nil {
		t.Fatal(err)
	}
	for _, st := range got.Stages {
		want := job.StatusOK
		if st.Name == "validate" || st.Name == "extract" {
			want = job.StatusSkipped
		}
		if st.Status != want {
			t.Errorf("second run: %s is %s (%+v), want %s", st.Name, st.Status, st.Error, want)
		}
	}
	ep, err := b.Episode(context.Background(), key)
	if err != nil || !ep.States["analyzed"] || !ep.States["detected"] || len(ep.Video) == 0 {
		t.Errorf("the registry after the remote run: states %v, video %s, %v", ep.States, ep.Video, err)
	}
	v := settle(t, b, key)
	if len(v.People) == 0 {
		t.Errorf("the Cast view of the remote run has no people: %+v", v)
	}
}
