package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"castscope/backend/harvest"
	"castscope/backend/job"
	"castscope/backend/modelpack"
	"castscope/backend/pipeline"
	"castscope/backend/sqlite"
	"castscope/backend/testmedia"
)

// fixtures is testmedia.Fixtures: the test clip's folder and the models
// folder ("" for the built-in models).
func fixtures(t *testing.T) (media, models string) {
	t.Helper()
	return testmedia.Fixtures(t)
}

type engine struct {
	store  *sqlite.Store
	runner *job.Runner
}

func openEngine(t testing.TB, data, models string, partFrames int, opts ...func(*pipeline.Deps)) *engine {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, data, sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	deps := pipeline.Deps{Store: store, DataDir: data, PartFrames: partFrames,
		Env: func() pipeline.Env { return pipeline.Env{ModelsDir: models} }}
	for _, o := range opts {
		o(&deps)
	}
	r := job.NewRunner(job.Config{Store: store}, pipeline.Stages(deps)...)
	if err := r.Start(ctx); err != nil {
		t.Fatalf("start runner: %v", err)
	}
	return &engine{store: store, runner: r}
}

func (e *engine) close() {
	e.runner.Close()
	e.store.Close()
}

// run registers path and runs stages with settings, waiting for the end.
func (e *engine) run(t testing.TB, path string, stages []string, s pipeline.JobSettings) job.Job {
	t.Helper()
	ctx := context.Background()
	ep, _, err := e.store.RegisterEpisode(ctx, path)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	raw, _ := json.Marshal(s)
	j, _, err := e.runner.Submit(ctx, job.Request{EpisodeKey: ep.Key, Mode: pipeline.Mode(stages), Stages: stages, Settings: raw})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	j, err = e.runner.Wait(wctx, j.ID)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return j
}

var prepareDetect = []string{"validate", "extract", "detect"}

func ffmpeg(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-loglevel", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// TestDetectSyntheticClip runs validate → extract → detect on the
// synthetic clip of testdata/media, from a path with spaces and unicode,
// and checks the face counts of testdata/media/PROVENANCE.md frame by
// frame, the registry, the envelope, det_stats.json against the Parquet
// files, and the diagnostics.
func TestDetectSyntheticClip(t *testing.T) {
	media, models := fixtures(t)
	data := t.TempDir()
	dir := filepath.Join(t.TempDir(), "Épisodes à voir")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(dir, "Faces Synthetic S01E01 (copy).mp4")
	b, err := os.ReadFile(filepath.Join(media, "faces_synthetic.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clip, b, 0o644); err != nil {
		t.Fatal(err)
	}
	e := openEngine(t, data, models, 0)
	defer e.close()
	j := e.run(t, clip, prepareDetect, pipeline.JobSettings{SampleFPS: 5, DetectPreset: "default"})
	for _, s := range j.Stages {
		if s.Status != job.StatusOK {
			t.Fatalf("stage %s ended %s: %+v", s.Name, s.Status, s.Error)
		}
	}
	key := j.EpisodeKey
	if key != "faces_synthetic_s01_e01" {
		t.Errorf("episode key %q", key)
	}
	hdir := harvest.Dir(data, key)
	dets, err := harvest.ReadAll[harvest.DetectionRow](filepath.Join(hdir, "detections.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	embs, err := harvest.ReadAll[harvest.EmbeddingRow](filepath.Join(hdir, "embeddings.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dets) != len(embs) || len(dets) == 0 {
		t.Fatalf("%d detections, %d embeddings", len(dets), len(embs))
	}
	perFrame := map[int64]int{}
	for i, d := range dets {
		perFrame[d.FrameIndex]++
		if d.DetID != int64(i) || embs[i].DetID != d.DetID || embs[i].FrameIndex != d.FrameIndex {
			t.Fatalf("row %d: det id %d / emb id %d frame %d/%d", i, d.DetID, embs[i].DetID, d.FrameIndex, embs[i].FrameIndex)
		}
		if len(d.Landmarks) != 10 || len(embs[i].Vec) != 128 {
			t.Fatalf("row %d: %d landmarks, %d-d embedding", i, len(d.Landmarks), len(embs[i].Vec))
		}
		var n float64
		for _, v := range embs[i].Vec {
			n += float64(v) * float64(v)
		}
		if math.Abs(n-1) > 1e-3 {
			t.Fatalf("embedding %d has norm² %.4f", i, n)
		}
	}
	manifest, err := harvest.ReadAll[harvest.ManifestRow](filepath.Join(hdir, "manifest.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	sampled := 0
	for _, m := range manifest {
		if !m.Sampled {
			continue
		}
		sampled++
		n := perFrame[m.FrameIndex]
		// PROVENANCE counts frames from 1; our indices start at 0.
		switch f := m.FrameIndex + 1; {
		case f <= 38 && n != 1:
			t.Errorf("frame %d: %d faces, want 1", f, n)
		case f >= 39 && f <= 76 && n != 2:
			t.Errorf("frame %d: %d faces, want 2", f, n)
		case f >= 77 && (n < 25 || n > 29):
			t.Errorf("frame %d: %d faces, want 25–29", f, n)
		}
	}
	if sampled != 41 || len(manifest) != 122 {
		t.Errorf("manifest: %d rows, %d sampled; want 122 and 41 (15 fps sampled at 5)", len(manifest), sampled)
	}

	var stats pipeline.DetStats
	raw, err := os.ReadFile(filepath.Join(hdir, "det_stats.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &stats); err != nil {
		t.Fatal(err)
	}
	if stats.FramesProcessed != int64(sampled) || stats.FacesDetected != int64(len(dets)) || stats.EmbeddingsComputed != int64(len(embs)) || stats.Provider == "" {
		t.Errorf("det_stats.json %+v disagrees with the Parquet files (%d frames, %d rows)", stats, sampled, len(dets))
	}
	if _, err := os.Stat(filepath.Join(hdir, "diagnostics", "contact_sheet.jpg")); err != nil {
		t.Errorf("no contact sheet: %v", err)
	}
	if _, err := os.Stat(filepath.Join(hdir, "thumbs", "poster.jpg")); err != nil {
		t.Errorf("no poster thumbnail: %v", err)
	}

	// Registry and envelope, as exported JSON.
	var state struct {
		States     map[string]bool    `json:"states"`
		Timestamps map[string]*string `json:"timestamps"`
	}
	raw, _ = os.ReadFile(filepath.Join(data, "episodes", key, "state.json"))
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatalf("state.json: %v", err)
	}
	for _, f := range []string{"validated", "extracted_frames", "detected"} {
		if !state.States[f] || state.Timestamps[f] == nil {
			t.Errorf("state.json %s=%v at %v", f, state.States[f], state.Timestamps[f])
		}
	}
	var meta struct {
		Stages map[string]struct {
			Status string `json:"status"`
			Result struct {
				Faces      int64 `json:"faces_detected"`
				Embeddings int64 `json:"embeddings_computed"`
			} `json:"result"`
		} `json:"stages"`
	}
	raw, _ = os.ReadFile(filepath.Join(data, "data", "jobs", j.ID, "meta.json"))
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatalf("meta.json: %v", err)
	}
	if d := meta.Stages["detect"]; d.Status != "ok" || d.Result.Faces != int64(len(dets)) || d.Result.Embeddings != int64(len(embs)) {
		t.Errorf("meta.json detect = %+v", d)
	}

	// Same work again: the stages are skipped, outputs untouched.
	j2 := e.run(t, clip, prepareDetect, pipeline.JobSettings{SampleFPS: 5, DetectPreset: "default"})
	for _, s := range j2.Stages {
		if s.Status != job.StatusSkipped {
			t.Errorf("second run: %s ended %s, want skipped", s.Name, s.Status)
		}
	}
}

// TestValidateRejectsBadVideos: each bad file ends validate in error with
// its typed code and leaves validated=false.
func TestValidateRejectsBadVideos(t *testing.T) {
	_, models := fixtures(t)
	dir := t.TempDir()
	tiny := filepath.Join(dir, "tiny.mp4")
	ffmpeg(t, "-f", "lavfi", "-i", "color=c=red:size=2x2:rate=5:duration=1", "-pix_fmt", "yuv420p", "-c:v", "libx264", tiny)
	audio := filepath.Join(dir, "audio_only.mp4")
	ffmpeg(t, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", audio)
	good := filepath.Join(dir, "good.mp4")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-pix_fmt", "yuv420p", "-c:v", "libx264", good)
	full, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.mp4")
	if err := os.WriteFile(truncated, full[:len(full)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "readme.mp4")
	os.WriteFile(text, []byte("hello"), 0o644)
	cases := map[string]string{tiny: "ERR_VIDEO_UNSUPPORTED", audio: "ERR_VIDEO_UNREADABLE", truncated: "ERR_VIDEO_UNREADABLE", text: "ERR_VIDEO_UNREADABLE"}
	data := t.TempDir()
	e := openEngine(t, data, models, 0)
	defer e.close()
	for path, code := range cases {
		j := e.run(t, path, []string{"validate"}, pipeline.JobSettings{})
		s, _ := j.Stage("validate")
		if s.Status != job.StatusError || s.Error == nil || s.Error.Code != code {
			t.Errorf("%s: validate %s %+v, want error %s", filepath.Base(path), s.Status, s.Error, code)
		}
		ep, err := e.store.Episode(context.Background(), j.EpisodeKey)
		if err != nil || ep.States["validated"] {
			t.Errorf("%s: registry validated=%v (%v)", filepath.Base(path), ep.States["validated"], err)
		}
	}
}

// TestDetectWithDamagedModel: a model whose bytes changed fails detect
// with ERR_MODEL_CHECKSUM naming the file, and validate/extract stay ok.
func TestDetectWithDamagedModel(t *testing.T) {
	media, models := fixtures(t)
	bad := t.TempDir()
	for _, m := range modelpack.Default().Models {
		l, err := modelpack.Load(models, m)
		if err != nil {
			t.Fatal(err)
		}
		f, b := m.File, l.Data
		if f == "mobilefacenet_arcface_128.onnx" {
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(b[:4096]), func(i, j int) { b[i], b[j] = b[j], b[i] })
		}
		os.WriteFile(filepath.Join(bad, f), b, 0o644)
	}
	e := openEngine(t, t.TempDir(), bad, 0)
	defer e.close()
	j := e.run(t, filepath.Join(media, "faces_synthetic.mp4"), prepareDetect, pipeline.JobSettings{})
	s, _ := j.Stage("detect")
	if s.Status != job.StatusError || s.Error == nil || s.Error.Code != "ERR_MODEL_CHECKSUM" {
		t.Fatalf("detect %s %+v", s.Status, s.Error)
	}
	if want := filepath.Join(bad, "mobilefacenet_arcface_128.onnx"); !strings.Contains(s.Error.Message, want) {
		t.Errorf("message %q does not name %s", s.Error.Message, want)
	}
	if s.Attempt != 1 {
		t.Errorf("a damaged model is not worth retrying: attempt %d", s.Attempt)
	}
}

// TestDetectCheckpointsByTime: detect saves a checkpoint after
// CheckpointEvery of work even when a part is far from full (a clock that
// moves 1 s per reading, a checkpoint every 3 s, parts of 1000 frames), and
// the many small parts merge into files row-equal to one written in a
// single part.
func TestDetectCheckpointsByTime(t *testing.T) {
	media, models := fixtures(t)
	clip := filepath.Join(media, "faces_synthetic.mp4")
	detect := func(opts ...func(*pipeline.Deps)) (job.Job, []harvest.DetectionRow, []harvest.EmbeddingRow, int) {
		data := t.TempDir()
		e := openEngine(t, data, models, 1000, opts...)
		defer e.close()
		j := e.run(t, clip, prepareDetect, pipeline.JobSettings{})
		if s, _ := j.Stage("detect"); s.Status != job.StatusOK {
			t.Fatalf("detect %s %+v", s.Status, s.Error)
		}
		dir := harvest.Dir(data, j.EpisodeKey)
		dets, err := harvest.ReadAll[harvest.DetectionRow](filepath.Join(dir, "detections.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		embs, err := harvest.ReadAll[harvest.EmbeddingRow](filepath.Join(dir, "embeddings.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		logs, err := e.store.JobLogs(context.Background(), j.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		saves := 0
		for _, l := range logs {
			if l.Stage == "detect" && strings.Contains(l.Line, " frames=") && strings.Contains(l.Line, " faces=") && !strings.Contains(l.Line, "stage=") {
				saves++
			}
		}
		return j, dets, embs, saves
	}
	var ticks atomic.Int64
	clock := func(d *pipeline.Deps) {
		d.CheckpointEvery = 3 * time.Second
		d.Now = func() time.Time { return time.Unix(ticks.Add(1), 0) }
	}
	// Each checkpoint logs "frames=N faces=M", and so does the stage's end.
	_, dets, embs, lines := detect(clock)
	_, oneDets, oneEmbs, oneLines := detect(func(d *pipeline.Deps) { d.CheckpointEvery = time.Hour })
	if oneLines != 1 {
		t.Errorf("%d progress lines with an hour between checkpoints and parts of 1000 frames, want the final one only", oneLines)
	}
	// 41 sampled frames: a checkpoint every few frames, not one per part.
	if saves := lines - 1; saves < 8 || saves > 30 {
		t.Errorf("%d checkpoints by time for 41 frames, want about one every 3 frames", saves)
	}
	if len(dets) == 0 || len(dets) != len(oneDets) || len(embs) != len(oneEmbs) {
		t.Fatalf("small parts: %d detections, %d embeddings; one part: %d, %d", len(dets), len(embs), len(oneDets), len(oneEmbs))
	}
	for i := range dets {
		if dets[i].DetID != oneDets[i].DetID || dets[i].FrameIndex != oneDets[i].FrameIndex || dets[i].X1 != oneDets[i].X1 || dets[i].Score != oneDets[i].Score {
			t.Fatalf("detection %d: small parts %+v, one part %+v", i, dets[i], oneDets[i])
		}
		if embs[i].DetID != oneEmbs[i].DetID {
			t.Fatalf("embedding %d: small parts det %d, one part det %d", i, embs[i].DetID, oneEmbs[i].DetID)
		}
	}
}

const childEnv = "CASTSCOPE_PIPELINE_CHILD"

// TestMain lets the crash test re-run this binary as the process it kills.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(crashChild(spec))
	}
	os.Exit(m.Run())
}

type childSpec struct {
	Data, Models, Clip string
	PartFrames         int
}

func crashChild(spec string) int {
	var s childSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	t := &testing.B{}
	e := openEngine(t, s.Data, s.Models, s.PartFrames)
	defer e.close()
	j := e.run(t, s.Clip, prepareDetect, pipeline.JobSettings{SampleFPS: 5, DetectPreset: "fast"})
	// A child started after an earlier one finished finds every stage done:
	// its job skips them (same inputs and settings), which is success too.
	for _, st := range j.Stages {
		if st.Status != job.StatusOK && st.Status != job.StatusSkipped {
			fmt.Fprintf(os.Stderr, "stage %s %s %+v\n", st.Name, st.Status, st.Error)
			return 1
		}
	}
	return 0
}

// TestDetectResumesAfterSIGKILL kills the detect stage at random moments,
// restarts it, and checks that the final Parquet outputs equal those of an
// uninterrupted run: same rows in the same order, no frame lost or written
// twice. Each kill falls at a random moment inside a part, measured from
// the reference run, so that the clip outlasts the kills on a fast machine
// too; a child that still finishes before its kill ends the kills early,
// and the run after it must find every stage done (skipped).
func TestDetectResumesAfterSIGKILL(t *testing.T) {
	media, models := fixtures(t)
	clip := filepath.Join(t.TempDir(), "Crash_S01_E01.mp4")
	ffmpeg(t, "-stream_loop", "1", "-i", filepath.Join(media, "faces_synthetic.mp4"), "-c", "copy", clip)
	const partFrames = 6

	ref := t.TempDir()
	e := openEngine(t, ref, models, partFrames)
	j := e.run(t, clip, prepareDetect, pipeline.JobSettings{SampleFPS: 5, DetectPreset: "fast"})
	e.close()
	s, _ := j.Stage("detect")
	if s.Status != job.StatusOK {
		t.Fatalf("reference run: detect %s %+v", s.Status, s.Error)
	}
	// The time one part takes: detect's time over its parts (at least
	// 50 ms, so that a kill never lands before the part has begun).
	perPart := 50 * time.Millisecond
	if s.StartedAt != nil && s.FinishedAt != nil && s.Progress.Total > 0 {
		parts := (s.Progress.Total + partFrames - 1) / partFrames
		perPart = max(perPart, s.FinishedAt.Sub(*s.StartedAt)/time.Duration(parts))
	}
	t.Logf("reference detect: %d frames, %v a part", s.Progress.Total, perPart)

	data := t.TempDir()
	spec, _ := json.Marshal(childSpec{Data: data, Models: models, Clip: clip, PartFrames: partFrames})
	exe, _ := os.Executable()
	parts := filepath.Join(harvest.Dir(data, "crash_s01_e01"), "detections.parts")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	kills, finished := 0, false
	for attempt := 0; attempt < 12; attempt++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		ended := func(err error) {
			if err != nil {
				t.Fatalf("child failed: %v\n%s", err, stderr.String())
			}
			finished = true
		}
		if kills < 3 && !finished {
			// Wait until this attempt has made a part of its own, then kill
			// it at a random moment inside the next part.
			before := countParts(parts)
			deadline := time.Now().Add(90 * time.Second)
		wait:
			for countParts(parts) <= before && time.Now().Before(deadline) {
				select {
				case err := <-done:
					ended(err)
					break wait
				case <-time.After(5 * time.Millisecond):
				}
			}
			if !finished {
				time.Sleep(time.Duration(rng.Int64N(int64(perPart))))
				select {
				case err := <-done:
					ended(err)
				default:
					cmd.Process.Kill()
					<-done
					kills++
					t.Logf("kill %d with %d parts on disk", kills, countParts(parts))
					continue
				}
			}
			t.Logf("child finished before kill %d", kills+1)
			continue // one more run, which must find everything done
		}
		ended(<-done)
		break
	}
	if !finished {
		t.Fatal("no child finished the job in 12 runs")
	}
	if kills == 0 {
		t.Fatal("every child finished before it could be killed")
	}

	for _, name := range []string{"detections.parquet", "embeddings.parquet"} {
		want := filepath.Join(harvest.Dir(ref, "crash_s01_e01"), name)
		got := filepath.Join(harvest.Dir(data, "crash_s01_e01"), name)
		switch name {
		case "detections.parquet":
			compareRows[harvest.DetectionRow](t, want, got, func(a, b harvest.DetectionRow) bool {
				return a.DetID == b.DetID && a.FrameIndex == b.FrameIndex && a.PTSms == b.PTSms &&
					near(a.X1, b.X1) && near(a.Y1, b.Y1) && near(a.X2, b.X2) && near(a.Y2, b.Y2) && near(a.Score, b.Score)
			})
		default:
			compareRows[harvest.EmbeddingRow](t, want, got, func(a, b harvest.EmbeddingRow) bool {
				if a.DetID != b.DetID || a.FrameIndex != b.FrameIndex || len(a.Vec) != len(b.Vec) {
					return false
				}
				for i := range a.Vec {
					if !near(a.Vec[i], b.Vec[i]) {
						return false
					}
				}
				return true
			})
		}
	}
	if n := countParts(parts); n != 0 {
		t.Errorf("%d parts left after finishing", n)
	}
}

func near(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-3 }

func countParts(dir string) int {
	m, _ := filepath.Glob(filepath.Join(dir, "*.parquet"))
	return len(m)
}

func compareRows[T any](t *testing.T, wantPath, gotPath string, eq func(a, b T) bool) {
	t.Helper()
	want, err := harvest.ReadAll[T](wantPath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := harvest.ReadAll[T](gotPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Fatalf("%s: %d rows after kills, %d uninterrupted", filepath.Base(gotPath), len(got), len(want))
	}
	for i := range want {
		if !eq(want[i], got[i]) {
			t.Fatalf("%s row %d differs:\nwant %+v\ngot  %+v", filepath.Base(gotPath), i, want[i], got[i])
		}
	}
	t.Logf("%s: %d rows equal", filepath.Base(gotPath), len(got))
}
