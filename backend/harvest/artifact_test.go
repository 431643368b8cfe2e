package harvest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"castscope/backend/errs"
)

// frameRows makes the rows of one frame: a deterministic number of faces
// (0–3) with distinct values.
func frameRows(frame int64, nextID int64) ([]DetectionRow, []EmbeddingRow) {
	rng := rand.New(rand.NewPCG(uint64(frame), 7))
	n := rng.IntN(4)
	var dets []DetectionRow
	var embs []EmbeddingRow
	for i := range n {
		id := nextID + int64(i)
		lm := make([]float32, 10)
		for k := range lm {
			lm[k] = rng.Float32() * 100
		}
		vec := make([]float32, 128)
		for k := range vec {
			vec[k] = rng.Float32()
		}
		dets = append(dets, DetectionRow{DetID: id, FrameIndex: frame, PTSms: frame * 200, X1: 1, Y1: 2, X2: 3 + float32(i), Y2: 4,
			Score: rng.Float32(), Landmarks: lm, FaceW: 2, FaceH: 2, Blur: rng.Float32()})
		embs = append(embs, EmbeddingRow{DetID: id, FrameIndex: frame, Vec: vec})
	}
	return dets, embs
}

// runDetect writes frames [from, to) (every 3rd index) through s, flushing
// when a part is full, and returns the next DetID.
func runDetect(t *testing.T, s *DetectSet, from, to int64) {
	t.Helper()
	id := s.ResumePoint().NextDetID
	for f := from; f < to; f += 3 {
		d, e := frameRows(f, id)
		id += int64(len(d))
		if err := s.Add(f, d, e); err != nil {
			t.Fatal(err)
		}
		if s.PartFull() {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func readBoth(t *testing.T, dir string) ([]DetectionRow, []EmbeddingRow) {
	t.Helper()
	d, err := ReadAll[DetectionRow](filepath.Join(dir, "detections.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := ReadAll[EmbeddingRow](filepath.Join(dir, "embeddings.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	return d, e
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dets, embs := frameRows(5, 0)
	if len(dets) == 0 {
		t.Fatal("fixture frame has no faces")
	}
	manifest := []ManifestRow{{0, 0, 640, 360, true}, {1, 67, 640, 360, false}, {2, 133, 640, 360, false}}
	check := func(t *testing.T, name string, n int, write func(p string) error, read func(p string) (any, error), want any) {
		p := filepath.Join(dir, name)
		if err := write(p); err != nil {
			t.Fatal(err)
		}
		got, err := read(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read back %+v, want %+v", name, got, want)
		}
		if c, err := CountRows(p); err != nil || c != int64(n) {
			t.Errorf("%s: CountRows = %d, %v; want %d", name, c, err, n)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(m) > 0 {
			t.Errorf("temporary files left: %v", m)
		}
	}
	t.Run("manifest", func(t *testing.T) {
		check(t, "manifest.parquet", 3, func(p string) error { return WriteFile(p, manifest) },
			func(p string) (any, error) { return ReadAll[ManifestRow](p) }, manifest)
	})
	t.Run("detections", func(t *testing.T) {
		check(t, "detections.parquet", len(dets), func(p string) error { return WriteFile(p, dets) },
			func(p string) (any, error) { return ReadAll[DetectionRow](p) }, dets)
	})
	t.Run("embeddings", func(t *testing.T) {
		check(t, "embeddings.parquet", len(embs), func(p string) error { return WriteFile(p, embs) },
			func(p string) (any, error) { return ReadAll[EmbeddingRow](p) }, embs)
	})
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.parquet")
	if err := os.WriteFile(junk, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing.parquet"), junk} {
		if _, err := ReadAll[ManifestRow](p); errs.CodeOf(err) != errs.ArtifactMissing {
			t.Errorf("ReadAll(%s): code %s, want ERR_ARTIFACT_MISSING", filepath.Base(p), errs.CodeOf(err))
		}
		if _, err := CountRows(p); errs.CodeOf(err) != errs.ArtifactMissing {
			t.Errorf("CountRows(%s): code %s, want ERR_ARTIFACT_MISSING", filepath.Base(p), errs.CodeOf(err))
		}
	}
}

// The acceptance test of resumable writing: crash in several ways, resume
// from ResumePoint, finish — the files equal an uninterrupted run's.
func TestDetectSetCrashResume(t *testing.T) {
	t.Parallel()
	const frames, part = 600, 16
	ref := t.TempDir()
	s, err := OpenDetectSet(ref, part)
	if err != nil {
		t.Fatal(err)
	}
	runDetect(t, s, 0, frames)
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	wantD, wantE := readBoth(t, ref)
	if len(wantD) < 100 || len(wantD) != len(wantE) {
		t.Fatalf("reference run has %d detections, %d embeddings", len(wantD), len(wantE))
	}
	for i, d := range wantD {
		if d.DetID != int64(i) || wantE[i].DetID != d.DetID {
			t.Fatalf("row %d: det id %d / %d, want %d", i, d.DetID, wantE[i].DetID, i)
		}
	}
	if _, err := os.Stat(filepath.Join(ref, "detections.parts")); !os.IsNotExist(err) {
		t.Errorf("parts folder left after Finish: %v", err)
	}

	crashes := []struct {
		name  string
		crash func(t *testing.T, dir string, s *DetectSet)
	}{
		{"abandon mid-part", func(t *testing.T, dir string, s *DetectSet) {}},
		{"temporary file of a part being written", func(t *testing.T, dir string, s *DetectSet) {
			os.WriteFile(filepath.Join(dir, "detections.parts", ".000099.parquet.123.tmp"), []byte("PAR1 half"), 0o644)
		}},
		{"between the two files' flushes", func(t *testing.T, dir string, s *DetectSet) {
			if err := s.Det.Flush(s.mark); err != nil {
				t.Fatal(err)
			}
		}},
		{"damaged last part", func(t *testing.T, dir string, s *DetectSet) {
			n := s.Emb.ResumePoint().Parts
			os.WriteFile(s.Emb.partPath(n), []byte("garbage"), 0o644)
		}},
	}
	for _, tc := range crashes {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s, err := OpenDetectSet(dir, part)
			if err != nil {
				t.Fatal(err)
			}
			runDetect(t, s, 0, 400) // 134 frames: 8 parts and 6 pending frames
			if rp := s.ResumePoint(); rp.Parts != 8 || rp.Frames != 128 {
				t.Fatalf("before the crash: %+v, want 8 parts of 128 frames", rp)
			}
			tc.crash(t, dir, s)
			// The process dies here: s is abandoned as it is.

			r, err := OpenDetectSet(dir, part)
			if err != nil {
				t.Fatal(err)
			}
			rp := r.ResumePoint()
			if rp.Parts < 7 || rp.Parts > 8 || rp.NextFrame != rp.Frames*3-2 || rp.Rows != rp.EmbRows || rp.NextDetID != rp.Rows {
				t.Fatalf("resume point %+v is not a consistent group boundary", rp)
			}
			runDetect(t, r, rp.NextFrame+2, frames) // next sampled index after NextFrame-1
			if err := r.Finish(); err != nil {
				t.Fatal(err)
			}
			gotD, gotE := readBoth(t, dir)
			if !reflect.DeepEqual(gotD, wantD) || !reflect.DeepEqual(gotE, wantE) {
				t.Fatalf("resumed run differs: %d/%d rows vs %d/%d", len(gotD), len(gotE), len(wantD), len(wantE))
			}
		})
	}
}

func TestPreviousOutputKeptUntilFinish(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := []ManifestRow{{FrameIndex: 1}, {FrameIndex: 2}}
	w, err := NewPartWriter[ManifestRow](dir, "manifest")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(w.Path(), old); err != nil {
		t.Fatal(err)
	}
	w.Append(ManifestRow{FrameIndex: 10}, ManifestRow{FrameIndex: 11})
	if err := w.Flush(Mark{NextFrame: 12, Frames: 2}); err != nil {
		t.Fatal(err)
	}
	w.Append(ManifestRow{FrameIndex: 12})
	if got, err := ReadAll[ManifestRow](w.Path()); err != nil || !reflect.DeepEqual(got, old) {
		t.Fatalf("before Finish: %v, %v; want the old rows", got, err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	want := []ManifestRow{{FrameIndex: 10}, {FrameIndex: 11}, {FrameIndex: 12}}
	if got, err := ReadAll[ManifestRow](w.Path()); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after Finish: %v, %v; want %v", got, err, want)
	}
	if err := w.Flush(Mark{}); err == nil {
		t.Error("Flush after Finish succeeded")
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := OpenDetectSet(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	runDetect(t, s, 0, 60)
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenDetectSet(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	if rp := s2.ResumePoint(); rp != (DetectResume{}) {
		t.Fatalf("after Reset: %+v, want zero", rp)
	}
}

// failFile fails its first Write (or Sync) with err.
type failFile struct {
	*os.File
	err      error
	failSync bool
}

func (f failFile) Write(p []byte) (int, error) {
	if f.failSync {
		return f.File.Write(p)
	}
	return 0, f.err
}

func (f failFile) Sync() error {
	if f.failSync {
		return f.err
	}
	return f.File.Sync()
}

func TestWriteErrorsAreTyped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fs   func(dir string) fsys
		code errs.Code
	}{
		{"disk full on write", func(string) fsys {
			return fsys{createTemp: func(dir, pat string) (wfile, error) {
				f, err := os.CreateTemp(dir, pat)
				return failFile{File: f, err: &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}}, err
			}, rename: os.Rename}
		}, errs.DiskFull},
		{"read-only file system", func(string) fsys {
			return fsys{createTemp: func(dir, pat string) (wfile, error) {
				return nil, &os.PathError{Op: "open", Path: dir, Err: syscall.EROFS}
			}, rename: os.Rename}
		}, errs.ReadOnly},
		{"permission denied", func(string) fsys {
			return fsys{createTemp: func(dir, pat string) (wfile, error) {
				return nil, &os.PathError{Op: "open", Path: dir, Err: syscall.EACCES}
			}, rename: os.Rename}
		}, errs.ReadOnly},
		{"fsync fails", func(string) fsys {
			return fsys{createTemp: func(dir, pat string) (wfile, error) {
				f, err := os.CreateTemp(dir, pat)
				return failFile{File: f, err: syscall.EIO, failSync: true}, err
			}, rename: os.Rename}
		}, errs.ArtifactWriteFailed},
		{"rename fails", func(string) fsys {
			return fsys{createTemp: osFS.createTemp, rename: func(a, b string) error { return &os.LinkError{Op: "rename", Old: a, New: b, Err: syscall.EIO} }}
		}, errs.ArtifactWriteFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			w, err := NewPartWriter[EmbeddingRow](dir, "embeddings")
			if err != nil {
				t.Fatal(err)
			}
			w.Append(EmbeddingRow{DetID: 1, Vec: []float32{1}})
			if err := w.Flush(Mark{NextFrame: 1, Frames: 1, NextID: 2}); err != nil {
				t.Fatal(err)
			}
			w.fs = tc.fs(dir)
			w.Append(EmbeddingRow{DetID: 2, Vec: []float32{2}})
			err = w.Flush(Mark{NextFrame: 2, Frames: 2, NextID: 3})
			if got := errs.CodeOf(err); got != tc.code {
				t.Fatalf("Flush: code %s (%v), want %s", got, err, tc.code)
			}
			if rp := w.ResumePoint(); rp.Parts != 1 || rp.Rows != 1 || rp.NextFrame != 1 {
				t.Errorf("after the failed flush: %+v, want the first part only", rp)
			}
			if err := w.Finish(); errs.CodeOf(err) != tc.code {
				t.Errorf("Finish: code %s, want %s", errs.CodeOf(err), tc.code)
			}
			left, _ := filepath.Glob(filepath.Join(dir, "*", ".*.tmp"))
			left2, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
			if len(left)+len(left2) > 0 {
				t.Errorf("temporary files left: %v %v", left, left2)
			}
			// A fresh writer on a healthy disk resumes from the good part.
			w2, err := NewPartWriter[EmbeddingRow](dir, "embeddings")
			if err != nil {
				t.Fatal(err)
			}
			if rp := w2.ResumePoint(); rp.Parts != 1 || rp.NextID != 2 {
				t.Errorf("reopened: %+v, want 1 part, next id 2", rp)
			}
		})
	}
}

// TestReadOnlyFolder: writing into a folder the process may not write to
// is ERR_READ_ONLY. As root (CI), which ignores folder permissions, the
// folder is a read-only tmpfs mounted for the test, so the writes meet a
// real EROFS; otherwise a folder without write permission gives EACCES.
func TestReadOnlyFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
			t.Fatalf("mount a read-only tmpfs: %v %s", err, out)
		}
		t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
		if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o644); !errors.Is(err, syscall.EROFS) {
			t.Fatalf("the mount is not read-only: %v", err)
		}
	} else {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
	}
	if _, err := NewPartWriter[ManifestRow](dir, "manifest"); errs.CodeOf(err) != errs.ReadOnly {
		t.Errorf("NewPartWriter: %v, want ERR_READ_ONLY", err)
	}
	if err := WriteFile(filepath.Join(dir, "m.parquet"), []ManifestRow{{}}); errs.CodeOf(err) != errs.ReadOnly {
		t.Errorf("WriteFile: %v, want ERR_READ_ONLY", err)
	}
}

func TestNotAFolder(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewPartWriter[ManifestRow](file, "manifest")
	if errs.CodeOf(err) != errs.ArtifactWriteFailed || !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("NewPartWriter under a file: %v, want ERR_ARTIFACT_WRITE_FAILED wrapping ENOTDIR", err)
	}
	if err := WriteFile(filepath.Join(file, "x.parquet"), []ManifestRow{{}}); errs.CodeOf(err) != errs.ArtifactWriteFailed {
		t.Errorf("WriteFile under a file: code %s, want ERR_ARTIFACT_WRITE_FAILED", errs.CodeOf(err))
	}
}

func BenchmarkDetectSet(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		s, err := OpenDetectSet(dir, 250)
		if err != nil {
			b.Fatal(err)
		}
		id := int64(0)
		for f := int64(0); f < 3000; f++ {
			d, e := frameRows(f, id)
			id += int64(len(d))
			s.Add(f, d, e)
			if s.PartFull() {
				if err := s.Flush(); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := s.Finish(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(id), "rows")
	}
}

// BenchmarkDetectSetParts writes an hour of detections (18,000 sampled
// frames at 5 fps) in parts of 250 frames (the size limit) and of 30
// frames (what a checkpoint every 3 s of CPU work gives), side by side:
// flush-ms is the total time of the flushes, merge-ms that of Finish.
func BenchmarkDetectSetParts(b *testing.B) {
	const frames = 18000
	for _, part := range []int{250, 30} {
		b.Run(fmt.Sprintf("frames-per-part=%d", part), func(b *testing.B) {
			for b.Loop() {
				dir := b.TempDir()
				s, err := OpenDetectSet(dir, part)
				if err != nil {
					b.Fatal(err)
				}
				id := int64(0)
				var flush time.Duration
				for f := int64(0); f < frames; f++ {
					d, e := frameRows(f, id)
					id += int64(len(d))
					s.Add(f, d, e)
					if s.PartFull() {
						t0 := time.Now()
						if err := s.Flush(); err != nil {
							b.Fatal(err)
						}
						flush += time.Since(t0)
					}
				}
				t0 := time.Now()
				if err := s.Finish(); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(time.Since(t0).Milliseconds()), "merge-ms")
				b.ReportMetric(float64(flush.Milliseconds()), "flush-ms")
				b.ReportMetric(float64(frames/part), "parts")
			}
		})
	}
}
