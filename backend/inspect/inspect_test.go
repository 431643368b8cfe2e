package inspect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"castscope/backend/inspect"
	"castscope/backend/job"
	"castscope/backend/sqlite"
)

func TestBuildAndText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2025, 11, 6, 22, 15, 30, 123e6, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	video := filepath.Join(dir, "videos", "RHOBH_S05_E03.mp4")
	os.MkdirAll(filepath.Dir(video), 0o755)
	os.WriteFile(video, []byte("video"), 0o644)
	ep, _, err := st.RegisterEpisode(ctx, video)
	if err != nil {
		t.Fatal(err)
	}
	r := job.NewRunner(job.Config{Store: st, Now: clock},
		job.StageDef{Name: "validate", Flag: "validated", Run: func(context.Context, job.Reporter) (any, error) { return nil, nil }},
		job.StageDef{Name: "detect", Label: "Detect/Embed", Flag: "detected", Run: func(_ context.Context, rep job.Reporter) (any, error) {
			rep.Logf("frames=%d faces=%d", 1234, 5678)
			return map[string]int{"faces_detected": 5678, "embeddings_computed": 5432}, nil
		}},
		job.StageDef{Name: "track", Run: func(context.Context, job.Reporter) (any, error) {
			return nil, job.Permanent(errors.New("no detections"))
		}})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	j, _, err := r.Submit(ctx, job.Request{EpisodeKey: ep.Key, Mode: "prepare"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	harvest := filepath.Join(dir, "data", "harvest", ep.Key)
	os.MkdirAll(harvest, 0o755)
	os.WriteFile(filepath.Join(harvest, "manifest.parquet"), []byte("PAR1"), 0o644)
	os.WriteFile(filepath.Join(harvest, "embeddings.parquet"), []byte("PAR1"), 0o644)
	os.WriteFile(filepath.Join(harvest, "det_stats.json"), []byte(`{"frames_processed":1234,"faces_detected":5678,"embeddings_computed":5432}`), 0o644)
	rows := func(p string) (int64, error) {
		switch filepath.Base(p) {
		case "manifest.parquet":
			return 1234, nil
		case "embeddings.parquet":
			return 5432, nil
		}
		return 0, errors.New("unexpected")
	}

	rep, err := inspect.Build(ctx, st, dir, ep.Key, rows)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Registry.Exists || !rep.Registry.States["detected"] || rep.Registry.States["tracked"] || len(rep.Jobs) != 1 || len(rep.Jobs[0].Stages) != 3 {
		t.Fatalf("%+v", rep)
	}
	if len(rep.LogTail) != inspect.LogTailLines {
		t.Errorf("%d log lines", len(rep.LogTail))
	}
	text := rep.Text()
	for _, want := range []string{
		"Episode State Inspection: rhobh_s05_e03",
		"📋 Registry: episodes/rhobh_s05_e03/state.json",
		"   ✅ Exists",
		"Video path: " + video,
		"      ✅ validated: True  (2025-11-06T22:15:30.123Z)",
		"      ✅ detected: True",
		"      ❌ tracked: False",
		"📁 Job Envelopes: Found 1 job(s)",
		"   Job ID: " + j.ID,
		"   Mode: prepare",
		"      ✅ detect: ok",
		"         faces_detected: 5678",
		"         embeddings_computed: 5432",
		"      ❌ track: error",
		"📦 Harvest Artifacts: data/harvest/rhobh_s05_e03",
		"   ✅ manifest.parquet (1234 frames)",
		"   ✅ embeddings.parquet (5432 embeddings)",
		"   ✅ det_stats.json",
		"      • Frames processed: 1234",
		"      • Faces detected: 5678",
		"📜 Last 10 log lines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q\n%s", want, text)
		}
	}
	b, _ := json.Marshal(rep)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"episode_key", "registry", "jobs", "artifacts", "det_stats", "log_tail"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %s", k)
		}
	}
	files := m["artifacts"].(map[string]any)["files"].([]any)
	first := files[0].(map[string]any)
	if first["name"] != "manifest.parquet" || first["rows"] != 1234.0 || first["exists"] != true {
		t.Errorf("files[0] %v", first)
	}
}

func TestBuildUnknownEpisode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := inspect.Build(context.Background(), st, dir, "nobody_s01_e01", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Registry.Exists || rep.Artifacts.Exists || len(rep.Jobs) != 0 {
		t.Fatalf("%+v", rep)
	}
	if txt := rep.Text(); !strings.Contains(txt, "❌ Not registered") || !strings.Contains(txt, "Found 0 job(s)") {
		t.Errorf("%s", txt)
	}
}

func TestCurationText(t *testing.T) {
	for _, c := range []struct {
		cur  inspect.Curation
		want string
	}{
		{inspect.Curation{Ops: []string{"Lock a person"}, Clustered: true, Applied: true, Show: "rhobh", Headshots: 2}, "✏️ Curation: 1 operation(s), applied\n   1. Lock a person\n   Cast list of \"rhobh\": 2 headshot(s)\n"},
		{inspect.Curation{Ops: []string{}, Clustered: true, Show: "rhobh"}, "✏️ Curation: 0 operation(s), not applied yet: cluster runs again\n"},
		{inspect.Curation{Ops: []string{}, Show: "rhobh"}, "✏️ Curation: 0 operation(s), applied when cluster runs\n"},
	} {
		cur := c.cur
		txt := inspect.Report{EpisodeKey: "rhobh_s05_e03", Curation: &cur}.Text()
		if !strings.Contains(txt, c.want) {
			t.Errorf("text of %+v lacks %q:\n%s", c.cur, c.want, txt)
		}
	}
	if strings.Contains(inspect.Report{EpisodeKey: "x"}.Text(), "Curation") {
		t.Error("a report without curation prints a curation section")
	}
}

// holdStageEnv names the data folder in which TestHelperHoldStage, run as
// a child process, takes a stage and keeps it until it is killed.
const holdStageEnv = "CASTSCOPE_TEST_HOLD_STAGE"

// TestHelperHoldStage is the child of TestInterruptedStage: it registers
// an episode, starts a runner and submits a job whose only stage blocks,
// touches "running" once the stage runs, and waits to be killed.
func TestHelperHoldStage(t *testing.T) {
	dir := os.Getenv(holdStageEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestInterruptedStage")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(dir, "Held_S01E01.mp4")
	os.WriteFile(video, []byte("video"), 0o644)
	ep, _, err := st.RegisterEpisode(ctx, video)
	if err != nil {
		t.Fatal(err)
	}
	r := job.NewRunner(job.Config{Store: st},
		job.StageDef{Name: "detect", Flag: "detected", Run: func(ctx context.Context, _ job.Reporter) (any, error) {
			os.WriteFile(filepath.Join(dir, "running"), nil, 0o644)
			<-ctx.Done()
			return nil, ctx.Err()
		}})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Submit(ctx, job.Request{EpisodeKey: ep.Key, Mode: "detect"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute)
	t.Fatal("not killed")
}

// TestInterruptedStage: a process that runs a stage is SIGKILLed; the
// stage stays "running" in the store, and the report marks it interrupted
// with the dead process's id, in the text and in the JSON — while a stage
// of a live process is not marked.
func TestInterruptedStage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldStage$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdStageEnv+"="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "running")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the child never ran its stage")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// While the child lives, its running stage is not interrupted.
	rep, err := inspect.Build(ctx, st, dir, "held_s01_e01", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Jobs) != 1 || len(rep.Jobs[0].Stages) != 1 || rep.Jobs[0].Stages[0].Status != job.StatusRunning {
		t.Fatalf("before the kill: %+v", rep.Jobs)
	}
	if rep.Jobs[0].Stages[0].Interrupted != nil || strings.Contains(rep.Text(), "interrupted") {
		t.Fatalf("a live stage is marked interrupted:\n%s", rep.Text())
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // reaped: the pid is gone

	rep, err = inspect.Build(ctx, st, dir, "held_s01_e01", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Jobs[0].Stages[0]
	if s.Status != job.StatusRunning {
		t.Fatalf("the status changed: %s (only a runner may change it)", s.Status)
	}
	want := fmt.Sprintf("process %d is gone; resumes on the next run", pid)
	if s.Interrupted == nil || s.Interrupted.PID != pid || s.Interrupted.Message != want {
		t.Fatalf("interrupted = %+v, want pid %d", s.Interrupted, pid)
	}
	if line := "      ⚠️ detect: running → interrupted (" + want + ")"; !strings.Contains(rep.Text(), line) {
		t.Errorf("text lacks %q:\n%s", line, rep.Text())
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Jobs []struct {
			Stages []map[string]any `json:"stages"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	js := m.Jobs[0].Stages[0]
	in, _ := js["interrupted"].(map[string]any)
	if js["status"] != "running" || js["name"] != "detect" || js["owner"] == nil || in == nil || in["pid"] != float64(pid) || in["message"] != want {
		t.Errorf("stage JSON: %v", js)
	}
	var back inspect.Report
	if err := json.Unmarshal(b, &back); err != nil || back.Jobs[0].Stages[0].Interrupted == nil || back.Jobs[0].Stages[0].Name != "detect" {
		t.Errorf("the JSON does not read back: %v %+v", err, back.Jobs)
	}
}
