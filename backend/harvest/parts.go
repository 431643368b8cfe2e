package harvest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"castscope/backend/errs"
)

// markKey is the Parquet key-value metadata entry of a part that holds its
// Mark as JSON.
const markKey = "castscope.mark"

// Mark is what a caller records with each part: where the input stands
// once the part is durable. It is stored in the part itself, so the parts
// on disk are the checkpoint.
type Mark struct {
	NextFrame int64 `json:"next_frame"` // first frame index the parts do not cover
	Frames    int64 `json:"frames"`     // frames covered so far (sampled frames processed)
	NextID    int64 `json:"next_id"`    // next row id to hand out (e.g. DetID)
}

// ResumePoint is where a resumed writer stands: the Mark of the last
// complete part (zero when none), the number of complete parts and the
// rows they hold.
type ResumePoint struct {
	Mark
	Parts int   `json:"parts"`
	Rows  int64 `json:"rows"`
}

type partInfo struct {
	mark Mark
	rows int64
}

// PartWriter writes one Parquet artifact, dir/name.parquet, crash-safely:
// rows are appended in memory and each Flush makes them a durable part,
// dir/name.parts/000001.parquet, … (temporary file, fsync, rename). After a
// crash, NewPartWriter finds the complete parts and ResumePoint says where
// to restart; no row is lost or duplicated as long as the caller restarts
// from ResumePoint().NextFrame. Finish merges the parts (and any pending
// rows) into dir/name.parquet atomically and removes the parts; until then
// a previous dir/name.parquet stays untouched and readable.
//
// A PartWriter is not safe for concurrent use.
type PartWriter[T any] struct {
	dir, name string
	fs        fsys
	parts     []partInfo
	pending   []T
	done      bool
}

// NewPartWriter opens the writer of dir/name.parquet, picking up the
// complete parts a previous run left (temporary files and anything after a
// damaged or missing part are removed). Call Reset to start over instead.
func NewPartWriter[T any](dir, name string) (*PartWriter[T], error) {
	w := &PartWriter[T]{dir: dir, name: name, fs: osFS}
	if err := os.MkdirAll(w.partsDir(), 0o755); err != nil {
		return nil, errs.FS(err, w.partsDir())
	}
	if err := w.scan(); err != nil {
		return nil, err
	}
	return w, nil
}

// Path is the final file, dir/name.parquet.
func (w *PartWriter[T]) Path() string { return filepath.Join(w.dir, w.name+".parquet") }

func (w *PartWriter[T]) partsDir() string { return filepath.Join(w.dir, w.name+".parts") }

func (w *PartWriter[T]) partPath(n int) string {
	return filepath.Join(w.partsDir(), fmt.Sprintf("%06d.parquet", n))
}

// scan loads the complete parts 1…n and deletes everything else: temporary
// files, and every part from the first missing or damaged one on.
func (w *PartWriter[T]) scan() error {
	entries, err := os.ReadDir(w.partsDir())
	if err != nil {
		return errs.FS(err, w.partsDir())
	}
	var nums []int
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".parquet"))
		if err != nil || !strings.HasSuffix(e.Name(), ".parquet") || n <= 0 {
			os.Remove(filepath.Join(w.partsDir(), e.Name())) // temporary or foreign
			continue
		}
		nums = append(nums, n)
	}
	slices.Sort(nums)
	w.parts = nil
	for _, n := range nums {
		if n == len(w.parts)+1 {
			if p, err := readPart(w.partPath(n)); err == nil {
				w.parts = append(w.parts, p)
				continue
			}
		}
		os.Remove(w.partPath(n))
	}
	return nil
}

func readPart(path string) (partInfo, error) {
	pf, closeFn, err := openFile(path)
	if err != nil {
		return partInfo{}, err
	}
	defer closeFn()
	raw, ok := pf.Lookup(markKey)
	if !ok {
		return partInfo{}, fmt.Errorf("artifact: part %s has no mark", path)
	}
	var m Mark
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return partInfo{}, fmt.Errorf("artifact: part %s: bad mark: %w", path, err)
	}
	return partInfo{mark: m, rows: pf.NumRows()}, nil
}

// Append adds rows to the part being built (in memory until Flush).
func (w *PartWriter[T]) Append(rows ...T) { w.pending = append(w.pending, rows...) }

// Pending is the number of rows appended since the last Flush.
func (w *PartWriter[T]) Pending() int { return len(w.pending) }

// Flush makes the pending rows (possibly none: frames without rows still
// advance the mark) the next durable part, recording m with it.
func (w *PartWriter[T]) Flush(m Mark) error {
	if w.done {
		return fmt.Errorf("artifact: %s: flush after finish", w.name)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("artifact: encode mark: %w", err)
	}
	meta := map[string]string{markKey: string(raw)}
	n := len(w.parts) + 1
	if err := w.fs.writeAtomic(w.partPath(n), func(out io.Writer) error { return encode(out, w.pending, meta) }); err != nil {
		return err
	}
	w.parts = append(w.parts, partInfo{mark: m, rows: int64(len(w.pending))})
	clear(w.pending)
	w.pending = w.pending[:0]
	return nil
}

// ResumePoint says where the complete parts end.
func (w *PartWriter[T]) ResumePoint() ResumePoint {
	rp := ResumePoint{Parts: len(w.parts)}
	for _, p := range w.parts {
		rp.Rows += p.rows
	}
	if len(w.parts) > 0 {
		rp.Mark = w.parts[len(w.parts)-1].mark
	}
	return rp
}

// Marks returns the mark of every complete part, in order.
func (w *PartWriter[T]) Marks() []Mark {
	out := make([]Mark, len(w.parts))
	for i, p := range w.parts {
		out[i] = p.mark
	}
	return out
}

// Truncate keeps the first n complete parts, deletes the others and drops
// pending rows (used to bring writers that checkpoint together back in
// step after a crash between their flushes).
func (w *PartWriter[T]) Truncate(n int) error {
	n = max(0, n)
	for i := len(w.parts); i > n; i-- {
		if err := os.Remove(w.partPath(i)); err != nil && !os.IsNotExist(err) {
			return errs.FS(err, w.partPath(i))
		}
	}
	if n < len(w.parts) {
		w.parts = w.parts[:n]
	}
	w.pending = w.pending[:0]
	return nil
}

// Reset deletes every part and pending row: the next Flush starts at
// part 1. dir/name.parquet is left alone until Finish.
func (w *PartWriter[T]) Reset() error { return w.Truncate(0) }

// Abort drops the pending rows and keeps the complete parts for a resume.
func (w *PartWriter[T]) Abort() { w.pending = w.pending[:0] }

// Finish merges the complete parts and the pending rows, in order, into
// dir/name.parquet (replacing it atomically) and removes the parts.
func (w *PartWriter[T]) Finish() error {
	tmp, err := w.stage()
	if err != nil {
		return err
	}
	if err := w.fs.commit(tmp, w.Path()); err != nil {
		return err
	}
	return w.cleanup()
}

// stage writes the merged file beside the final one and returns its name.
func (w *PartWriter[T]) stage() (string, error) {
	if w.done {
		return "", fmt.Errorf("artifact: %s: finish called twice", w.name)
	}
	var last Mark
	if len(w.parts) > 0 {
		last = w.parts[len(w.parts)-1].mark
	}
	raw, _ := json.Marshal(last)
	return w.fs.stage(w.Path(), func(out io.Writer) error {
		pw := parquet.NewGenericWriter[T](out, writerOptions()...)
		pw.SetKeyValueMetadata(markKey, string(raw))
		for i := range w.parts {
			rows, err := readPartRows[T](w.partPath(i + 1))
			if err != nil {
				return err
			}
			if _, err := pw.Write(rows); err != nil {
				return fmt.Errorf("artifact: merge part %d: %w", i+1, err)
			}
		}
		if len(w.pending) > 0 {
			if _, err := pw.Write(w.pending); err != nil {
				return fmt.Errorf("artifact: merge pending rows: %w", err)
			}
		}
		if err := pw.Close(); err != nil {
			return fmt.Errorf("artifact: close merged file: %w", err)
		}
		return nil
	})
}

func readPartRows[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("artifact: open part: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("artifact: stat part: %w", err)
	}
	rows, err := parquet.Read[T](f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("artifact: read part %s: %w", path, err)
	}
	return rows, nil
}

// cleanup removes the parts once the merged file is in place.
func (w *PartWriter[T]) cleanup() error {
	w.done = true
	w.parts = nil
	w.pending = nil
	if err := os.RemoveAll(w.partsDir()); err != nil {
		return errs.FS(err, w.partsDir())
	}
	return nil
}
