package job_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"castscope/backend/job"
	"castscope/backend/sqlite"
)

const (
	crashEnv      = "CASTSCOPE_CRASH_CHILD"
	crashItemsEnv = "CASTSCOPE_CRASH_ITEMS"
	crashLoopEnv  = "CASTSCOPE_CRASH_LOOP"
	crashDelayEnv = "CASTSCOPE_CRASH_DELAY"
)

// itemsStage appends "item N" lines to items.txt and checkpoints the next
// item and the file offset after each; a resumed attempt truncates the file
// to the checkpoint, so a kill between write and checkpoint loses nothing
// and duplicates nothing.
func itemsStage(dir string, crashItems int) job.StageFunc {
	return func(ctx context.Context, rep job.Reporter) (any, error) {
		var cp struct {
			Next   int   `json:"next"`
			Offset int64 `json:"offset"`
		}
		if b := rep.Checkpoint(); b != nil {
			if err := json.Unmarshal(b, &cp); err != nil {
				return nil, job.Permanent(err)
			}
		}
		if d, _ := time.ParseDuration(os.Getenv(crashDelayEnv)); d > 0 {
			select { // a slow start (models loading) before any checkpoint
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		f, err := os.OpenFile(filepath.Join(dir, "items.txt"), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := f.Truncate(cp.Offset); err != nil {
			return nil, err
		}
		off := cp.Offset
		for i := cp.Next; i < crashItems; i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			line := fmt.Sprintf("item %d\n", i)
			if _, err := f.WriteAt([]byte(line), off); err != nil {
				return nil, err
			}
			off += int64(len(line))
			cp.Next, cp.Offset = i+1, off
			if err := rep.SaveCheckpoint(cp); err != nil {
				return nil, err
			}
			rep.Progress(int64(i+1), int64(crashItems), "items")
			time.Sleep(3 * time.Millisecond)
		}
		return map[string]int{"items": crashItems}, nil
	}
}

// TestCrashChild is the child process of TestCrashRecovery.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child of TestCrashRecovery")
	}
	items, _ := strconv.Atoi(os.Getenv(crashItemsEnv))
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defs := []job.StageDef{{Name: "detect", Flag: "detected", Heavy: true, Run: itemsStage(dir, items)}}
	if os.Getenv(crashLoopEnv) != "" {
		// A stage that takes the whole process down every time, before
		// it saves any checkpoint (a crashing native library, say).
		defs = []job.StageDef{
			{Name: "detect", Flag: "detected", Heavy: true, Run: func(ctx context.Context, rep job.Reporter) (any, error) {
				rep.Progress(1, 10, "frames")
				os.Exit(7)
				return nil, nil
			}},
			{Name: "track", Flag: "tracked", Run: func(ctx context.Context, rep job.Reporter) (any, error) { return nil, nil }},
		}
	}
	cfg := job.Config{Store: st, HeartbeatEvery: 50 * time.Millisecond, RescueEvery: 100 * time.Millisecond}
	if os.Getenv(appEnv) != "" { // an app whose stage bodies run in workers
		cfg.Worker = workerCmd(dir, items)
	}
	r := job.NewRunner(cfg, defs...)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	jobs, err := st.Jobs(ctx, "crash_s01_e01")
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if len(jobs) == 0 {
		j, _, err := r.Submit(ctx, job.Request{EpisodeKey: "crash_s01_e01", Mode: "prepare"})
		if err != nil {
			t.Fatal(err)
		}
		id = j.ID
	} else {
		id = jobs[0].ID
	}
	if _, err := r.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	t.Parallel()
	kills := 20
	if testing.Short() {
		kills = 5
	}
	crashItems := 75 * kills // about 300 ms of work per kill
	dir := crashDataDir(t)
	ctx := context.Background()

	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		// As the app runs it: the stage in a worker process, so a kill of
		// the app is never counted as a crash of the stage (without
		// workers, three kills in a row before a checkpoint would end it
		// in ERR_STAGE_CRASHED: TestCrashLoopEndsInError).
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, crashItemsEnv+"="+strconv.Itoa(crashItems), appEnv+"=1")
		return cmd
	}
	// A fixed schedule: the same kill moments on every run, so a failure
	// can be replayed. The kills still land at different points of the
	// stage (60–460 ms into each start).
	rng := rand.New(rand.NewPCG(20261205, 7))
	lastDone := int64(-1)
	midRun := 0
	for k := 0; k < kills; k++ {
		cmd := child()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(60+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		st, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", k, err)
		}
		if res, err := st.IntegrityCheck(ctx); err != nil || res != "ok" {
			t.Fatalf("kill %d: integrity %q %v", k, res, err)
		}
		jobs, _ := st.Jobs(ctx, "crash_s01_e01")
		if len(jobs) > 1 {
			t.Fatalf("kill %d: %d jobs", k, len(jobs))
		}
		if len(jobs) == 1 {
			s := jobs[0].Stages[0]
			if cp, _ := st.Checkpoint(ctx, jobs[0].ID, "detect"); cp != nil {
				var c struct{ Next int64 }
				json.Unmarshal(cp, &c)
				if c.Next < lastDone {
					t.Fatalf("kill %d: checkpoint went back from %d to %d", k, lastDone, c.Next)
				}
				lastDone = c.Next
			}
			if s.Status == job.StatusRunning {
				midRun++
			}
			t.Logf("kill %d: status=%s attempt=%d checkpoint at %d", k, s.Status, s.Attempt, lastDone)
		}
		st.Close()
	}
	if midRun < kills/2 {
		t.Errorf("only %d of %d kills hit a running stage", midRun, kills)
	}
	cmd := child()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}

	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if res, err := st.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("integrity %q %v", res, err)
	}
	var running int
	st.DB().QueryRow(`SELECT count(*) FROM stages WHERE status='running'`).Scan(&running)
	if running != 0 {
		t.Fatalf("%d stages left running", running)
	}
	jobs, _ := st.Jobs(ctx, "crash_s01_e01")
	if len(jobs) != 1 || jobs[0].FinishedAt == nil || jobs[0].Stages[0].Status != job.StatusOK {
		t.Fatalf("jobs %+v", jobs)
	}
	ep, _ := st.Episode(ctx, "crash_s01_e01")
	if !ep.States["detected"] {
		t.Error("registry not updated")
	}
	f, err := os.Open(filepath.Join(dir, "items.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if sc.Text() != "item "+strconv.Itoa(n) {
			t.Fatalf("line %d is %q", n, sc.Text())
		}
		n++
	}
	if n != crashItems {
		t.Fatalf("%d items, want %d", n, crashItems)
	}
	meta, err := os.ReadFile(filepath.Join(dir, "data", "jobs", jobs[0].ID, "meta.json"))
	if err != nil || !strings.Contains(string(meta), `"status": "ok"`) {
		t.Fatalf("meta.json %s %v", meta, err)
	}
	t.Logf("completed after %d kills; final attempt %d", kills, jobs[0].Stages[0].Attempt)
}

// TestCrashLoopEndsInError: a stage that kills its process on every start
// is resumed until CrashLimit crashes in a row, then ends in
// ERR_STAGE_CRASHED (and the stages after it are not run), so the next
// start of the app is usable.
func TestCrashLoopEndsInError(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	t.Parallel()
	dir := crashDataDir(t)
	ctx := context.Background()
	starts := 0
	for ; starts < job.CrashLimit+3; starts++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, crashLoopEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err == nil {
			break // the job ended: the child's Wait returned
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
			t.Fatalf("start %d: %v\n%s", starts+1, err, out)
		}
	}
	// The first start crashes; each later start recovers one crash and
	// crashes again, until the CrashLimit-th recovery gives up.
	if starts != job.CrashLimit {
		t.Errorf("the job ended after %d crashing starts, want %d", starts, job.CrashLimit)
	}
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	jobs, _ := st.Jobs(ctx, "crash_s01_e01")
	if len(jobs) != 1 || jobs[0].FinishedAt == nil {
		t.Fatalf("jobs: %+v", jobs)
	}
	det, trk := jobs[0].Stages[0], jobs[0].Stages[1]
	if det.Status != job.StatusError || det.Error == nil || det.Error.Code != "ERR_STAGE_CRASHED" || det.Crashes != job.CrashLimit {
		t.Errorf("detect: %s %+v crashes=%d", det.Status, det.Error, det.Crashes)
	}
	if trk.Status != job.StatusCanceled || trk.Error == nil || trk.Error.Code != "ERR_CANCELED" {
		t.Errorf("track: %s %+v", trk.Status, trk.Error)
	}
	if !strings.Contains(det.Error.Message, "3 times in a row") {
		t.Errorf("message %q", det.Error.Message)
	}
}

// crashDataDir is a data folder with one registered episode, crash_s01_e01,
// for the child processes to work on.
func crashDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	video := filepath.Join(dir, "Crash_S01_E01.mp4")
	if err := os.WriteFile(video, []byte("video"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.RegisterEpisode(ctx, video); err != nil {
		t.Fatal(err)
	}
	return dir
}
