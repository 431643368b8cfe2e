package job_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/sqlite"
)

const (
	workerEnv      = "CASTSCOPE_TEST_WORKER" // the data folder: this process is a worker
	workerItemsEnv = "CASTSCOPE_TEST_WORKER_ITEMS"
	appEnv         = "CASTSCOPE_TEST_APP" // the data folder: this process is an app with workers
)

// workerDefs are the stages of the worker tests; the runner and the worker
// process both build them.
func workerDefs(dir string, items int) []job.StageDef {
	return []job.StageDef{
		{Name: "detect", Flag: "detected", Heavy: true, Run: itemsStage(dir, items)},
		{Name: "segv", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			rep.Progress(1, 10, "frames")
			rep.Logf("about to fault")
			time.Sleep(200 * time.Millisecond) // the progress and log line reach the runner first
			// A memory fault outside any recover, as a crash in native
			// code: the process dies of it.
			go func() {
				var p *int
				*p = 1
			}()
			select {}
		}},
		{Name: "oom", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			// what the out-of-memory killer does
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}},
		{Name: "typed", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			return nil, job.Permanent(errs.New(errs.VideoUnreadable, "The video stops decoding at frame 3.", "Check the file."))
		}},
		{Name: "untyped", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			return nil, job.Permanent(errors.New("parquet: short write"))
		}},
		{Name: "skip", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			return nil, job.Skip("nothing to do")
		}},
		{Name: "panic", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			panic("index out of range in the stage")
		}},
		{Name: "result", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			rep.Progress(5, 5, "frames")
			return map[string]any{"faces_detected": 7, "key": rep.Job().EpisodeKey}, nil
		}},
		{Name: "hang", Run: func(ctx context.Context, rep job.Reporter) (any, error) {
			rep.Progress(1, 10, "frames")
			syscall.Kill(os.Getpid(), syscall.SIGSTOP) // silent and deaf, as a hung native call
			select {}
		}},
	}
}

// TestWorkerChild is the worker process of the tests below.
func TestWorkerChild(t *testing.T) {
	dir := os.Getenv(workerEnv)
	if dir == "" {
		t.Skip("the worker process of the worker tests")
	}
	items, _ := strconv.Atoi(os.Getenv(workerItemsEnv))
	if err := job.ServeWorker(context.Background(), workerDefs(dir, items), os.Stdin, os.NewFile(3, "runner")); err != nil {
		t.Fatal(err)
	}
}

// workerCmd starts this test binary as a worker.
func workerCmd(dir string, items int) job.WorkerCommand {
	return func(ctx context.Context) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), workerEnv+"="+dir, workerItemsEnv+"="+strconv.Itoa(items), appEnv+"=", crashEnv+"=")
		return cmd
	}
}

func workerRunner(t *testing.T, dir string, items int) (*job.Runner, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "runner.log"))
	if err != nil {
		t.Fatal(err)
	}
	r := job.NewRunner(job.Config{Store: st, Worker: workerCmd(dir, items), Logger: slog.New(slog.NewTextHandler(logf, nil)),
		HeartbeatEvery: 50 * time.Millisecond, RescueEvery: 100 * time.Millisecond,
		Retry: job.RetryPolicy{Base: 10 * time.Millisecond, Cap: 20 * time.Millisecond, MaxAttempts: 2}},
		workerDefs(dir, items)...)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); st.Close(); logf.Close() })
	return r, st
}

func runOne(t *testing.T, r *job.Runner, stage string) job.Stage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	j, _, err := r.Submit(ctx, job.Request{EpisodeKey: "crash_s01_e01", Stages: []string{stage}, Rerun: true})
	if err != nil {
		t.Fatal(err)
	}
	j, err = r.Wait(ctx, j.ID)
	if err != nil {
		t.Fatalf("%s: %v", stage, err)
	}
	s, _ := j.Stage(stage)
	return s
}

// TestWorkerCrashLeavesTheAppWorking: a stage whose worker segfaults or is
// killed ends in ERR_STAGE_CRASHED naming the signal, after its retries;
// the runner (the app) keeps working and the next job runs to ok.
func TestWorkerCrashLeavesTheAppWorking(t *testing.T) {
	if os.Getenv(workerEnv) != "" || os.Getenv(appEnv) != "" {
		t.Skip("in a child")
	}
	dir := crashDataDir(t)
	r, _ := workerRunner(t, dir, 40)

	for _, c := range []struct{ stage, signal string }{{"segv", "SIGSEGV"}, {"oom", "SIGKILL"}} {
		s := runOne(t, r, c.stage)
		if s.Status != job.StatusError || s.Error == nil || s.Error.Code != string(errs.StageCrashed) {
			t.Fatalf("%s: %s %+v", c.stage, s.Status, s.Error)
		}
		if !strings.Contains(s.Error.Message, c.signal) || !strings.Contains(s.Error.Message, "worker process") {
			t.Errorf("%s: message %q does not name %s", c.stage, s.Error.Message, c.signal)
		}
		if s.Attempt != 2 {
			t.Errorf("%s: %d attempts, want 2 (a worker crash is retried)", c.stage, s.Attempt)
		}
		t.Logf("%s: %s %s", c.stage, s.Error.Code, s.Error.Message)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "runner.log"))
	for _, want := range []string{"about to fault", "worker=died exit=2 signal=SIGSEGV", "worker=died signal=SIGKILL", "nil pointer dereference"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	// The app goes on: a real stage in a worker runs to ok, row-exact.
	if s := runOne(t, r, "detect"); s.Status != job.StatusOK {
		t.Fatalf("detect after the crashes: %s %+v", s.Status, s.Error)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "items.txt"))
	if n := strings.Count(string(b), "\n"); n != 40 || !strings.HasSuffix(string(b), "item 39\n") {
		t.Errorf("items.txt has %d lines", n)
	}
}

// TestWorkerOutcomes: what a body returns in a worker is what it would
// return in process: a result, a typed error (not retried when
// permanent), an untyped one (ERR_INTERNAL, the Go error only in the log),
// a skip, a panic.
func TestWorkerOutcomes(t *testing.T) {
	if os.Getenv(workerEnv) != "" || os.Getenv(appEnv) != "" {
		t.Skip("in a child")
	}
	dir := crashDataDir(t)
	r, _ := workerRunner(t, dir, 1)

	s := runOne(t, r, "result")
	if s.Status != job.StatusOK || string(s.Result) != `{"faces_detected":7,"key":"crash_s01_e01"}` || s.Progress.Done != 5 {
		t.Errorf("result: %s %s %+v", s.Status, s.Result, s.Progress)
	}
	s = runOne(t, r, "typed")
	if s.Status != job.StatusError || s.Error.Code != string(errs.VideoUnreadable) || s.Error.Message != "The video stops decoding at frame 3." || s.Attempt != 1 {
		t.Errorf("typed: %s %+v attempt %d", s.Status, s.Error, s.Attempt)
	}
	s = runOne(t, r, "untyped")
	if s.Status != job.StatusError || s.Error.Code != string(errs.Internal) || strings.Contains(s.Error.Message, "parquet") {
		t.Errorf("untyped: %s %+v", s.Status, s.Error)
	}
	s = runOne(t, r, "skip")
	if s.Status != job.StatusSkipped || s.SkipReason != "nothing to do" {
		t.Errorf("skip: %s %q", s.Status, s.SkipReason)
	}
	s = runOne(t, r, "panic")
	if s.Status != job.StatusError || s.Error.Code != string(errs.Internal) || s.Attempt != 1 {
		t.Errorf("panic: %s %+v", s.Status, s.Error)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "runner.log"))
	for _, want := range []string{"parquet: short write", "index out of range in the stage"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}

// TestWorkerHangIsKilled: a worker that stops heart-beating (stopped in
// native code) is failed as stalled and killed, not left behind.
func TestWorkerHangIsKilled(t *testing.T) {
	if os.Getenv(workerEnv) != "" || os.Getenv(appEnv) != "" {
		t.Skip("in a child")
	}
	dir := crashDataDir(t)
	r, _ := workerRunner(t, dir, 1)
	r.SetStallAfter(600 * time.Millisecond)
	start := time.Now()
	s := runOne(t, r, "hang")
	if s.Status != job.StatusError || s.Error.Code != string(errs.StageStalled) {
		t.Fatalf("hang: %s %+v", s.Status, s.Error)
	}
	t.Logf("hang: %s after %s", s.Error.Code, time.Since(start).Round(time.Millisecond))
}

// TestAppKillsAreNotCrashes: an app killed again and again while a stage
// starts up, before it saves any checkpoint (more times than CrashLimit),
// takes its worker with it each time, and the next start resumes the
// stage: it ends ok with every item written once. Killing the app is not a
// crash of the stage.
func TestAppKillsAreNotCrashes(t *testing.T) {
	if os.Getenv(workerEnv) != "" || os.Getenv(appEnv) != "" || os.Getenv(crashEnv) != "" {
		t.Skip("in a child")
	}
	t.Parallel()
	const items = 100
	dir := crashDataDir(t)
	app := func(delay string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, crashItemsEnv+"="+strconv.Itoa(items), appEnv+"=1", crashDelayEnv+"="+delay)
		return cmd
	}
	itemsFile := filepath.Join(dir, "items.txt")
	ctx := context.Background()
	kills := job.CrashLimit + 2
	for k := 0; k < kills; k++ {
		cmd := app("1s") // its worker loads for a second before the first item
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(600 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		st, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		jobs, _ := st.Jobs(ctx, "crash_s01_e01")
		st.Close()
		if len(jobs) != 1 || jobs[0].Stages[0].Status != job.StatusRunning {
			t.Fatalf("kill %d did not hit the running stage: %+v", k+1, jobs)
		}
		// Its worker died with it: it never gets to write an item.
		time.Sleep(700 * time.Millisecond)
		if _, err := os.Stat(itemsFile); err == nil {
			t.Fatalf("kill %d: items.txt was written after the app died: its worker lives on", k+1)
		}
	}
	out, err := app("0s").CombinedOutput()
	if err != nil {
		t.Fatalf("final start: %v\n%s", err, out)
	}
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	jobs, _ := st.Jobs(ctx, "crash_s01_e01")
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	s := jobs[0].Stages[0]
	if s.Status != job.StatusOK || s.Crashes != 0 || s.Attempt != 1 {
		t.Fatalf("detect after %d kills: %s attempt=%d crashes=%d %+v", kills, s.Status, s.Attempt, s.Crashes, s.Error)
	}
	b, _ := os.ReadFile(itemsFile)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != items {
		t.Fatalf("%d items, want %d", len(lines), items)
	}
	for i, l := range lines {
		if l != "item "+strconv.Itoa(i) {
			t.Fatalf("line %d is %q", i, l)
		}
	}
}
