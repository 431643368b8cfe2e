package inspect_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
