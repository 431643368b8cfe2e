// Package testmedia finds the repository's test media, testdata/media
// (photos and a clip, with their provenance): $CASTSCOPE_MEDIA, else the
// testdata/media of the checkout that holds the working directory. Every
// package's tests and the bench clip generator use it; the app itself
// never reads test media. Tests that need a file skip without it, or fail
// under CASTSCOPE_REQUIRE_MODELS=1 (CI), through Need.
package testmedia

import (
	"os"
	"path/filepath"
)

// Env names the environment variable that points at another media folder.
const Env = "CASTSCOPE_MEDIA"

// RootAbove returns the nearest folder at or above dir that holds go.mod:
// the checkout's root; "" when there is none.
func RootAbove(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !st.IsDir() {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Root returns the root of the checkout that holds the working directory
// (go test runs in the package's folder); "" when there is none.
func Root() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	return RootAbove(wd)
}

// Dir returns $CASTSCOPE_MEDIA, else the checkout's testdata/media; ""
// when neither is known.
func Dir() string {
	if d := os.Getenv(Env); d != "" {
		return d
	}
	if r := Root(); r != "" {
		return filepath.Join(r, "testdata", "media")
	}
	return ""
}

// TB is the part of testing.TB that Need uses (so that the bench, which is
// part of the app, does not link the testing package).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Need skips the test when one of paths is missing, or fails it when
// CASTSCOPE_REQUIRE_MODELS=1.
func Need(tb TB, paths ...string) {
	tb.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
				tb.Fatalf("required fixture missing: %v", err)
			}
			tb.Skipf("fixture missing: %v", err)
		}
	}
}

// Path returns file of the media folder, after Need.
func Path(tb TB, file string) string {
	tb.Helper()
	p := filepath.Join(Dir(), file)
	Need(tb, p)
	return p
}

// Fixtures returns the media folder (absolute) and the models folder:
// $CASTSCOPE_MODELS made absolute, or "" for the models built into the
// binary. It Needs the test clip, and the detector of a models folder.
func Fixtures(tb TB) (media, models string) {
	tb.Helper()
	media, _ = filepath.Abs(Dir())
	need := []string{filepath.Join(media, "faces_synthetic.mp4")}
	if models = os.Getenv("CASTSCOPE_MODELS"); models != "" {
		models, _ = filepath.Abs(models)
		need = append(need, filepath.Join(models, "retinaface_mnet025_640.onnx"))
	}
	Need(tb, need...)
	return media, models
}
