package harvest

import (
	"cmp"
	"fmt"
	"os"

	"castscope/backend/errs"
)

// DefaultPartFrames is the number of frames per part (and per checkpoint)
// when OpenDetectSet is given 0.
const DefaultPartFrames = 250

// DetectResume is where a resumed detect stage restarts: the first frame
// index not yet covered by both files, and the counters that go with it.
type DetectResume struct {
	NextFrame int64 `json:"next_frame"`
	Frames    int64 `json:"frames"`      // sampled frames covered
	Rows      int64 `json:"rows"`        // detections written
	EmbRows   int64 `json:"emb_rows"`    // embeddings written
	NextDetID int64 `json:"next_det_id"` // the DetID to give the next face
	Parts     int   `json:"parts"`
}

// DetectSet writes detections.parquet and embeddings.parquet in step: the
// two are one checkpoint. Flush writes part k of detections, then part k
// of embeddings, with the same Mark; on open, both are cut back to their
// longest common run of parts with equal marks, so a crash between the two
// flushes loses only the unfinished group. Finish stages both merged files
// before renaming either, and removes the parts only after both renames:
// a crash inside Finish leaves the parts, and a rerun finishes again.
type DetectSet struct {
	Det        *PartWriter[DetectionRow]
	Emb        *PartWriter[EmbeddingRow]
	partFrames int
	inPart     int
	mark       Mark
}

// OpenDetectSet opens the writers of dir/detections.parquet and
// dir/embeddings.parquet, resuming from the parts on disk; a part holds
// partFrames frames (DefaultPartFrames when 0).
func OpenDetectSet(dir string, partFrames int) (*DetectSet, error) {
	det, err := NewPartWriter[DetectionRow](dir, "detections")
	if err != nil {
		return nil, err
	}
	emb, err := NewPartWriter[EmbeddingRow](dir, "embeddings")
	if err != nil {
		return nil, err
	}
	s := &DetectSet{Det: det, Emb: emb, partFrames: cmp.Or(partFrames, DefaultPartFrames)}
	dm, em := det.Marks(), emb.Marks()
	n := 0
	for n < len(dm) && n < len(em) && dm[n] == em[n] {
		n++
	}
	if err := det.Truncate(n); err != nil {
		return nil, err
	}
	if err := emb.Truncate(n); err != nil {
		return nil, err
	}
	s.mark = det.ResumePoint().Mark
	return s, nil
}

// ResumePoint says where the durable parts of both files end.
func (s *DetectSet) ResumePoint() DetectResume {
	d, e := s.Det.ResumePoint(), s.Emb.ResumePoint()
	return DetectResume{NextFrame: d.NextFrame, Frames: d.Frames, Rows: d.Rows, EmbRows: e.Rows, NextDetID: d.NextID, Parts: d.Parts}
}

// Add appends one sampled frame's rows. Frames must come in increasing
// index order, starting at or after ResumePoint().NextFrame; the caller
// assigns DetIDs (ResumePoint().NextDetID onwards).
func (s *DetectSet) Add(frameIndex int64, dets []DetectionRow, embs []EmbeddingRow) error {
	if frameIndex < s.mark.NextFrame {
		return fmt.Errorf("artifact: frame %d added after frame %d", frameIndex, s.mark.NextFrame-1)
	}
	s.Det.Append(dets...)
	s.Emb.Append(embs...)
	for _, d := range dets {
		s.mark.NextID = max(s.mark.NextID, d.DetID+1)
	}
	s.mark.NextFrame = frameIndex + 1
	s.mark.Frames++
	s.inPart++
	return nil
}

// PartFull reports whether the current part holds partFrames frames.
func (s *DetectSet) PartFull() bool { return s.inPart >= s.partFrames }

// Flush makes the current group of frames durable in both files (a no-op
// when no frame was added since the last Flush).
func (s *DetectSet) Flush() error {
	if s.inPart == 0 {
		return nil
	}
	if err := s.Det.Flush(s.mark); err != nil {
		return err
	}
	if err := s.Emb.Flush(s.mark); err != nil {
		return err
	}
	s.inPart = 0
	return nil
}

// Finish flushes the last group and replaces detections.parquet and
// embeddings.parquet with the merged parts.
func (s *DetectSet) Finish() error {
	if err := s.Flush(); err != nil {
		return err
	}
	dt, err := s.Det.stage()
	if err != nil {
		return err
	}
	et, err := s.Emb.stage()
	if err != nil {
		os.Remove(dt)
		return err
	}
	if err := s.Det.fs.commit(dt, s.Det.Path()); err != nil {
		os.Remove(et)
		return err
	}
	if err := s.Emb.fs.commit(et, s.Emb.Path()); err != nil {
		return err
	}
	if err := s.Det.cleanup(); err != nil {
		return err
	}
	return s.Emb.cleanup()
}

// Abort drops the frames added since the last Flush; the durable parts
// stay for a resume. Safe to call after Finish.
func (s *DetectSet) Abort() {
	s.Det.Abort()
	s.Emb.Abort()
	s.inPart = 0
	s.mark = s.Det.ResumePoint().Mark
}

// Reset deletes the parts of both files: the next run starts at frame 0.
func (s *DetectSet) Reset() error {
	if err := s.Det.Reset(); err != nil {
		return err
	}
	if err := s.Emb.Reset(); err != nil {
		return errs.FS(err, s.Emb.partsDir())
	}
	s.Abort()
	return nil
}
