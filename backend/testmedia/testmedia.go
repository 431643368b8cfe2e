// Package testmedia finds the repository's test media, testdata/media
// (photos and a clip, with their provenance): $CASTSCOPE_MEDIA, else the
// testdata/media of the checkout that holds the working directory. Every
// package's tests and the bench clip generator use it; the app itself
// never reads test media.
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
