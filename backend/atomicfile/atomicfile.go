// Package atomicfile writes a file so that readers see either the old
// content or the new, never a part: a temporary file in the same folder,
// synced, then renamed over the target. File-system failures come back as
// typed errors (errs.FS: disk full, read-only, write failed). It is the
// one way Castscope replaces a small file (settings, state.json and
// meta.json exports, reports, exports for editing systems); Parquet
// artifacts go through package harvest's writers.
package atomicfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"

	"castscope/backend/errs"
)

// Write replaces path with data (mode 0644), creating its folder.
func Write(path string, data []byte) error { return WriteFrom(path, bytes.NewReader(data)) }

// WriteFrom replaces path with what r yields (mode 0644), creating its
// folder.
func WriteFrom(path string, r io.Reader) error {
	return WriteFunc(path, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// WriteFunc replaces path with what write writes (mode 0644), creating its
// folder. The new content is on disk (synced) before it replaces the old:
// a crash leaves one or the other, never an empty or partial file. An
// error of write passes through (a typed one unchanged).
func WriteFunc(path string, write func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errs.FS(err, dir)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return errs.FS(err, path)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return errs.FS(err, path)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return errs.FS(err, path)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return errs.FS(err, path)
	}
	if err := tmp.Close(); err != nil {
		return errs.FS(err, path)
	}
	return errs.FS(os.Rename(tmp.Name(), path), path)
}
