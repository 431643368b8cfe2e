package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"castscope/backend/job"
	"castscope/backend/screentime"
	"castscope/backend/service"
	"castscope/backend/sqlite"
	"castscope/backend/testmedia"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestUsageErrorsExitTwo(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{
		{"frobnicate"},
		{"run", "--bogus", "x.mp4"},
		{"run", "--data", data},
		{"inspect", "--data", data},
		{"inspect", "a", "b", "--data", data},
		{"run", "--fps", "many", "x.mp4"},
		{"doctor", "--nope"},
		{"run", "x.mp4", "--data", data, "--stages", "teleport"},
		{"run", "x.mp4", "--data", data, "--preset", "turbo"},
		{"run", "x.mp4", "--data", data, "--fps", "500"},
		{"run", "x.mp4", "--data", data, "--fps", "0.0001"},
		{"run", "x.mp4", "--data", data, "--cluster-threshold", "7"},
		{"run", "x.mp4", "--data", data, "--min-track-len", "-2"},
		{"run", "x.mp4", "--data", data, "--screentime-preset", "loose"},
		{"run", "x.mp4", "--data", data, "--cluster-threshold", "NaN"},
		{"run", "x.mp4", "--data", data, "--fps", "NaN"},
		{"run", "x.mp4", "--data", data, "--min-track-len", "0"},
		{"cast", "show_s01_e01", "list", "junk", "--data", data},
		{"cast", "show_s01_e01", "undo", "3", "--data", data},
		{"cast", "show_s01_e01", "lock", "3", "--name", "Kyle", "--data", data},
		{"cast", "--data", data},
		{"cast", "show_s01_e01", "explode", "--data", data},
		{"cast", "show_s01_e01", "rename", "one", "Kyle", "--data", data},
		{"cast", "show_s01_e01", "merge", "3", "--data", data},
		{"cast", "show_s01_e01", "lock", "--data", data},
		{"cast", "show_s01_e01", "at", "--data", data},
	} {
		code, _, _ := run(t, args...)
		if code != ExitUsage {
			t.Errorf("castscope %s: exit %d, want %d", strings.Join(args, " "), code, ExitUsage)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "castscope.db")); err == nil {
		t.Error("a usage error opened the data folder")
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands {
		code, _, stderr := run(t, c.name, "--help")
		if code != ExitOK || !strings.Contains(stderr, "Usage: castscope "+c.name) {
			t.Errorf("%s --help: exit %d, output %q", c.name, code, stderr)
		}
	}
	code, stdout, _ := run(t, "help")
	if code != ExitOK || !strings.Contains(stdout, "castscope run") {
		t.Errorf("help: exit %d, %q", code, stdout)
	}
}

func TestParseAllowsFlagsAfterArguments(t *testing.T) {
	fs := newFlags(&Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}, "run")
	fps := fs.Float64("fps", 0, "")
	pos, code := parse(fs, []string{"a.mp4", "--fps", "2", "b c.mp4", "--", "--weird.mp4"})
	if code >= 0 {
		t.Fatalf("parse ended with %d", code)
	}
	if *fps != 2 || strings.Join(pos, "|") != "a.mp4|b c.mp4|--weird.mp4" {
		t.Fatalf("fps=%v pos=%q", *fps, pos)
	}
}

// TestRunBadInputs: a missing file and a folder fail before anything is
// registered; a zero-byte file is registered and its validate stage fails
// with a typed error. Each exits 3 with "error: ERR_…" as the last line.
func TestRunBadInputs(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "Empty Show S01E01 ünï.mp4")
	if err := os.WriteFile(zero, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.mp4")
	if err := os.WriteFile(text, []byte("this is not a video\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, code string
		registered       bool
	}{
		{"missing", filepath.Join(dir, "nope.mp4"), "ERR_INPUT_NOT_FOUND", false},
		{"directory", dir, "ERR_INPUT_NOT_FOUND", false},
		{"zero-byte", zero, "ERR_VIDEO_UNREADABLE", true},
		{"text file", text, "ERR_VIDEO_UNREADABLE", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := t.TempDir()
			code, stdout, stderr := run(t, "run", c.path, "--data", data, "--stages", "validate")
			if code != ExitError {
				t.Fatalf("exit %d, want 3\n%s%s", code, stdout, stderr)
			}
			if last := lastLine(stdout); !strings.HasPrefix(last, "error: "+c.code+" ") {
				t.Fatalf("last line %q, want error: %s …\n%s", last, c.code, stdout)
			}
			eps, _ := filepath.Glob(filepath.Join(data, "episodes", "*", "state.json"))
			if c.registered != (len(eps) == 1) {
				t.Fatalf("registered episodes %v, want registered=%v", eps, c.registered)
			}
			if c.registered {
				// The failed attempt is recorded: a job whose validate is error.
				metas, _ := filepath.Glob(filepath.Join(data, "data", "jobs", "*", "meta.json"))
				if len(metas) != 1 {
					t.Fatalf("jobs %v, want one", metas)
				}
				var meta struct {
					Stages map[string]struct {
						Status string `json:"status"`
						Error  *struct {
							Code string `json:"code"`
						} `json:"error"`
					} `json:"stages"`
				}
				b, _ := os.ReadFile(metas[0])
				if err := json.Unmarshal(b, &meta); err != nil {
					t.Fatal(err)
				}
				v := meta.Stages["validate"]
				if v.Status != "error" || v.Error == nil || v.Error.Code != c.code {
					t.Fatalf("validate in meta.json: %+v", v)
				}
			}
		})
	}
}

func TestInspectUnknownEpisode(t *testing.T) {
	code, stdout, stderr := run(t, "inspect", "no_such_s01_e01", "--data", t.TempDir())
	if code != ExitError {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout+stderr, "no_such_s01_e01") {
		t.Fatalf("output does not name the episode:\n%s%s", stdout, stderr)
	}
}

func TestInspectRejectsHostileKey(t *testing.T) {
	code, stdout, stderr := run(t, "inspect", "../../etc", "--data", t.TempDir())
	if code != ExitError || !strings.Contains(stdout+stderr, "ERR_INVALID_EPISODE_KEY") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestDoctorNamesBadModel: a damaged model file is named with its problem,
// and doctor exits 3 instead of crashing.
func TestDoctorNamesBadModel(t *testing.T) {
	models := t.TempDir()
	if err := os.WriteFile(filepath.Join(models, "retinaface_mnet025_640.onnx"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CASTSCOPE_MODELS", models)
	code, stdout, _ := run(t, "doctor", "--data", t.TempDir())
	if code != ExitError {
		t.Fatalf("exit %d, want 3\n%s", code, stdout)
	}
	for _, want := range []string{"retinaface_mnet025_640.onnx", "ERR_MODEL_CHECKSUM", "mobilefacenet_arcface_128.onnx", "ERR_MODEL_MISSING"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestRunWithMissingModelFailsDetect: validate and extract succeed, detect
// ends in error naming the missing model file.
func TestRunWithMissingModelFailsDetect(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	clip := filepath.Join(dir, "Show_S01_E02.mp4")
	out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=2",
		"-pix_fmt", "yuv420p", clip).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	t.Setenv("CASTSCOPE_MODELS", t.TempDir())
	code, stdout, stderr := run(t, "run", clip, "--data", t.TempDir(), "--stages", "validate,extract,detect")
	if code != ExitError {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	last := lastLine(stdout)
	if !strings.HasPrefix(last, "error: ERR_MODEL_MISSING ") || !strings.Contains(last, "retinaface_mnet025_640.onnx") {
		t.Fatalf("last line %q\n%s", last, stdout)
	}
	if !strings.Contains(stdout, "[VALIDATE] show_s01_e02 ok") || !strings.Contains(stdout, "[EXTRACT] show_s01_e02 ok") {
		t.Fatalf("earlier stages did not end ok:\n%s", stdout)
	}
}

func TestRunEndsWithScreenTime(t *testing.T) {
	rep := screentime.Report{EpisodeKey: "show_s01_e01", DurationS: 3725, SampleIntervalS: 0.2,
		People: []screentime.Person{
			{Label: "Kyle Richards", ScreenTimeS: 612.44, MarginS: 1.2, Share: 0.1644, Appearances: 31},
			{Label: "Person 2", ScreenTimeS: 40, MarginS: 0.4, Share: 0.0107, Appearances: 2},
		},
		Unidentified: screentime.Unidentified{ScreenTimeS: 12.5},
	}
	var out bytes.Buffer
	printScreenTime(&out, rep, "/data/harvest/show_s01_e01/report.html")
	got := out.String()
	for _, want := range []string{
		"screen time of show_s01_e01 (1:02:05; faces sampled every 0.20 s",
		"Kyle Richards         612.4 s ±1.2   16.4 %  31 appearance(s)",
		"unidentified faces     12.5 s\n",
		"report: /data/harvest/show_s01_e01/report.html",
		"castscope cast show_s01_e01",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	printScreenTime(&out, screentime.Report{EpisodeKey: "empty_s01_e01", DurationS: 42}, "")
	if got := out.String(); !strings.Contains(got, "(0:42;") || !strings.Contains(got, "nobody") || strings.Contains(got, "report:") {
		t.Errorf("an episode with no faces:\n%s", got)
	}
}

// TestCastOnTheCommandLine curates a real episode: each action waits for
// the re-cluster it causes, and one taken while the identities are not
// current (a cluster run died) first brings them up to date instead of
// being refused.
func TestCastOnTheCommandLine(t *testing.T) {
	data := runShowEpisode(t)
	cast := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := run(t, append(append([]string{"cast", "show_s01_e01"}, args...), "--data", data)...)
		if code != ExitOK {
			t.Fatalf("cast %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	if out := cast(); !strings.Contains(out, "Person 1") {
		t.Fatalf("cast list:\n%s", out)
	}
	if out := cast("rename", "1", "Alex", "Example"); !strings.Contains(out, "Alex Example") {
		t.Errorf("after rename:\n%s", out)
	}

	// As a cluster run that died leaves the registry.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, data, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.SetEpisodeState(ctx, "show_s01_e01", "clustered", false)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	alex := func(out string) string { // Alex Example's row of the table
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "Alex Example") && strings.Contains(l, " s ±") {
				return l
			}
		}
		return ""
	}
	if out := cast("lock", "1"); !strings.Contains(alex(out), "locked") {
		t.Errorf("after lock:\n%s", out)
	}
	if out := cast("undo"); alex(out) == "" || strings.Contains(alex(out), "locked") {
		t.Errorf("after undoing the lock:\n%s", out)
	}
	if out := cast("undo"); strings.Contains(out, "Alex Example") {
		t.Errorf("after undoing the rename:\n%s", out)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestRunLastLineNamesTheCause: a run of a broken file and a missing one
// ends with the cause of the job's failure (the validate stage's error),
// not the "Not run because …" of the stages after it; each error (hint
// and line) prints once, and the stages after it read as not run.
func TestRunLastLineNamesTheCause(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "Empty_S01E01.mp4")
	if err := os.WriteFile(zero, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.mp4")
	data := t.TempDir()
	code, stdout, stderr := run(t, "run", zero, missing, "--data", data)
	if code != ExitError {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if last := lastLine(stdout); last != "error: ERR_VIDEO_UNREADABLE Empty_S01E01.mp4 is empty (0 bytes)." {
		t.Fatalf("last line %q\n%s", last, stdout)
	}
	var errLines, hints []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "error: ") {
			errLines = append(errLines, l)
		}
		if strings.HasPrefix(l, "hint: ") {
			hints = append(hints, l)
		}
	}
	if len(errLines) != 2 || !strings.HasPrefix(errLines[0], "error: ERR_INPUT_NOT_FOUND ") || !strings.Contains(errLines[0], "nope.mp4") {
		t.Errorf("error lines %q, want the missing file's, then the broken file's\n%s", errLines, stdout)
	}
	if len(hints) != 2 || hints[0] == hints[1] {
		t.Errorf("hints %q, want one per error\n%s", hints, stdout)
	}
	if strings.Contains(stdout, "ERR_CANCELED") {
		t.Errorf("the consequence is printed as an error:\n%s", stdout)
	}
	for _, want := range []string{
		"[VALIDATE] empty_s01_e01 error in ",
		"[EXTRACT] empty_s01_e01 not run because the validate stage failed.",
		"[ANALYTICS] empty_s01_e01 not run because the validate stage failed.",
		"finished: 1 error, 5 not run",
		"not registered: " + missing,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q\n%s", want, stdout)
		}
	}
	// What the run did is kept: the episode is registered and its job
	// records the validate stage's error.
	code, out, _ := run(t, "inspect", "empty_s01_e01", "--data", data)
	if code != ExitOK || !strings.Contains(out, "❌ validate: error") || !strings.Contains(out, "ERR_VIDEO_UNREADABLE") {
		t.Errorf("inspect after the run: exit %d\n%s", code, out)
	}
}

// holdJobEnv names the data folder in which TestHelperHoldJob, run as a
// child process, runs a job of show_s01_e01 whose validate stage lasts
// until a file "release" appears there.
const holdJobEnv = "CASTSCOPE_TEST_HOLD_JOB"

func TestHelperHoldJob(t *testing.T) {
	dir := os.Getenv(holdJobEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestRunJoiningAJob")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ep, _, err := st.RegisterEpisode(ctx, filepath.Join(dir, "Show_S01E01.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	ok := func(context.Context, job.Reporter) (any, error) { return nil, nil }
	r := job.NewRunner(job.Config{Store: st},
		job.StageDef{Name: "validate", Run: func(ctx context.Context, _ job.Reporter) (any, error) {
			os.WriteFile(filepath.Join(dir, "running"), nil, 0o644)
			for ctx.Err() == nil {
				if _, err := os.Stat(filepath.Join(dir, "release")); err == nil {
					return nil, nil
				}
				time.Sleep(20 * time.Millisecond)
			}
			return nil, ctx.Err()
		}},
		job.StageDef{Name: "extract", Run: ok})
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	j, _, err := r.Submit(ctx, job.Request{EpisodeKey: ep.Key, Mode: "prepare", Stages: []string{"validate", "extract"},
		Settings: json.RawMessage(`{"sample_fps":5,"detect_preset":"default","require_gpu":false,"cluster_threshold":0.5,"min_track_len":3,"screentime_preset":"default"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Wait(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	r.Close()
	st.Close()
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunJoiningAJob: another process runs a job of the episode (fps 5,
// validate and extract). A run whose flags differ from that job's refuses,
// naming the job and each flag with the job's value, and leaves the job as
// it was; a run whose flags match says it joined the job and follows it
// to its end.
func TestRunJoiningAJob(t *testing.T) {
	data := t.TempDir()
	clip := filepath.Join(data, "Show_S01E01.mp4")
	if err := os.WriteFile(clip, []byte("not read by the held job"), 0o644); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestHelperHoldJob$", "-test.count=1")
	child.Env = append(os.Environ(), holdJobEnv+"="+data)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	defer func() {
		child.Process.Kill()
		<-done
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(data, "running")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other process never ran its job")
		}
	}
	jobsOf := func() []job.Job {
		t.Helper()
		st, err := sqlite.Open(context.Background(), data, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		js, err := st.Jobs(context.Background(), "show_s01_e01")
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	held := jobsOf()
	if len(held) != 1 {
		t.Fatalf("jobs %+v", held)
	}
	id := held[0].ID

	code, stdout, stderr := run(t, "run", clip, "--data", data, "--fps", "2", "--stages", "validate,detect", "--rerun")
	if code != ExitError {
		t.Fatalf("differing flags: exit %d\n%s%s", code, stdout, stderr)
	}
	want := "error: ERR_USAGE show_s01_e01 already has job " + id + " queued or running, with other settings than this run's: " +
		"--stages validate,detect (job: validate,extract; it does not run detect); --fps 2 (job: 5); --rerun (job: skips stages whose outputs are up to date)."
	if last := lastLine(stdout); last != want {
		t.Fatalf("last line\n%q, want\n%q\n%s", last, want, stdout)
	}
	if !strings.Contains(stdout, "hint: Wait for that job to end (castscope inspect show_s01_e01 shows it)") {
		t.Errorf("no hint:\n%s", stdout)
	}
	if after := jobsOf(); len(after) != 1 || after[0].ID != id || string(after[0].Settings) != string(held[0].Settings) || after[0].Rerun {
		t.Fatalf("the refused run changed the jobs: %+v", after)
	}

	// Same flags: the run joins and follows the job to its end.
	var out, errb syncBuffer
	result := make(chan int, 1)
	go func() {
		result <- Main(context.Background(), []string{"run", clip, "--data", data, "--fps", "5", "--stages", "validate"}, &Env{Stdout: &out, Stderr: &errb})
	}()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), "job "+id+" joined"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no join:\n%s%s", out.String(), errb.String())
		}
	}
	os.WriteFile(filepath.Join(data, "release"), nil, 0o644)
	select {
	case code := <-result:
		if code != ExitOK {
			t.Fatalf("joined run: exit %d\n%s%s", code, out.String(), errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the joined run never ended:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "job "+id+" joined: show_s01_e01 already had it queued or running, with the settings this run asks for; following it: validate, extract") ||
		!strings.Contains(out.String(), "job "+id+" finished: 2 ok") {
		t.Errorf("joined run:\n%s", out.String())
	}
	if js := jobsOf(); len(js) != 1 {
		t.Errorf("the joined run made a job of its own: %+v", js)
	}
}

// TestReadOnlyCommandsNeedNoLog: inspect and export only read, so they
// neither create nor open the worker log: they work where logs/ cannot be
// written (a file stands in its place) and leave no logs/ behind in a
// folder without one. Where chmod blocks writes (not as root), inspect on
// a folder made 0555 either works or says the folder is read-only — never
// an error about the log.
func TestReadOnlyCommandsNeedNoLog(t *testing.T) {
	data := t.TempDir()
	clip := filepath.Join(data, "Show_S01E01.mp4")
	os.WriteFile(clip, []byte("registered, never read"), 0o644)
	ctx := context.Background()
	b, err := service.Open(ctx, service.Options{DataDir: data, NoRunner: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.AddVideo(ctx, clip); err != nil {
		t.Fatal(err)
	}
	b.Close()
	logs := filepath.Join(data, "logs")

	os.RemoveAll(logs)
	if code, stdout, stderr := run(t, "inspect", "show_s01_e01", "--data", data); code != ExitOK || !strings.Contains(stdout, "   ✅ Exists") {
		t.Fatalf("inspect: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(logs); err == nil {
		t.Error("inspect created logs/")
	}

	os.WriteFile(logs, []byte("in the way"), 0o644)
	code, stdout, stderr := run(t, "inspect", "show_s01_e01", "--data", data)
	if code != ExitOK || !strings.Contains(stdout, "   ✅ Exists") || strings.Contains(stderr, "error:") {
		t.Fatalf("inspect with logs/ blocked: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "export", "show_s01_e01", "--format", "csv", "--data", data)
	if code != ExitError || !strings.Contains(stderr, "error: ERR_ARTIFACT_MISSING ") || strings.Contains(stderr, "logs") {
		t.Fatalf("export with logs/ blocked (no screen time yet): exit %d\n%s%s", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(logs); string(b) != "in the way" {
		t.Errorf("the file at logs was changed: %q", b)
	}
	os.Remove(logs)

	if os.Geteuid() == 0 {
		t.Log("running as root: chmod 0555 does not block writes; the read-only folder case is left to the assertions above")
		return
	}
	if err := os.Chmod(data, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(data, 0o755)
	code, stdout, stderr = run(t, "inspect", "show_s01_e01", "--data", data)
	switch {
	case code == ExitOK && strings.Contains(stdout, "   ✅ Exists"):
	case code == ExitError && strings.Contains(stderr, "error: ERR_READ_ONLY The data folder "+data+" is read-only"):
		// The store cannot open a read-only folder yet (see service.openReadOnlyStore).
	default:
		t.Fatalf("inspect of a 0555 folder: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "worker.log") {
		t.Errorf("inspect of a 0555 folder needed the log:\n%s", stderr)
	}
}

// TestRunFPSBounds: --fps outside 0.5–120 (or 0) is a typed usage error,
// given before the data folder is opened: a run at 0.0001 fps can no
// longer replace good results with one sample.
func TestRunFPSBounds(t *testing.T) {
	for _, c := range []struct{ fps, last string }{
		{"0.0001", "error: ERR_USAGE Sampling rate 0.0001 fps is out of range."},
		{"0.2", "error: ERR_USAGE Sampling rate 0.2 fps is out of range."},
		{"121", "error: ERR_USAGE Sampling rate 121 fps is out of range."},
		{"-Inf", "error: ERR_USAGE Sampling rate -Inf fps is out of range."},
		{"0", "error: ERR_USAGE 0 is not a usable value for --fps, --cluster-threshold or --min-track-len."},
	} {
		data := filepath.Join(t.TempDir(), "data")
		code, stdout, stderr := run(t, "run", "x.mp4", "--data", data, "--fps", c.fps)
		if code != ExitUsage || lastLine(stderr) != c.last || stdout != "" {
			t.Errorf("--fps %s: exit %d, last line %q, want %q\n%s", c.fps, code, lastLine(stderr), c.last, stdout)
		}
		if c.fps != "0" && !strings.Contains(stderr, "hint: Use 0.5 to 120 fps, or a negative value for every frame.") {
			t.Errorf("--fps %s: no hint\n%s", c.fps, stderr)
		}
		if _, err := os.Stat(data); err == nil {
			t.Errorf("--fps %s: the data folder was created", c.fps)
		}
	}
}

// runShowEpisode runs `castscope run` on the test clip, as episode
// show_s01_e01 of a fresh data folder, and returns that folder.
func runShowEpisode(t *testing.T) string {
	t.Helper()
	media, models := testmedia.Fixtures(t)
	t.Setenv("CASTSCOPE_MODELS", models)
	raw, err := os.ReadFile(filepath.Join(media, "faces_synthetic.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "Show_S01E01.mp4")
	if err := os.WriteFile(clip, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	if code, stdout, stderr := run(t, "run", clip, "--data", data); code != ExitOK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	return data
}
