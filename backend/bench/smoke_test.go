package bench

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"castscope/backend/face"
	"castscope/backend/modelpack"
	"castscope/backend/service"
)

// needModels skips the test when the models, ONNX Runtime or ffmpeg are
// absent, or fails it under CASTSCOPE_REQUIRE_MODELS=1.
func needModels(t *testing.T) {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
			t.Fatalf("CASTSCOPE_REQUIRE_MODELS=1 but %s", why)
		}
		t.Skip(why)
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		missing("ffmpeg is not on PATH")
	}
	dir := service.ModelsDir(service.Settings{})
	for _, name := range []string{"retinaface", "arcface"} {
		m, _ := modelpack.Default().Find(name)
		if _, err := modelpack.Load(dir, m); err != nil {
			missing("model " + name + ": " + err.Error())
		}
	}
	if _, err := face.OpenRuntime(""); err != nil {
		missing("ONNX Runtime: " + err.Error())
	}
}

// TestSmoke runs the whole bench on a 2-second generated clip: every part
// measures something and the table prints. (d), and (c) in a worker
// process, run only when $CASTSCOPE_BIN names the castscope binary (the
// test binary cannot be the child).
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	needModels(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := Config{ClipLength: 2 * time.Second, FPS: 2, WorkDir: t.TempDir(), Keep: true, Log: t.Logf}
	if bin := os.Getenv("CASTSCOPE_BIN"); bin != "" {
		cfg.Exe, cfg.RSSShort, cfg.RSSLong = bin, 2*time.Second, 4*time.Second
	}
	r, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s%s", Header(r), FormatTable(Rows(r)))
	if r.Width != 1920 || r.Height != 1080 {
		t.Errorf("generated clip is %dx%d, want 1920x1080", r.Width, r.Height)
	}
	if r.Decode == nil || r.Decode.Frames != 4 || r.Decode.FFmpegFrames != 4 || r.Decode.Ratio <= 0 {
		t.Errorf("decode %+v: want 4 frames each way and a ratio", r.Decode)
	}
	if r.Inference == nil || r.Inference.Frames != 4 || r.Inference.StageDetectS <= 0 || len(r.Inference.Detector) != 2 || len(r.Inference.Embedder) != 2 {
		t.Errorf("inference %+v", r.Inference)
	}
	if r.Stage == nil || r.Stage.Frames != 4 || r.Stage.WallS <= 0 || r.Stage.Overhead <= 0 || r.Stage.Formula == "" {
		t.Errorf("stage %+v", r.Stage)
	} else if r.Stage.Faces != int64(r.Inference.Faces) {
		t.Errorf("stage found %d faces, the inference bench %d on the same frames", r.Stage.Faces, r.Inference.Faces)
	}
	if cfg.Exe != "" && (r.RSS == nil || r.RSS.ShortMiB <= 0 || r.RSS.LongMiB <= 0 || r.RSS.LongFrames <= r.RSS.ShortFrames) {
		t.Errorf("rss %+v", r.RSS)
	}
	if cfg.Exe != "" && r.Stage != nil && (r.Stage.WorkerWallS <= 0 || r.Stage.WorkerRatio <= 0) {
		t.Errorf("the stage in a worker process was not measured: %+v", r.Stage)
	}
	if r.Hash == nil || r.Hash.Bytes < 256<<20 || r.Hash.MBps <= 0 || r.Hash.FourGBs <= 0 {
		t.Errorf("fingerprint %+v", r.Hash)
	}
}
