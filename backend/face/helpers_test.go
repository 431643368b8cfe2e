package face

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gocv.io/x/gocv"
)

// shared locates a folder of ../shared (models or media), honouring env.
func sharedDir(env, name string) string {
	if d := os.Getenv(env); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "shared", name)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// absent skips the test, or fails it under CASTSCOPE_REQUIRE_MODELS=1.
func absent(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

func need(tb testing.TB, env, dir, file string) string {
	tb.Helper()
	d := sharedDir(env, dir)
	p := filepath.Join(d, file)
	if _, err := os.Stat(p); d == "" || err != nil {
		absent(tb, "%s not available: %s", dir, p)
	}
	return p
}

func modelPath(tb testing.TB, file string) string {
	return need(tb, "CASTSCOPE_MODELS", "models", file)
}

func mediaPath(tb testing.TB, file string) string {
	return need(tb, "CASTSCOPE_MEDIA", "media", file)
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
	path := modelPath(tb, "retinaface_mnet025_640.onnx")
	detMu.Lock()
	defer detMu.Unlock()
	if d, ok := dets[preset]; ok {
		return d
	}
	d, err := NewDetector(rt, path, DetectorConfig{Preset: preset}, SessionConfig{})
	if err != nil {
		tb.Fatalf("NewDetector: %v", err)
	}
	dets[preset] = d
	return d
}

func testEmbedder(tb testing.TB) *Embedder {
	tb.Helper()
	rt := testRuntime(tb)
	path := modelPath(tb, "mobilefacenet_arcface_128.onnx")
	embMu.Lock()
	defer embMu.Unlock()
	if emb == nil {
		e, err := NewEmbedder(rt, path, SessionConfig{}, 0)
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
