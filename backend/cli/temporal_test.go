package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"castscope/backend/harvest"
	"castscope/backend/remote"
	"castscope/backend/remote/devserver"
	"castscope/backend/testmedia"
)

// EnvRequireTemporal makes the Temporal tests fail instead of skipping
// when the Temporal CLI is missing (CI sets it).
const EnvRequireTemporal = "CASTSCOPE_REQUIRE_TEMPORAL"

// startDevServer starts a Temporal development server for the test, or
// skips (fails under CASTSCOPE_REQUIRE_TEMPORAL=1) when there is no CLI.
func startDevServer(t *testing.T) *devserver.Server {
	t.Helper()
	bin := devserver.Binary()
	if bin == "" {
		if os.Getenv(EnvRequireTemporal) == "1" {
			t.Fatalf("no Temporal CLI (make temporal builds it; or set %s) and %s=1", devserver.EnvBinary, EnvRequireTemporal)
		}
		t.Skipf("no Temporal CLI: make temporal builds it")
	}
	srv, err := devserver.Start(context.Background(), bin, filepath.Join(t.TempDir(), "temporal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// startWorker starts `castscope worker --temporal` as its own process.
func startWorker(t *testing.T, addr, artifacts, name string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	// Parts of 10 frames: checkpoints come at a known pace whatever the
	// machine's speed, so the kill below lands between two of them.
	cmd := castscope("worker", "--temporal", addr, "--artifacts", artifacts, "--identity", name, "--part-frames", "10")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	waitFor(t, out, "worker: serving", 60*time.Second)
	return cmd, out
}

func waitFor(t *testing.T, out *syncBuffer, text string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(out.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s:\n%s", text, d, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTemporalScaleOut is a season on Temporal: a dev server on loopback,
// two worker processes sharing one artifacts folder, three episodes
// submitted. The worker that runs a detect is SIGKILLed after detect saved
// a checkpoint; the other worker retries it from its last durable part.
// All three end ok with artifacts equal, row for row, to a local run's; a
// second desktop submitting a running episode attaches to its workflow
// instead of starting another; a broken video fails its workflow at once
// with its typed code, without retries.
func TestTemporalScaleOut(t *testing.T) {
	srv := startDevServer(t)
	media, models := testmedia.Fixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	dir := t.TempDir()

	// Three episodes of distinct content: 8 s of 720p each, from three
	// offsets into the looped test clip.
	var clips []string
	for i := range 3 {
		clip := filepath.Join(dir, fmt.Sprintf("Scale_S01_E%02d.mp4", i+1))
		ff := exec.Command("ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-ss", strconv.Itoa(i*2), "-i", filepath.Join(media, "faces_synthetic.mp4"),
			"-t", "8", "-vf", "scale=1280:720", "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-an", clip)
		if out, err := ff.CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		clips = append(clips, clip)
	}

	// The shared folder; a 5 s stall limit is the activities' heartbeat
	// timeout, so the killed worker's detect is retried within seconds.
	shared := filepath.Join(dir, "shared")
	if err := os.MkdirAll(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "settings.json"), []byte(`{"stall_after_s": 5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	w1, out1 := startWorker(t, srv.Addr, shared, "w1")
	w2, out2 := startWorker(t, srv.Addr, shared, "w2")
	workers := map[string]*exec.Cmd{"w1": w1, "w2": w2}
	outs := map[string]*syncBuffer{"w1": out1, "w2": out2}

	run := castscope(append([]string{"run", "--temporal", srv.Addr, "--data", shared}, clips...)...)
	runOut := &syncBuffer{}
	run.Stdout, run.Stderr = runOut, runOut
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- run.Wait() }()

	// A second desktop (its own data folder) submits the first episode
	// while its workflow runs: it must attach, not start a second run.
	waitFor(t, runOut, "[VALIDATE] scale_s01_e01 running", 60*time.Second)
	other := filepath.Join(dir, "other-desktop")
	second := castscope("run", "--temporal", srv.Addr, "--data", other, clips[0])
	secondOut := &syncBuffer{}
	second.Stdout, second.Stderr = secondOut, secondOut
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	secondDone := make(chan error, 1)
	go func() { secondDone <- second.Wait() }()

	// Kill the worker running a detect once that detect saved a
	// checkpoint at 10 frames or more ("frames=N faces=M" follows each).
	ckpt := regexp.MustCompile(`\[DETECT\] (scale_s01_e0\d) frames=(\d+) faces=\d+`)
	var victim, key string
	var framesAtKill int
	deadline := time.Now().Add(3 * time.Minute)
	for victim == "" {
		for name, o := range outs {
			// a checkpoint some way in, so the resume is worth checking
			for _, m := range ckpt.FindAllStringSubmatch(o.String(), -1) {
				if n, _ := strconv.Atoi(m[2]); n >= 10 {
					victim, key = name, m[1]
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no detect checkpoint within 3 min:\nrun:\n%s\nw1:\n%s\nw2:\n%s", runOut, out1, out2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	workers[victim].Process.Signal(syscall.SIGKILL)
	workers[victim].Wait()
	// The last checkpoint the killed worker logged before it died.
	for _, m := range ckpt.FindAllStringSubmatch(outs[victim].String(), -1) {
		if m[1] == key {
			framesAtKill, _ = strconv.Atoi(m[2])
		}
	}
	t.Logf("killed %s during the detect of %s, its last checkpoint at %d frames", victim, key, framesAtKill)

	select {
	case err := <-runDone:
		if err != nil {
			t.Fatalf("run --temporal: %v\n%s", err, runOut)
		}
	case <-time.After(6 * time.Minute):
		t.Fatalf("run --temporal did not end within 6 min:\n%s", runOut)
	}
	for _, c := range clips {
		k := strings.ToLower(strings.TrimSuffix(filepath.Base(c), ".mp4"))
		if !regexp.MustCompile(`job full_` + k + `_\S+ finished: 6 ok`).MatchString(runOut.String()) {
			t.Errorf("%s did not finish with 6 ok:\n%s", k, runOut)
		}
	}

	// The retried detect resumed from the killed attempt's last part:
	// nothing durable was done twice, at most the part in flight.
	survivor := map[string]string{"w1": "w2", "w2": "w1"}[victim]
	resume := regexp.MustCompile(`\[DETECT\] ` + key + ` resume from frame=\d+ frames=(\d+)`).FindStringSubmatch(outs[survivor].String())
	if resume == nil {
		t.Fatalf("the retried detect of %s did not resume from a checkpoint:\n%s", key, outs[survivor])
	}
	resumedAt, _ := strconv.Atoi(resume[1])
	if resumedAt < framesAtKill || resumedAt == 0 {
		t.Errorf("detect of %s resumed at %d frames, before the killed attempt's last checkpoint (%d): durable work was redone", key, resumedAt, framesAtKill)
	}
	if !regexp.MustCompile(`\[DETECT\] ` + key + ` stage=start job_id=\S+ attempt=2/5 worker=` + survivor).MatchString(outs[survivor].String()) {
		t.Errorf("the detect of %s was not retried as attempt 2 on %s:\n%s", key, survivor, outs[survivor])
	}
	t.Logf("detect of %s: killed after %d frames were durable, resumed at %d", key, framesAtKill, resumedAt)

	// One workflow per episode, the attached submitter's included.
	select {
	case err := <-secondDone:
		if err != nil {
			t.Fatalf("second desktop: %v\n%s", err, secondOut)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("the second desktop did not end:\n%s", secondOut)
	}
	c, err := remote.Dial(context.Background(), srv.Addr, "default", nilLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, k := range []string{"scale_s01_e01", "scale_s01_e02", "scale_s01_e03"} {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = '%s'", remote.WorkflowID(k))})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(resp.GetExecutions()); n != 1 {
			t.Errorf("%s: %d workflow runs, want 1", k, n)
		}
	}
	if !strings.Contains(secondOut.String(), "finished: 6 ok") {
		t.Errorf("the attached desktop did not see the episode finish:\n%s", secondOut)
	}

	// Artifacts equal to a local run's, row for row.
	ref := filepath.Join(dir, "local")
	if out, err := castscope(append([]string{"run", "--data", ref}, clips...)...).CombinedOutput(); err != nil {
		t.Fatalf("local run: %v\n%s", err, out)
	}
	for _, k := range []string{"scale_s01_e01", "scale_s01_e02", "scale_s01_e03"} {
		a, b := harvest.Dir(ref, k), harvest.Dir(shared, k)
		sameRows[harvest.ManifestRow](t, a, b, harvest.ManifestFile)
		sameRows[harvest.DetectionRow](t, a, b, harvest.DetectionsFile)
		sameRows[harvest.EmbeddingRow](t, a, b, harvest.EmbeddingsFile)
		for _, name := range []string{harvest.ScreentimeJSONFile, harvest.TracksMetricsFile} {
			x, _ := os.ReadFile(filepath.Join(a, name))
			y, _ := os.ReadFile(filepath.Join(b, name))
			if len(x) == 0 || string(x) != string(y) {
				t.Errorf("%s %s differs from the local run's", k, name)
			}
		}
	}

	// The desktop's registry tells the truth about the remote run.
	if out, err := castscope("inspect", key, "--data", shared).CombinedOutput(); err != nil || !strings.Contains(string(out), "Runs on: temporal "+srv.Addr) {
		t.Errorf("inspect %s does not show the run on Temporal: %v\n%s", key, err, out)
	}

	// A broken video: its workflow fails at once with its typed code.
	broken := filepath.Join(dir, "Broken_S01_E01.mp4")
	if err := os.WriteFile(broken, []byte("this is not a video, only its name says so"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := castscope("run", "--temporal", srv.Addr, "--data", shared, broken).CombinedOutput()
	took := time.Since(start)
	if err == nil || !strings.Contains(string(out), "ERR_VIDEO_UNREADABLE") {
		t.Fatalf("a broken video on Temporal: %v\n%s", err, out)
	}
	d, err := c.DescribeWorkflowExecution(context.Background(), remote.WorkflowID("broken_s01_e01"), "")
	if err != nil {
		t.Fatal(err)
	}
	if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		t.Errorf("the broken video's workflow is %s, want failed", st)
	}
	attempts := 0
	iter := c.GetWorkflowHistory(context.Background(), remote.WorkflowID("broken_s01_e01"), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var failure string
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
			attempts = max(attempts, int(a.GetAttempt()))
		}
		if a := ev.GetWorkflowExecutionFailedEventAttributes(); a != nil {
			failure = a.GetFailure().GetApplicationFailureInfo().GetType()
		}
	}
	if attempts != 1 || failure != "ERR_VIDEO_UNREADABLE" {
		t.Errorf("broken video: validate ran %d attempt(s) and the workflow failed with %q; want 1 attempt and ERR_VIDEO_UNREADABLE", attempts, failure)
	}
	t.Logf("broken video failed in %s after %d attempt", took.Round(time.Millisecond), attempts)
}

func nilLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestRunOnUnreachableTemporal: a server that does not answer is a typed
// error naming it, and no job is left waiting for it.
func TestRunOnUnreachableTemporal(t *testing.T) {
	media, _ := testmedia.Fixtures(t)
	data := t.TempDir()
	clip := filepath.Join(t.TempDir(), "Nowhere_S01_E01.mp4")
	b, err := os.ReadFile(filepath.Join(media, "faces_synthetic.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(clip, b, 0o644)
	code, stdout, stderr := run(t, "run", "--temporal", "127.0.0.1:1", "--data", data, clip)
	if code != ExitError || !strings.HasPrefix(lastLine(stdout), "error: ERR_REMOTE_UNAVAILABLE ") || !strings.Contains(stdout, "127.0.0.1:1") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if metas, _ := filepath.Glob(filepath.Join(data, "data", "jobs", "*", "meta.json")); len(metas) != 0 {
		t.Errorf("a job was recorded for an unreachable server: %v", metas)
	}
	if code, _, stderr := run(t, "run", "--temporal", "nohost", clip); code != ExitUsage || !strings.Contains(stderr, "HOST:PORT") {
		t.Errorf("a bad address: exit %d %s", code, stderr)
	}
}
