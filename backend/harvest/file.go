package harvest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"castscope/backend/errs"
)

// rowGroupRows bounds a row group of the files this package writes.
const rowGroupRows = 64 * 1024

func writerOptions() []parquet.WriterOption {
	return []parquet.WriterOption{parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(rowGroupRows)}
}

// wfile is the part of *os.File a writer needs.
type wfile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// fsys holds the file operations that can fail under a writer, so tests
// can inject failures (ENOSPC, EROFS, EIO) without a full disk.
type fsys struct {
	createTemp func(dir, pattern string) (wfile, error)
	rename     func(from, to string) error
}

var osFS = fsys{
	createTemp: func(dir, pattern string) (wfile, error) { return os.CreateTemp(dir, pattern) },
	rename:     os.Rename,
}

// writeAtomic writes path through write into a temporary file beside it,
// fsyncs it, renames it over path and fsyncs the folder: path is the old
// file or the complete new one, never a partial one. Errors are typed
// (errs.FS).
func (fs fsys) writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := fs.stage(path, write)
	if err != nil {
		return err
	}
	return fs.commit(tmp, path)
}

// stage writes a durable temporary file beside path and returns its name.
func (fs fsys) stage(path string, write func(io.Writer) error) (string, error) {
	dir := filepath.Dir(path)
	f, err := fs.createTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", errs.FS(err, path)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", errs.FS(fmt.Errorf("artifact: write %s: %w", path, err), path)
	}
	return f.Name(), nil
}

// commit renames a staged file onto path and makes the rename durable.
func (fs fsys) commit(tmp, path string) error {
	if err := fs.rename(tmp, path); err != nil {
		os.Remove(tmp)
		return errs.FS(fmt.Errorf("artifact: rename %s: %w", path, err), path)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return errs.FS(fmt.Errorf("artifact: sync folder of %s: %w", path, err), path)
	}
	return nil
}

// syncDir makes a rename in dir durable (a no-op where folders cannot be
// opened for sync, as on Windows).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

func encode[T any](w io.Writer, rows []T, meta map[string]string) error {
	pw := parquet.NewGenericWriter[T](w, writerOptions()...)
	for k, v := range meta {
		pw.SetKeyValueMetadata(k, v)
	}
	if len(rows) > 0 {
		if _, err := pw.Write(rows); err != nil {
			return fmt.Errorf("artifact: encode rows: %w", err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("artifact: close parquet writer: %w", err)
	}
	return nil
}

// WriteFile writes rows to the Parquet file path atomically (temporary
// file, fsync, rename): a reader sees the old file or the new one. Errors
// are ERR_DISK_FULL, ERR_READ_ONLY or ERR_ARTIFACT_WRITE_FAILED.
func WriteFile[T any](path string, rows []T) error {
	return osFS.writeAtomic(path, func(w io.Writer) error { return encode(w, rows, nil) })
}

func readErr(path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return errs.Wrap(errs.ArtifactMissing, err, fmt.Sprintf("%s does not exist.", filepath.Base(path)), "Run the stage that writes it.")
	}
	return errs.Wrap(errs.ArtifactMissing, err, fmt.Sprintf("%s cannot be read (it is damaged or not a Parquet file).", filepath.Base(path)), "Run the stage that writes it again.")
}

// ReadAll reads every row of the Parquet file path. A missing or damaged
// file is ERR_ARTIFACT_MISSING.
func ReadAll[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, readErr(path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, readErr(path, err)
	}
	rows, err := parquet.Read[T](f, st.Size())
	if err != nil {
		return nil, readErr(path, fmt.Errorf("artifact: read %s: %w", path, err))
	}
	return rows, nil
}

// CountRows returns the number of rows of the Parquet file path from its
// footer, without reading the data.
func CountRows(path string) (int64, error) {
	pf, closeFn, err := openFile(path)
	if err != nil {
		return 0, err
	}
	defer closeFn()
	return pf.NumRows(), nil
}

func openFile(path string) (*parquet.File, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, readErr(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, readErr(path, err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, nil, readErr(path, fmt.Errorf("artifact: open %s: %w", path, err))
	}
	return pf, func() { f.Close() }, nil
}
