package face

import (
	"os"
	"sync"
	"testing"

	"gocv.io/x/gocv"

	"castscope/backend/testmedia"
	"castscope/models"
)

// absent skips the test, or fails it under CASTSCOPE_REQUIRE_MODELS=1.
func absent(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// testModel is a model of the built-in pack (package models).
func testModel(tb testing.TB, file string) Model {
	tb.Helper()
	data, err := models.Files.ReadFile(file)
	if err != nil {
		tb.Fatalf("built-in model %s: %v", file, err)
	}
	return Model{Label: "built-in " + file, Data: data}
}

func mediaPath(tb testing.TB, file string) string {
	tb.Helper()
	return testmedia.Path(tb, file)
}

func testRuntime(tb testing.TB) *Runtime {
	tb.Helper()
	rt, err := OpenRuntime("")
	if err != nil {
		absent(tb, "onnx runtime not available: %v", err)
	}
	return rt
}

var (
	detMu sync.Mutex
	dets  = map[string]*Detector{}
	embMu sync.Mutex
	emb   *Embedder
)

// testDetector returns a detector for preset shared by the package's
// tests (sessions live until the test binary exits).
func testDetector(tb testing.TB, preset string) *Detector {
	tb.Helper()
	rt := testRuntime(tb)
	model := testModel(tb, "retinaface_mnet025_640.onnx")
	detMu.Lock()
	defer detMu.Unlock()
	if d, ok := dets[preset]; ok {
		return d
	}
	d, err := NewDetector(rt, model, DetectorConfig{Preset: preset}, SessionConfig{})
	if err != nil {
		tb.Fatalf("NewDetector: %v", err)
	}
	dets[preset] = d
	return d
}

func testEmbedder(tb testing.TB) *Embedder {
	tb.Helper()
	rt := testRuntime(tb)
	model := testModel(tb, "mobilefacenet_arcface_128.onnx")
	embMu.Lock()
	defer embMu.Unlock()
	if emb == nil {
		e, err := NewEmbedder(rt, model, SessionConfig{}, 0)
		if err != nil {
			tb.Fatalf("NewEmbedder: %v", err)
		}
		emb = e
	}
	return emb
}

func readImage(tb testing.TB, file string) gocv.Mat {
	tb.Helper()
	p := mediaPath(tb, file)
	m := gocv.IMRead(p, gocv.IMReadColor)
	if m.Empty() {
		tb.Fatalf("cannot read %s", p)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}
