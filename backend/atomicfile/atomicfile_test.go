package atomicfile

import (
	"io"
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

// A missing folder is created; one that cannot be (a file stands in its
// place) is a typed error.
func TestWriteCreatesItsFolderOrSaysWhy(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "no", "such", "dir", "x.json")
	if err := Write(p, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "x" {
		t.Fatalf("read back %q", b)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(filepath.Join(dir, "file", "x.json"), []byte("x"))
	if errs.CodeOf(err) != errs.ArtifactWriteFailed {
		t.Fatalf("got %v", err)
	}
}

// WriteFunc: what the writer writes replaces the file; its error leaves
// the old content and no temporary file.
func TestWriteFuncKeepsTheOldFileOnError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	if err := WriteFunc(p, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errs.New(errs.ArtifactWriteFailed, "boom", "")
	if err := WriteFunc(p, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); err != boom {
		t.Fatalf("got %v, want the writer's error", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("the old content is gone: %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
