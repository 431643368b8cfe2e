package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"castscope/backend/errs"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if err := Write(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new content")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "new content" {
		t.Fatalf("got %q", b)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestWriteIntoMissingFolderIsTyped(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "no", "such", "dir", "x.json"), []byte("x"))
	if errs.CodeOf(err) != errs.ArtifactWriteFailed {
		t.Fatalf("got %v", err)
	}
}
