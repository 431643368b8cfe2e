package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"castscope/backend/remote/devserver"
	"castscope/backend/testmedia"
)

// TestBenchTemporal runs `castscope bench --temporal` small (2 episodes,
// 6 s clips) against a real development server, real workers and real
// runs: both measurements come out with positive numbers, every run's
// episodes ended ok with every stage timed, the two-worker run's detects
// went to both workers' records, and the table prints what it measured.
func TestBenchTemporal(t *testing.T) {
	if devserver.Binary() == "" {
		if os.Getenv("CASTSCOPE_REQUIRE_TEMPORAL") == "1" {
			t.Fatal("no Temporal CLI (make temporal) and CASTSCOPE_REQUIRE_TEMPORAL=1")
		}
		t.Skip("no Temporal CLI: make temporal")
	}
	media, models := testmedia.Fixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	work := t.TempDir()
	cmd := castscope("bench", "--temporal", "--episodes", "2", "--clip", "6s", "--media", media, "--work", work, "--json")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench --temporal: %v\nstderr:\n%s\nstdout:\n%s", err, errb.String(), out.String())
	}
	t.Logf("bench --temporal took %.0f s", time.Since(t0).Seconds())
	var r TemporalBench
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not the bench's JSON: %v\n%s", err, out.String())
	}
	if r.CPUs < 1 || r.Provider == "" || !strings.HasPrefix(r.Server, "dev server 127.0.0.1:") {
		t.Errorf("header: cpus %d provider %q server %q", r.CPUs, r.Provider, r.Server)
	}
	runs := map[string]struct {
		run      BenchRun
		episodes int
		workers  int
	}{
		"local": {r.Local, 1, 0}, "temporal": {r.Temporal, 1, 1},
		"one worker": {r.OneWorker, 2, 1}, "two workers": {r.TwoWorkers, 2, 2},
	}
	for name, c := range runs {
		x := c.run
		if x.WallS <= 0 || x.PerHour <= 0 || x.Workers != c.workers || !x.AllOK || len(x.Episodes) != c.episodes {
			t.Errorf("%s: wall %.1f s, %.1f/h, %d workers, all ok %v, %d episodes; want %d workers, %d episodes ok",
				name, x.WallS, x.PerHour, x.Workers, x.AllOK, len(x.Episodes), c.workers, c.episodes)
		}
		for _, ep := range x.Episodes {
			if !ep.OK || len(ep.Stages) != 6 || ep.StagesS <= 0 || ep.StagesS > x.WallS {
				t.Errorf("%s %s: ok %v, %d stages, %.1f s of stages in %.1f s wall", name, ep.Key, ep.OK, len(ep.Stages), ep.StagesS, x.WallS)
			}
			for _, s := range ep.Stages {
				if s.Status != "ok" || s.Seconds <= 0 {
					t.Errorf("%s %s stage %s: %s in %.2f s", name, ep.Key, s.Name, s.Status, s.Seconds)
				}
				if c.workers > 0 && (!strings.HasPrefix(s.Worker, "bench-") || s.WorkerS <= 0 || s.WorkerS > s.Seconds) {
					t.Errorf("%s %s stage %s ran on %q for %.2f s of its record's %.2f s; want a bench worker, within the record",
						name, ep.Key, s.Name, s.Worker, s.WorkerS, s.Seconds)
				}
				if c.workers == 0 && (s.Worker != "" || s.WorkerS != 0) {
					t.Errorf("%s %s stage %s: worker %q %.2f s on a local run", name, ep.Key, s.Name, s.Worker, s.WorkerS)
				}
			}
		}
	}
	if r.Local.Episodes[0].Key == r.Temporal.Episodes[0].Key {
		t.Errorf("(a)'s two runs share the key %s", r.Local.Episodes[0].Key)
	}
	n := 0
	for _, c := range r.TwoWorkers.DetectsBy {
		n += c
	}
	if n != 2 {
		t.Errorf("two workers' detects: %v, want 2 in all", r.TwoWorkers.DetectsBy)
	}
	if r.OverheadPct == 0 || r.OverheadPct < -90 || r.ScaleRatio <= 0 {
		t.Errorf("overhead %.1f %%, scale ratio %.2f", r.OverheadPct, r.ScaleRatio)
	}
	if len(r.StageCost) != 6 || r.StageCost[2].Stage != "detect" || r.StageCost[2].LocalS <= 0 || r.StageCost[2].TemporalS <= 0 || r.StageCost[2].WorkerS <= 0 {
		t.Errorf("stage cost: %+v", r.StageCost)
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "cores") || !strings.Contains(r.Notes[0], "side by side") {
		t.Errorf("notes do not say how the workers shared the machine: %q", r.Notes)
	}
	// The work folder is removed without --keep.
	if left, _ := os.ReadDir(work); len(left) != 0 {
		t.Errorf("the work folder keeps %d entries without --keep", len(left))
	}

	// The printed table, from the same result.
	text := r.Text()
	for _, want := range []string{"driver overhead Temporal ÷ local − 1", "throughput two ÷ one", "episodes/h", "detect alone Temporal ÷ local", "detect on its worker", "stage cost, seconds per minute of video", "CPU cores"} {
		if !strings.Contains(text, want) {
			t.Errorf("the table lacks %q:\n%s", want, text)
		}
	}
	t.Logf("\n%s", text)
}
