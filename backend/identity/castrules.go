package identity

import (
	"fmt"
	"slices"
	"strings"

	"castscope/backend/track"
)

// The rules of the Cast view that follow from the curation log alone:
// what a step is called, which tracks the user has settled, which track
// stands for a person and which faces a confirmed name teaches the cast
// list. They are pure; the service applies them to what it reads.

// DescribeStep says in words what the newest step of the log did (what
// Undo reverts): its last operation, or the merge its group made.
func DescribeStep(ops []Op) string {
	if len(ops) == 0 {
		return ""
	}
	last := ops[len(ops)-1]
	n := 0
	for i := len(ops) - 1; i >= 0 && last.Group != 0 && ops[i].Group == last.Group; i-- {
		n++
	}
	if last.Kind == OpMerge && n > 1 {
		return fmt.Sprintf("Merge %d people", n+1)
	}
	return DescribeOp(last)
}

// DescribeOp says in words what an operation did.
func DescribeOp(op Op) string {
	n := len(op.Tracks)
	switch op.Kind {
	case OpRename:
		return fmt.Sprintf("Rename to %q", op.Name)
	case OpMerge:
		return "Merge two people"
	case OpMove:
		if op.Name != "" {
			return fmt.Sprintf("Split %d track(s) into %q", n, op.Name)
		}
		if len(op.Target.Tracks) == 0 {
			return fmt.Sprintf("Split %d track(s) into a new person", n)
		}
		if op.Confirms() {
			return fmt.Sprintf("Confirm %d track(s)", n)
		}
		return fmt.Sprintf("Move %d track(s)", n)
	case OpNotThis:
		return fmt.Sprintf("Not this person (%d track(s))", n)
	case OpLock:
		return "Lock a person"
	case OpUnlock:
		return "Unlock a person"
	}
	return fmt.Sprintf("%s %s", op.Kind, op.Target.Person)
}

// Confirms reports whether a move keeps its tracks where they were (the
// Review strip's Keep): they already belonged to the target.
func (op Op) Confirms() bool {
	if op.Kind != OpMove || len(op.Tracks) == 0 {
		return false
	}
	for _, t := range op.Tracks {
		if !slices.Contains(op.Target.Tracks, t) {
			return false
		}
	}
	return true
}

// Decided returns the tracks whose person the user settled: moved or
// confirmed by an operation in effect, or held by a locked identity.
// They are not offered for review again.
func Decided(ops []Op, ids Result) map[int64]bool {
	out := map[int64]bool{}
	for _, op := range ops {
		if op.Kind == OpMove {
			for _, t := range op.Tracks {
				out[t] = true
			}
		}
	}
	for _, id := range ids.Identities {
		if id.Locked {
			for _, t := range id.TrackIDs {
				out[t] = true
			}
		}
	}
	return out
}

// BestTrack is the track whose face stands for an identity of tracks ids:
// the best quality, ties to the longer track; 0 when byTrack holds none.
func BestTrack(ids []int64, byTrack map[int64]*track.Track) int64 {
	best, bq, bn := int64(0), float32(-1), 0
	for _, id := range ids {
		t := byTrack[id]
		if t == nil {
			continue
		}
		if t.Quality > bq || (t.Quality == bq && len(t.Frames) > bn) {
			best, bq, bn = id, t.Quality, len(t.Frames)
		}
	}
	return best
}

// FacebankReason says why the cast list named an identity; "" if it did not.
func (id Identity) FacebankReason() string {
	if id.FacebankName == "" {
		return ""
	}
	return Candidate{Name: id.FacebankName, File: id.FacebankFile, Score: id.FacebankScore, Margin: id.FacebankMargin}.Reason()
}

// OnCastList reports whether name is on the cast list hs (any case).
func OnCastList(hs []Headshot, name string) bool {
	return slices.ContainsFunc(hs, func(h Headshot) bool { return strings.EqualFold(h.Name, name) })
}

// FacesToLearn picks the tracks of id whose faces a confirmed name adds
// to the show's cast list: the best frontal track and the best profile
// track (by quality × length), among tracks long enough to cluster, with
// an embedding, a known pose and no sign of a non-face. Either is nil
// when there is none.
func FacesToLearn(id Identity, byTrack map[int64]*track.Track) (frontal, profile *track.Track) {
	better := func(a, b *track.Track) bool {
		return b == nil || a.Quality*float32(a.Len()) > b.Quality*float32(b.Len())
	}
	for _, tid := range id.TrackIDs {
		t := byTrack[tid]
		if t == nil || len(t.Embedding) == 0 || t.Len() < DefaultMinTrackLen || t.NonFace > 0 {
			continue
		}
		switch yaw := t.MedianYaw(); {
		case yaw < 0:
		case yaw < 0.4 && better(t, frontal):
			frontal = t
		case yaw >= track.ProfileYaw && better(t, profile):
			profile = t
		}
	}
	return frontal, profile
}

// LearnedFile is the cast-list file label of a face learned from track
// tid of episode key (pose "frontal" or "profile"); IsLearnedFile finds
// them again when the rename that taught them is undone.
func LearnedFile(key string, tid int64, pose string) string {
	return fmt.Sprintf("%s track %d (%s, confirmed)", key, tid, pose)
}

// IsLearnedFile reports whether file is a LearnedFile label of episode key.
func IsLearnedFile(key, file string) bool {
	return strings.HasPrefix(file, key+" track ") && strings.HasSuffix(file, ", confirmed)")
}
