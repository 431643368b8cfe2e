package service

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/sqlite"
)

func TestSettingsDefaultsAndValidation(t *testing.T) {
	t.Parallel()
	n := Settings{}.Normalized()
	if n.SampleFPS != DefaultSampleFPS || n.DetectPreset != DefaultDetectPreset || n.StallAfterS != DefaultStallAfter.Seconds() {
		t.Errorf("zero settings normalize to %+v", n)
	}
	for _, bad := range []Settings{{DetectPreset: "turbo"}, {SampleFPS: 500}, {SampleFPS: 0.0001}, {SampleFPS: 0.49}, {StallAfterS: 1}, {SampleFPS: math.NaN()}, {ClusterThreshold: math.NaN()}, {StallAfterS: math.Inf(1)}} {
		if errs.CodeOf(bad.Validate()) != errs.Usage {
			t.Errorf("%+v validated", bad)
		}
	}
	for _, good := range []Settings{{SampleFPS: MinSampleFPS}, {SampleFPS: 120}, {SampleFPS: -1}} {
		if err := good.Validate(); err != nil {
			t.Errorf("%+v refused: %v", good, err)
		}
	}
	dir := t.TempDir()
	if err := SaveSettings(dir, Settings{RequireGPU: true, SampleFPS: 2}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSettings(dir)
	if err != nil || !got.RequireGPU || got.SampleFPS != 2 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if err := SaveSettings(dir, Settings{DetectPreset: "nope"}); err == nil {
		t.Fatal("saved invalid settings")
	}
	if again, _ := LoadSettings(dir); again != got {
		t.Errorf("a refused save changed the file: %+v", again)
	}
	os.WriteFile(filepath.Join(dir, "settings.json"), []byte("{oops"), 0o644)
	if _, err := LoadSettings(dir); errs.CodeOf(err) != errs.Usage {
		t.Errorf("broken settings.json: %v", err)
	}
}

// TestBadSettings: a hand-edited settings.json with values out of range
// opens with those values at their defaults (logged); one that cannot be
// decoded — not JSON, a value of the wrong type, a folder in its place —
// keeps the window's Open from starting with an ERR_USAGE that names the
// file, the reason and what to do, leaves the file as it is, and a
// reading command still works with the defaults and a warning.
func TestBadSettings(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "settings.json"), []byte(`{"detect_preset":"turbo","sample_fps":2,"cluster_threshold":9}`), 0o644)
	b, err := Open(ctx, Options{DataDir: dir, NoRunner: true})
	if err != nil {
		t.Fatal(err)
	}
	s := b.Settings()
	b.Close()
	if s.DetectPreset != DefaultDetectPreset || s.SampleFPS != 2 || s.ClusterThreshold != 0.5 {
		t.Errorf("bad values: %+v", s)
	}

	for _, c := range []struct {
		name, content, reason string
	}{
		{"not JSON", "{\n  \"sample_fps\": 2,\n  oops\n}", "is not valid JSON (line 3: "},
		{"wrong type", `{"sample_fps": "fast"}`, `"sample_fps" must be a number, not a string`},
		{"a folder", "", "is a folder, not a file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if st, err := sqlite.Open(ctx, dir, sqlite.Options{}); err != nil { // a data folder in use
				t.Fatal(err)
			} else {
				st.Close()
			}
			path := filepath.Join(dir, "settings.json")
			if c.content == "" {
				os.MkdirAll(filepath.Join(path, "inside"), 0o755)
			} else {
				os.WriteFile(path, []byte(c.content), 0o644)
			}
			if _, err := LoadSettings(dir); errs.CodeOf(err) != errs.Usage || !strings.Contains(errs.As(err).Message, c.reason) {
				t.Errorf("LoadSettings: %v", err)
			}
			b, err := Open(ctx, Options{DataDir: dir, NoRunner: true})
			if err == nil {
				b.Close()
				t.Fatal("opened with an unusable settings file")
			}
			e := errs.As(err)
			if e.Code != errs.Usage || !strings.Contains(e.Message, path) || !strings.Contains(e.Message, c.reason) || !strings.Contains(e.Hint, "start Castscope again") {
				t.Errorf("Open: %+v", e)
			}
			logged, _ := os.ReadFile(filepath.Join(dir, "logs", "worker.log"))
			if !strings.Contains(string(logged), "ERROR settings file is unusable file="+path) {
				t.Errorf("not logged:\n%s", logged)
			}
			if st, err := os.Stat(path); err != nil || st.IsDir() != (c.content == "") {
				t.Errorf("the settings file was not left as it was: %v", err)
			} else if got, _ := os.ReadFile(path); c.content != "" && string(got) != c.content {
				t.Errorf("the settings file was rewritten: %q", got)
			}
			if _, err := os.Lstat(path + ".bad"); err == nil {
				t.Error("the settings file was moved aside")
			}

			b, err = Open(ctx, Options{DataDir: dir, ReadOnly: true})
			if err != nil {
				t.Fatalf("a read-only open: %v", err)
			}
			s := b.Settings()
			b.Close()
			if s != (Settings{}).Normalized() {
				t.Errorf("read-only open: %+v", s)
			}
			logged, _ = os.ReadFile(filepath.Join(dir, "logs", "worker.log"))
			if !strings.Contains(string(logged), "WARN settings file is unusable; using defaults file="+path) {
				t.Errorf("the read-only open did not log its warning:\n%s", logged)
			}
		})
	}
}

func TestResolveDataDir(t *testing.T) {
	t.Setenv("CASTSCOPE_DATA", "/tmp/from-env")
	if got := ResolveDataDir("/tmp/from-flag"); got != "/tmp/from-flag" {
		t.Errorf("flag should win: %s", got)
	}
	if got := ResolveDataDir(""); got != "/tmp/from-env" {
		t.Errorf("env should be next: %s", got)
	}
	t.Setenv("CASTSCOPE_DATA", "")
	t.Setenv("XDG_DATA_HOME", "/tmp/xdg")
	if got := ResolveDataDir(""); got != "/tmp/xdg/castscope" {
		t.Errorf("default: %s", got)
	}
}

// TestAddVideosTwiceKeepsOneEpisodeAndOneJob: a second drop of the same
// file selects the existing episode; no second episode, no second job.
func TestAddVideosTwiceKeepsOneEpisodeAndOneJob(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	clip := filepath.Join(t.TempDir(), "Show_S02_E07_20251106.mp4")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=1", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	t.Setenv("CASTSCOPE_MODELS", t.TempDir()) // detect fails fast; this test is about registration
	ctx := context.Background()
	b, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	first, err := b.AddVideos(ctx, []string{clip})
	if err != nil || len(first) != 1 || first[0].Episode.Key != "show_s02_e07" || first[0].LatestJob == nil {
		t.Fatalf("first add: %+v %v", first, err)
	}
	second, err := b.AddVideos(ctx, []string{clip})
	if err != nil || len(second) != 1 || second[0].Episode.Key != "show_s02_e07" {
		t.Fatalf("second add: %+v %v", second, err)
	}
	eps, _ := b.store.Episodes(ctx)
	jobs, _ := b.store.Jobs(ctx, "show_s02_e07")
	if len(eps) != 1 || len(jobs) != 1 {
		t.Fatalf("%d episodes and %d jobs after two adds, want 1 and 1", len(eps), len(jobs))
	}
	// A missing file next to a good one: the good one is still added.
	views, err := b.AddVideos(ctx, []string{filepath.Join(t.TempDir(), "gone.mp4"), clip})
	if errs.CodeOf(err) != errs.InputNotFound || len(views) != 1 {
		t.Fatalf("mixed add: %d views, %v", len(views), err)
	}
	if _, _, err := b.Run(ctx, "show_s02_e07", []string{"bogus"}, RunOverrides{}); errs.CodeOf(err) != errs.Usage {
		t.Errorf("unknown stage: %v", err)
	}
	if _, _, err := b.Run(ctx, "nobody_s01_e01", nil, RunOverrides{}); errs.CodeOf(err) != errs.EpisodeNotRegistered {
		t.Errorf("unknown episode: %v", err)
	}
}

func TestPoster(t *testing.T) {
	ctx := context.Background()
	b, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Poster("../../etc"); errs.CodeOf(err) != errs.InvalidEpisodeKey {
		t.Errorf("hostile key: %v", err)
	}
	if jpeg, err := b.Poster("show_s01_e01"); jpeg != nil || err != nil {
		t.Errorf("no poster yet: %d bytes, %v", len(jpeg), err)
	}
	dir := filepath.Join(b.DataDir, "data", "harvest", "show_s01_e01", "thumbs")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "poster.jpg"), []byte{0xff, 0xd8, 0xff}, 0o644)
	if jpeg, err := b.Poster("show_s01_e01"); len(jpeg) != 3 || err != nil {
		t.Errorf("poster: %d bytes, %v", len(jpeg), err)
	}
}

// TestSavedStallTimeoutAppliesAtOnce: the runner judges stalls by the
// saved timeout without a restart.
func TestSavedStallTimeoutAppliesAtOnce(t *testing.T) {
	b, err := Open(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.runner.StallAfter(); got != DefaultStallAfter {
		t.Fatalf("stall timeout %v, want the default %v", got, DefaultStallAfter)
	}
	s := b.Settings()
	s.StallAfterS = 30
	if err := b.SaveSettings(s); err != nil {
		t.Fatal(err)
	}
	if got := b.runner.StallAfter(); got != 30*time.Second {
		t.Errorf("stall timeout %v after saving 30 s", got)
	}
}

// TestUnreadableSettings: a settings.json that cannot be read (a symlink
// loop here, which blocks root too; also mode 0000 when not root) is a
// typed error naming the file and what to do, logged in worker.log; the
// file is neither moved nor replaced. A command that only reads opens
// with the defaults and a warning.
func TestUnreadableSettings(t *testing.T) {
	ctx := context.Background()
	type setup struct {
		name string
		make func(t *testing.T, path string)
	}
	cases := []setup{{"symlink loop", func(t *testing.T, path string) {
		if err := os.Symlink(filepath.Base(path), path); err != nil {
			t.Fatal(err)
		}
	}}}
	if os.Geteuid() != 0 {
		cases = append(cases, setup{"mode 0000", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(`{"sample_fps":2}`), 0o000); err != nil {
				t.Fatal(err)
			}
		}})
	} else {
		t.Log("running as root: mode 0000 does not block reading, only the symlink loop is tried")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if st, err := sqlite.Open(ctx, dir, sqlite.Options{}); err != nil { // a data folder in use
				t.Fatal(err)
			} else {
				st.Close()
			}
			path := filepath.Join(dir, "settings.json")
			c.make(t, path)
			_, err := LoadSettings(dir)
			e := errs.As(err)
			if e == nil || e.Code != errs.Usage || !strings.Contains(e.Message, "cannot read its settings file "+path) || !strings.Contains(e.Hint, "readable") {
				t.Fatalf("LoadSettings: %+v", e)
			}
			b, err := Open(ctx, Options{DataDir: dir, NoRunner: true})
			if err == nil {
				b.Close()
				t.Fatal("opened with an unreadable settings file")
			}
			if got := errs.As(err); got.Code != errs.Usage || got.Message != e.Message {
				t.Fatalf("Open: %+v", got)
			}
			logged, _ := os.ReadFile(filepath.Join(dir, "logs", "worker.log"))
			if !strings.Contains(string(logged), "ERROR settings file is unusable file="+path) {
				t.Errorf("not logged:\n%s", logged)
			}
			if _, err := os.Lstat(path); err != nil {
				t.Errorf("the settings file is gone: %v", err)
			}
			if _, err := os.Lstat(path + ".bad"); err == nil {
				t.Error("the settings file was moved aside")
			}

			b, err = Open(ctx, Options{DataDir: dir, ReadOnly: true})
			if err != nil {
				t.Fatalf("a read-only open: %v", err)
			}
			s := b.Settings()
			b.Close()
			if s != (Settings{}).Normalized() {
				t.Errorf("read-only open: %+v", s)
			}
			logged, _ = os.ReadFile(filepath.Join(dir, "logs", "worker.log"))
			if !strings.Contains(string(logged), "WARN settings file is unusable; using defaults file="+path) {
				t.Errorf("the read-only open did not log its warning:\n%s", logged)
			}
		})
	}
}

// TestSkippedRunKeepsTimestamps: a run whose every stage is skipped
// (outputs complete, inputs unchanged) leaves the registry's flags and
// their timestamps (episodes/{key}/state.json) as they were.
func TestSkippedRunKeepsTimestamps(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	clip := filepath.Join(t.TempDir(), "Show_S01E03.mp4")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=1", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	ctx := context.Background()
	data := t.TempDir()
	b, err := Open(ctx, Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ep, _, err := b.AddVideo(ctx, clip)
	if err != nil {
		t.Fatal(err)
	}
	runAll := func(want job.Status) {
		t.Helper()
		j, _, err := b.Run(ctx, ep.Key, []string{"validate", "extract"}, RunOverrides{})
		if err != nil {
			t.Fatal(err)
		}
		if j, err = b.runner.Wait(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
		for _, s := range j.Stages {
			if s.Status != want {
				t.Fatalf("%s: %s, want %s", s.Name, s.Status, want)
			}
		}
	}
	state := func() map[string]any {
		t.Helper()
		if err := b.store.ExportAll(ctx); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(data, "episodes", ep.Key, "state.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	runAll(job.StatusOK)
	before := state()
	ts, _ := before["timestamps"].(map[string]any)
	if ts["validated"] == nil || ts["extracted_frames"] == nil {
		t.Fatalf("timestamps after the first run: %v", before["timestamps"])
	}
	time.Sleep(5 * time.Millisecond) // timestamps have milliseconds
	runAll(job.StatusSkipped)
	after := state()
	if !reflect.DeepEqual(before["timestamps"], after["timestamps"]) || !reflect.DeepEqual(before["states"], after["states"]) {
		t.Errorf("a run that skipped every stage changed the registry:\nbefore %v %v\nafter  %v %v", before["states"], before["timestamps"], after["states"], after["timestamps"])
	}
}
