package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"castscope/backend/harvest"
	"castscope/backend/testmedia"
)

// mainEnv makes this test binary castscope itself: `castscope ARGS` with
// stage attempts in `castscope worker` children of the same binary.
const mainEnv = "CASTSCOPE_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		exe, _ := os.Executable()
		os.Exit(Main(context.Background(), os.Args[1:], &Env{Stdout: os.Stdout, Stderr: os.Stderr, WorkerExe: exe}))
	}
	os.Exit(m.Run())
}

// castscope runs this binary as castscope with args.
func castscope(args ...string) *exec.Cmd {
	exe, _ := os.Executable()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	return cmd
}

// TestKilledThreeTimesResumes is a user force-quitting `castscope run`
// three times a few seconds after each start, in whatever stage it is,
// then running it again: every stage ends ok and the artifacts equal
// those of a run never interrupted, row for row. Killing the app is not a
// crash of the stage it was in, and each stage attempt ran in a worker
// that died with it.
func TestKilledThreeTimesResumes(t *testing.T) {
	media, models := testmedia.Fixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	dir := t.TempDir()
	clip := filepath.Join(dir, "Kill_S01_E01.mp4")
	// 12 s of 720p from the synthetic faces clip
	ff := exec.Command("ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", filepath.Join(media, "faces_synthetic.mp4"),
		"-t", "12", "-vf", "scale=1280:720", "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-an", clip)
	if out, err := ff.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}

	ref := filepath.Join(dir, "ref")
	if out, err := castscope("run", clip, "--data", ref).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}

	data := filepath.Join(dir, "data")
	var stages []string
	for k := 1; k <= 3; k++ {
		cmd := castscope("run", clip, "--data", data)
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The first kill lands early (validate or extract), the others
		// a few seconds into detect, after it saved checkpoints.
		if k > 1 {
			deadline := time.Now().Add(2 * time.Minute)
			for !strings.Contains(out.String(), "[DETECT]") && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
		}
		time.Sleep(time.Duration(2000+1000*k) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		last := lastLine(out.String())
		if strings.Contains(last, "finished") {
			t.Fatalf("run %d finished before it could be killed; kill sooner:\n%s", k, out.String())
		}
		stages = append(stages, last)
		time.Sleep(200 * time.Millisecond)
		if ps, _ := exec.Command("pgrep", "-f", "-a", "worker --data "+data).Output(); len(ps) > 0 {
			t.Fatalf("kill %d left a worker running:\n%s", k, ps)
		}
	}
	t.Logf("killed at:\n%s", strings.Join(stages, "\n"))
	out, err := castscope("run", clip, "--data", data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "6 ok") {
		t.Fatalf("run after three kills: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "[DETECT]") && strings.Contains(line, " ok in ") {
			t.Log(line)
		}
	}

	a := harvest.Dir(ref, "kill_s01_e01")
	b := harvest.Dir(data, "kill_s01_e01")
	sameRows[harvest.ManifestRow](t, a, b, "manifest.parquet")
	sameRows[harvest.DetectionRow](t, a, b, "detections.parquet")
	sameRows[harvest.EmbeddingRow](t, a, b, "embeddings.parquet")
	for _, name := range []string{"screentime.json", "tracks_metrics.json"} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if len(x) == 0 || string(x) != string(y) {
			t.Errorf("%s differs from the uninterrupted run's", name)
		}
	}
}

func sameRows[T any](t *testing.T, a, b, name string) {
	t.Helper()
	x, err := harvest.ReadAll[T](filepath.Join(a, name))
	if err != nil {
		t.Fatal(err)
	}
	y, err := harvest.ReadAll[T](filepath.Join(b, name))
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != len(y) {
		t.Fatalf("%s: %d rows after the kills, %d uninterrupted", name, len(y), len(x))
	}
	for i := range x {
		if !reflect.DeepEqual(x[i], y[i]) {
			t.Fatalf("%s row %d differs:\n%s", name, i, fmt.Sprintf("uninterrupted %+v\nafter kills   %+v", x[i], y[i]))
		}
	}
	t.Logf("%s: %d rows equal", name, len(x))
}
