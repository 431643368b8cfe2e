package job_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/job"
)

func ok(result any) job.StageFunc {
	return func(ctx context.Context, r job.Reporter) (any, error) { return result, nil }
}

func TestLifecycleOKWithFlagAndSeedLogLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("RHOBH_S05_E03_11062025.mp4")
	var sawRunning atomic.Bool
	r := e.runner(job.Config{}, job.StageDef{Name: "detect", Label: "Detect/Embed", Flag: "detected", Heavy: true,
		Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			// running and detected=false before the first instruction
			st := e.stage(rep.Job().ID, "detect")
			ep, _ := e.store.Episode(ctx, key)
			sawRunning.Store(st.Status == job.StatusRunning && !ep.States["detected"] && st.Owner != "")
			for i := int64(1); i <= 10; i++ {
				rep.Progress(i, 10, "frames")
			}
			rep.Logf("frames=%d faces=%d", 10, 20)
			return map[string]int{"faces_detected": 20, "embeddings_computed": 18}, nil
		}})
	j := e.submit(r, job.Request{EpisodeKey: key, Mode: "prepare"})
	if !strings.HasPrefix(j.ID, "prepare_rhobh_s05_e03_") {
		t.Errorf("job id %q", j.ID)
	}
	got := e.wait(r, j.ID)
	st, _ := got.Stage("detect")
	if st.Status != job.StatusOK || st.Attempt != 1 || st.Progress.Done != 10 || st.FinishedAt == nil || string(st.Result) != `{"embeddings_computed":18,"faces_detected":20}` {
		t.Fatalf("stage %+v result %s", st, st.Result)
	}
	if !sawRunning.Load() {
		t.Error("the body did not see running + detected=false")
	}
	ep, _ := e.store.Episode(context.Background(), key)
	if !ep.States["detected"] || ep.Timestamps["detected"] == nil {
		t.Errorf("registry %+v", ep.States)
	}
	if s := e.ev.statuses("detect"); !slices.Equal(s, []job.Status{"pending", "running", "ok"}) {
		t.Errorf("event statuses %v", s)
	}
	logs, _ := e.store.JobLogs(context.Background(), j.ID, 100)
	var lines []string
	for _, l := range logs {
		if l.Stage == "detect" {
			lines = append(lines, l.Line)
		}
	}
	want := []string{
		"[DETECT] rhobh_s05_e03 stage=start job_id=" + j.ID + " attempt=1/5",
		"[DETECT] rhobh_s05_e03 envelope stage=running",
		"[DETECT] rhobh_s05_e03 registry detected=false",
		"[DETECT] rhobh_s05_e03 frames=10 faces=20",
		"[DETECT] rhobh_s05_e03 stage=end status=ok embeddings_computed=18 faces_detected=20",
		"[DETECT] rhobh_s05_e03 envelope stage=ok",
		"[DETECT] rhobh_s05_e03 registry detected=true",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("log lines\n got %q\nwant %q", lines, want)
	}
}

func TestLifecycleErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		run      job.StageFunc
		attempts int
		code     errs.Code
	}{
		{"permanent", func(context.Context, job.Reporter) (any, error) {
			return nil, job.Permanent(errors.New("boom"))
		}, 1, errs.Internal},
		{"typed permanent code", func(context.Context, job.Reporter) (any, error) {
			return nil, errs.New(errs.ModelMissing, "The model is missing.", "Install it.")
		}, 1, errs.ModelMissing},
		{"retries exhausted", func(context.Context, job.Reporter) (any, error) {
			return nil, errors.New("flaky")
		}, 3, errs.Internal},
		{"panic", func(context.Context, job.Reporter) (any, error) {
			panic("kaboom")
		}, 1, errs.Internal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			key := e.register("show_s01_e01.mp4")
			r := e.runner(job.Config{Retry: job.RetryPolicy{MaxAttempts: 3}},
				job.StageDef{Name: "extract", Flag: "extracted_frames", Run: c.run},
				job.StageDef{Name: "detect", Run: ok(nil)})
			j := e.submit(r, job.Request{EpisodeKey: key})
			got := e.wait(r, j.ID)
			st, _ := got.Stage("extract")
			if st.Status != job.StatusError || st.Attempt != c.attempts || st.Error == nil || st.Error.Code != string(c.code) || st.FinishedAt == nil {
				t.Fatalf("extract %+v err %+v", st, st.Error)
			}
			if st.Error.Message == "" || strings.Contains(st.Error.Message, "goroutine") {
				t.Errorf("message %q", st.Error.Message)
			}
			down, _ := got.Stage("detect")
			if down.Status != job.StatusCanceled || down.Error.Code != string(errs.Canceled) || down.Attempt != 0 {
				t.Errorf("downstream %+v %+v", down, down.Error)
			}
			ep, _ := e.store.Episode(context.Background(), key)
			if ep.States["extracted_frames"] {
				t.Error("flag set after failure")
			}
			if c.name == "panic" {
				logs, _ := e.store.JobLogs(context.Background(), j.ID, 100)
				for _, l := range logs {
					if strings.Contains(l.Line, "goroutine") {
						t.Errorf("stack in job log: %q", l.Line)
					}
				}
			}
		})
	}
}

func TestRetryThenOK(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s01_e02.mp4")
	var calls atomic.Int32
	r := e.runner(job.Config{}, job.StageDef{Name: "track", Run: func(context.Context, job.Reporter) (any, error) {
		if calls.Add(1) < 3 {
			return nil, errors.New("transient")
		}
		return map[string]int{"tracks": 3}, nil
	}})
	j := e.submit(r, job.Request{EpisodeKey: key})
	got := e.wait(r, j.ID)
	st, _ := got.Stage("track")
	if st.Status != job.StatusOK || st.Attempt != 3 || st.Error != nil || st.NextRetryAt != nil {
		t.Fatalf("%+v", st)
	}
	if s := e.ev.statuses("track"); !slices.Equal(s, []job.Status{"pending", "running", "retrying", "running", "retrying", "running", "ok"}) {
		t.Errorf("statuses %v", s)
	}
}

func TestSkipFromBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s01_e03.mp4")
	r := e.runner(job.Config{}, job.StageDef{Name: "cluster", Run: func(context.Context, job.Reporter) (any, error) {
		return nil, job.Skip("no tracks to cluster")
	}})
	got := e.wait(r, e.submit(r, job.Request{EpisodeKey: key}).ID)
	st, _ := got.Stage("cluster")
	if st.Status != job.StatusSkipped || st.SkipReason != "no tracks to cluster" {
		t.Fatalf("%+v", st)
	}
}

func TestSkipWhenCompleteAndUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s01_e04.mp4")
	var runs atomic.Int32
	fp := atomic.Value{}
	fp.Store("inputs-v1")
	r := e.runner(job.Config{}, job.StageDef{Name: "extract", Flag: "extracted",
		Run:         func(context.Context, job.Reporter) (any, error) { runs.Add(1); return nil, nil },
		Fingerprint: func(context.Context, job.Job) (string, error) { return fp.Load().(string), nil },
		Complete:    func(context.Context, job.Job) bool { return true },
	})
	for i, c := range []struct {
		rerun  bool
		fp     string
		status job.Status
		runs   int32
	}{
		{false, "inputs-v1", job.StatusOK, 1},      // first run
		{false, "inputs-v1", job.StatusSkipped, 1}, // unchanged → skipped
		{true, "inputs-v1", job.StatusOK, 2},       // explicit re-run
		{false, "inputs-v2", job.StatusOK, 3},      // settings changed
	} {
		fp.Store(c.fp)
		if c.status == job.StatusSkipped {
			// As an attempt that died after the flag went down leaves it.
			if err := e.store.SetEpisodeState(context.Background(), key, "extracted", false); err != nil {
				t.Fatal(err)
			}
		}
		got := e.wait(r, e.submit(r, job.Request{EpisodeKey: key, Rerun: c.rerun}).ID)
		st, _ := got.Stage("extract")
		if st.Status != c.status || runs.Load() != c.runs {
			t.Fatalf("step %d: %s runs=%d (%+v)", i, st.Status, runs.Load(), st)
		}
		if c.status == job.StatusSkipped && st.SkipReason == "" {
			t.Errorf("no skip reason")
		}
		if ep, err := e.store.Episode(context.Background(), key); err != nil || !ep.States["extracted"] {
			t.Errorf("step %d: flag extracted=%v after %s (%v)", i, ep.States["extracted"], st.Status, err)
		}
	}
}

func TestCancelRunningJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s01_e05.mp4")
	started := make(chan struct{})
	r := e.runner(job.Config{}, job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}}, job.StageDef{Name: "track", Run: ok(nil)})
	j := e.submit(r, job.Request{EpisodeKey: key})
	<-started
	waitFor(t, "running", func() bool { return e.stage(j.ID, "detect").Status == job.StatusRunning })
	e.checkExports() // mid-run: running + pending
	if err := r.Cancel(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	got := e.wait(r, j.ID)
	for _, st := range got.Stages {
		if st.Status != job.StatusCanceled || st.Error.Code != string(errs.Canceled) {
			t.Errorf("%s: %s %+v", st.Name, st.Status, st.Error)
		}
	}
	if !got.Canceled || got.FinishedAt == nil {
		t.Errorf("job %+v", got)
	}
	if err := r.Cancel(context.Background(), "nope"); !errors.Is(err, job.ErrNotFound) {
		t.Errorf("cancel unknown: %v", err)
	}
}

func TestStallRetryThenOK(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s01_e06.mp4")
	var calls atomic.Int32
	release := make(chan struct{})
	defer close(release)
	r := e.runner(job.Config{StallAfter: time.Minute}, job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		if calls.Add(1) == 1 {
			rep.Progress(1, 10, "frames")
			<-release // ignores its context: the runner must move on anyway
			return nil, nil
		}
		return "second", nil
	}})
	j := e.submit(r, job.Request{EpisodeKey: key})
	waitFor(t, "progress", func() bool {
		v, _ := r.StageView(context.Background(), j.ID)
		return len(v) == 1 && v[0].Done == 1
	})
	if n, _ := r.Rescue(context.Background()); n != 0 {
		t.Fatalf("rescued a live stage")
	}
	e.clock.Advance(61 * time.Second)
	if n, err := r.Rescue(context.Background()); n != 1 || err != nil {
		t.Fatalf("rescue moved %d, %v", n, err)
	}
	got := e.wait(r, j.ID)
	st, _ := got.Stage("detect")
	if st.Status != job.StatusOK || st.Attempt != 2 || string(st.Result) != `"second"` {
		t.Fatalf("%+v", st)
	}
	var stalled bool
	for _, ev := range e.ev.all() {
		if ev.Status == job.StatusRetrying && ev.Error != nil && ev.Error.Code == string(errs.StageStalled) && ev.NextRetryAt != nil {
			stalled = true
		}
	}
	if !stalled {
		t.Error("no ERR_STAGE_STALLED event")
	}
}

// TestStallTimeoutChangesWhileRunning: a shorter stall timeout set while a
// stage runs (the Settings panel) applies to that stage at once.
func TestStallTimeoutChangesWhileRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s01_e09.mp4")
	r := e.runner(job.Config{StallAfter: 10 * time.Minute, Retry: job.RetryPolicy{MaxAttempts: 1}},
		job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}})
	j := e.submit(r, job.Request{EpisodeKey: key})
	waitFor(t, "running", func() bool { return e.stage(j.ID, "detect").Status == job.StatusRunning })
	e.clock.Advance(2 * time.Minute)
	if n, _ := r.Rescue(context.Background()); n != 0 {
		t.Fatalf("rescued a stage silent for 2 of 10 minutes")
	}
	r.SetStallAfter(time.Minute)
	r.SetStallAfter(0) // ignored
	if n, _ := r.Rescue(context.Background()); n != 1 {
		t.Fatalf("rescue moved %d after the timeout became 1 minute", n)
	}
	st, _ := e.wait(r, j.ID).Stage("detect")
	if st.Status != job.StatusError || st.Error.Code != string(errs.StageStalled) {
		t.Fatalf("%+v %+v", st, st.Error)
	}
}

func TestStallExhausted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s01_e07.mp4")
	r := e.runner(job.Config{StallAfter: time.Minute, Retry: job.RetryPolicy{MaxAttempts: 2}},
		job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}})
	j := e.submit(r, job.Request{EpisodeKey: key})
	for attempt := 1; attempt <= 2; attempt++ {
		waitFor(t, "running", func() bool {
			s := e.stage(j.ID, "detect")
			return s.Status == job.StatusRunning && s.Attempt == attempt
		})
		e.clock.Advance(2 * time.Minute)
		if n, _ := r.Rescue(context.Background()); n != 1 {
			t.Fatalf("attempt %d: rescue moved %d", attempt, n)
		}
	}
	got := e.wait(r, j.ID)
	st, _ := got.Stage("detect")
	if st.Status != job.StatusError || st.Error.Code != string(errs.StageStalled) || st.Attempt != 2 {
		t.Fatalf("%+v %+v", st, st.Error)
	}
}

func TestIdempotentSubmit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s01_e08.mp4")
	release := make(chan struct{})
	r := e.runner(job.Config{}, job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		<-release
		return nil, nil
	}})
	req := job.Request{EpisodeKey: key, Settings: []byte(`{"fps": 2}`)}
	var wg sync.WaitGroup
	ids := make([]string, 8)
	existing := make([]bool, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, ex, err := r.Submit(context.Background(), req)
			if err != nil {
				t.Error(err)
			}
			ids[i], existing[i] = j.ID, ex
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("two jobs: %v", ids)
		}
		if !existing[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d submits created a job", fresh)
	}
	e.checkExports()
	// One unfinished job per episode: other settings follow the running job.
	follow, ex, _ := r.Submit(context.Background(), job.Request{EpisodeKey: key, Settings: []byte(`{"fps":3}`)})
	if !ex || follow.ID != ids[0] {
		t.Errorf("other settings while a job of the episode runs: job %s (existing %v), want %s", follow.ID, ex, ids[0])
	}
	close(release)
	if _, err := r.Wait(context.Background(), ids[0]); err != nil {
		t.Fatal(err)
	}
	again, ex, _ := r.Submit(context.Background(), req)
	if ex || again.ID == ids[0] {
		t.Errorf("a finished job was returned as existing")
	}
	if _, err := r.Wait(context.Background(), again.ID); err != nil {
		t.Fatal(err)
	}
	other, ex, _ := r.Submit(context.Background(), job.Request{EpisodeKey: key, Settings: []byte(`{"fps":3}`)})
	if ex || other.ID == again.ID {
		t.Errorf("other settings once the episode's jobs ended: job %s (existing %v), want a new one", other.ID, ex)
	}
	for _, id := range []string{again.ID, other.ID} {
		if _, err := r.Wait(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	e.checkExports()
}

func TestRerunMarksDownstreamStale(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s02_e01.mp4")
	fail := atomic.Bool{}
	r := e.runner(job.Config{Retry: job.RetryPolicy{MaxAttempts: 1}},
		job.StageDef{Name: "detect", Run: func(context.Context, job.Reporter) (any, error) {
			if fail.Load() {
				return nil, errors.New("no")
			}
			return nil, nil
		}},
		job.StageDef{Name: "track", Run: ok(nil)},
		job.StageDef{Name: "cluster", Run: ok(nil)})
	first := e.wait(r, e.submit(r, job.Request{EpisodeKey: key}).ID)
	// a failed re-run leaves everything as it was
	fail.Store(true)
	e.wait(r, e.submit(r, job.Request{EpisodeKey: key, Stages: []string{"detect"}, Rerun: true}).ID)
	for _, n := range []string{"detect", "track", "cluster"} {
		if e.stage(first.ID, n).Stale {
			t.Fatalf("%s stale after a failed re-run", n)
		}
	}
	fail.Store(false)
	e.wait(r, e.submit(r, job.Request{EpisodeKey: key, Stages: []string{"detect"}, Rerun: true, Mode: "detect"}).ID)
	for n, want := range map[string]bool{"detect": false, "track": true, "cluster": true} {
		st := e.stage(first.ID, n)
		if st.Stale != want || st.Status != job.StatusOK {
			t.Errorf("%s: stale=%v status=%s", n, st.Stale, st.Status)
		}
	}
	e.checkExports()
}

func TestRecoverDeadOwnerFromCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s02_e02.mp4")
	ctx := context.Background()
	// A job left running by a process that no longer exists.
	j, _, err := e.store.CreateJob(ctx, job.Job{ID: "prepare_" + key + "_1", EpisodeKey: key, Mode: "prepare", CreatedAt: e.clock.Now(),
		Stages: []job.Stage{{Name: "detect", Status: job.StatusPending, MaxAttempts: 5}}}, "sig")
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	dead := fmt.Sprintf("%d@%s/1#dead", 1<<22+12345, host)
	now := e.clock.Now()
	st := j.Stages[0]
	st.Status, st.Attempt, st.Owner, st.StartedAt, st.HeartbeatAt = job.StatusRunning, 1, dead, &now, &now
	if err := e.store.UpdateStage(ctx, j.ID, st, job.StatusPending, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SaveCheckpoint(ctx, j.ID, "detect", dead, []byte(`{"next":7}`)); err != nil {
		t.Fatal(err)
	}
	var seen string
	r := e.runner(job.Config{}, job.StageDef{Name: "detect", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
		seen = string(rep.Checkpoint())
		return nil, nil
	}})
	got := e.wait(r, j.ID)
	s, _ := got.Stage("detect")
	if s.Status != job.StatusOK || seen != `{"next":7}` || s.Attempt != 1 || s.Owner != r.Owner() {
		t.Fatalf("%+v checkpoint %q", s, seen)
	}
}

func TestRegistryUpdateFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s02_e03.mp4")
	r := e.runner(job.Config{Retry: job.RetryPolicy{MaxAttempts: 1}},
		job.StageDef{Name: "detect", Flag: "bad flag that is far too long to be a registry flag name", Run: ok(nil)})
	got := e.wait(r, e.submit(r, job.Request{EpisodeKey: key}).ID)
	st, _ := got.Stage("detect")
	if st.Status != job.StatusError || st.Error.Code != string(errs.RegistryUpdateFailed) {
		t.Fatalf("%+v %+v", st, st.Error)
	}
}

func TestCloseRequeuesAndStartResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.register("show_s02_e04.mp4")
	started := make(chan struct{}, 1)
	body := func(ctx context.Context, rep job.Reporter) (any, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	r1 := e.runner(job.Config{}, job.StageDef{Name: "detect", Run: body})
	j := e.submit(r1, job.Request{EpisodeKey: key})
	<-started
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	st := e.stage(j.ID, "detect")
	if st.Status != job.StatusPending || st.Attempt != 0 {
		t.Fatalf("after close: %+v", st)
	}
	r2 := e.runner(job.Config{}, job.StageDef{Name: "detect", Run: ok("done")})
	got := e.wait(r2, j.ID)
	if s, _ := got.Stage("detect"); s.Status != job.StatusOK || s.Attempt != 1 {
		t.Fatalf("%+v", s)
	}
}

func TestUnknownStageAndBadKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.runner(job.Config{}, job.StageDef{Name: "detect", Run: ok(nil)})
	if _, _, err := r.Submit(context.Background(), job.Request{EpisodeKey: "x", Stages: []string{"nope"}}); !errs.HasCode(err, errs.Usage) {
		t.Errorf("unknown stage: %v", err)
	}
	if _, _, err := r.Submit(context.Background(), job.Request{EpisodeKey: "../../etc"}); !errs.HasCode(err, errs.InvalidEpisodeKey) {
		t.Errorf("bad key: %v", err)
	}
	_ = filepath.Join
}
