// Package atomicfile writes a file so that readers see either the old
// content or the new, never a part: a temporary file in the same folder,
// synced, then renamed over the target. File-system failures come back as
// typed errors (errs.FS: disk full, read-only, write failed).
package atomicfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"

	"castscope/backend/errs"
)

// Write replaces path with data (mode 0644).
func Write(path string, data []byte) error { return WriteFrom(path, bytes.NewReader(data)) }

// WriteFrom replaces path with what r yields (mode 0644).
func WriteFrom(path string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return errs.FS(err, path)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return errs.FS(err, path)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return errs.FS(err, path)
	}
	if err := tmp.Close(); err != nil {
		return errs.FS(err, path)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return errs.FS(err, path)
	}
	return errs.FS(os.Rename(tmp.Name(), path), path)
}
