package testmedia

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDir(t *testing.T) {
	t.Setenv(Env, "")
	root := Root()
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("Root() = %q: %v", root, err)
	}
	if got, want := Dir(), filepath.Join(root, "testdata", "media"); got != want {
		t.Fatalf("Dir() = %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(Dir(), "faces_synthetic.mp4")); err != nil {
		t.Errorf("the test clip is not in %s: %v", Dir(), err)
	}
	other := t.TempDir()
	t.Setenv(Env, other)
	if got := Dir(); got != other {
		t.Errorf("with $%s: Dir() = %q, want %q", Env, got, other)
	}
	if got := RootAbove(other); got != "" {
		t.Errorf("RootAbove(a temporary folder) = %q, want none", got)
	}
}
