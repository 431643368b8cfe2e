package identity_test

import (
	"encoding/json"
	"slices"
	"testing"

	"castscope/backend/identity"
	"castscope/backend/track"
)

// face builds a track of a face at box x (100 px wide) over [startMs,
// endMs], sampled every stepMs, drifting 1 px per sample.
func face(id int64, x float32, startMs, endMs, stepMs int64) track.Track {
	t := track.Track{ID: id, StartPTSms: startMs, EndPTSms: endMs, MedianFaceH: 100}
	for ms := startMs; ms <= endMs; ms += stepMs {
		d := float32(len(t.PTSms))
		t.Frames = append(t.Frames, ms/40)
		t.PTSms = append(t.PTSms, ms)
		t.DetIDs = append(t.DetIDs, id*100000+ms)
		t.Boxes = append(t.Boxes, [4]float32{x + d, 50, x + d + 100, 170})
	}
	t.StartFrame, t.EndFrame = t.Frames[0], t.Frames[len(t.Frames)-1]
	return t
}

// renameOf makes a rename of a person with tracks ids, anchored to tracks.
func renameOf(tracks []track.Track, ids ...int64) identity.Op {
	l := identity.Log{Tracks: tracks}
	return l.Rename(identity.Identity{TrackIDs: ids}, "Xena")
}

func TestAnchorRecorded(t *testing.T) {
	t.Parallel()
	tracks := []track.Track{face(1, 0, 0, 2000, 200), face(2, 400, 0, 400, 200)}
	op := renameOf(tracks, 1, 2)
	if got := op.Anchors[1]; len(got) != identity.AnchorSamples || got[0].PTSms != 0 || got[len(got)-1].PTSms != 2000 {
		t.Fatalf("track 1's anchor %+v: want %d samples, first at 0 ms and last at 2000 ms", got, identity.AnchorSamples)
	}
	if got := op.Anchors[2]; len(got) != 3 || got[1].PTSms != 200 || got[1].Box != tracks[1].Boxes[1] {
		t.Fatalf("track 2's anchor %+v: want its 3 detections", got)
	}
	// Stored and read back, the anchors are the same.
	body, err := json.Marshal(op)
	if err != nil {
		t.Fatal(err)
	}
	var back identity.Op
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Anchors[1], op.Anchors[1]) || !slices.Equal(back.Anchors[2], op.Anchors[2]) {
		t.Fatalf("anchors changed in JSON %s", body)
	}
	// Without the tracks at hand no anchors are recorded (nor stored).
	var l identity.Log
	if op := l.Rename(identity.Identity{TrackIDs: []int64{1}}, "Xena"); op.Anchors != nil {
		t.Fatalf("anchors without tracks: %+v", op.Anchors)
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	// Two faces: A on the left for 0–3 s, B on the right for 1–4 s.
	a, b := face(1, 0, 0, 3000, 200), face(2, 600, 1000, 4000, 200)
	before := []track.Track{a, b}
	ops := []identity.Op{renameOf(before, 1), renameOf(before, 2)}
	moved := ops[0]
	moved.Kind, moved.Tracks = identity.OpNotThis, []int64{1}
	ops = append(ops, moved)

	ids := func(op identity.Op) []int64 { return append(slices.Clone(op.Target.Tracks), op.Tracks...) }
	renum := func(t track.Track, id int64) track.Track { t.ID = id; return t }

	t.Run("unchanged", func(t *testing.T) {
		got := identity.Rebind(ops, before)
		for i := range ops {
			if !slices.Equal(ids(got[i]), ids(ops[i])) {
				t.Errorf("op %d names %v, want %v", i, ids(got[i]), ids(ops[i]))
			}
		}
	})
	t.Run("renumbered", func(t *testing.T) {
		// The faces swap numbers; a third face (7) sits between them.
		now := []track.Track{renum(a, 2), renum(b, 1), face(7, 300, 0, 4000, 200)}
		got := identity.Rebind(ops, now)
		if !slices.Equal(ids(got[0]), []int64{2}) || !slices.Equal(ids(got[1]), []int64{1}) || !slices.Equal(ids(got[2]), []int64{2, 2}) {
			t.Fatalf("after the swap the ops name %v, %v, %v; want [2], [1], [2 2]", ids(got[0]), ids(got[1]), ids(got[2]))
		}
		// Rebound again with the same tracks, nothing changes.
		again := identity.Rebind(got, now)
		for i := range got {
			if !slices.Equal(ids(again[i]), ids(got[i])) {
				t.Errorf("rebinding twice: op %d names %v, then %v", i, ids(got[i]), ids(again[i]))
			}
		}
		// And the replay acts on the face: A (now 2) is named.
		res := identity.Result{Identities: []identity.Identity{{ID: 1, TrackIDs: []int64{1}}, {ID: 2, TrackIDs: []int64{2}}}}
		out := identity.Apply(res, now, ops[:1])
		for _, id := range out.Identities {
			if id.Name == "Xena" && !slices.Equal(id.TrackIDs, []int64{2}) {
				t.Fatalf("Xena has tracks %v, want [2] (face A)", id.TrackIDs)
			}
		}
	})
	t.Run("another sampling rate", func(t *testing.T) {
		// Detections every 333 ms instead of 200, boxes where the face was.
		a3 := face(5, 0, 0, 3000, 333)
		for i, ms := range a3.PTSms {
			d := float32(ms) / 200
			a3.Boxes[i] = [4]float32{d, 50, d + 100, 170}
		}
		got := identity.Rebind(ops[:1], []track.Track{a3, renum(b, 1)})
		if !slices.Equal(ids(got[0]), []int64{5}) {
			t.Fatalf("resampled face A: the rename names %v, want [5]", ids(got[0]))
		}
	})
	t.Run("split track", func(t *testing.T) {
		// A's track is broken in two (0–1.4 s, 1.6–3 s) under new numbers.
		p1, p2 := face(3, 0, 0, 1400, 200), face(4, 8, 1600, 3000, 200)
		got := identity.Rebind(ops[:1], []track.Track{p1, p2, renum(b, 1)})
		if !slices.Equal(ids(got[0]), []int64{3, 4}) {
			t.Fatalf("split face A: the rename names %v, want both parts [3 4]", ids(got[0]))
		}
	})
	t.Run("vanished", func(t *testing.T) {
		// A is no longer tracked; its number now belongs to B.
		got := identity.Rebind(ops, []track.Track{renum(b, 1)})
		if len(ids(got[0])) != 0 || len(ids(got[2])) != 0 {
			t.Fatalf("face A gone: the ops still name %v and %v", ids(got[0]), ids(got[2]))
		}
		if !slices.Equal(ids(got[1]), []int64{1}) {
			t.Fatalf("face B (now 1): the rename names %v", ids(got[1]))
		}
		// A move whose tracks are all gone does nothing on replay.
		res := identity.Result{Identities: []identity.Identity{{ID: 1, TrackIDs: []int64{1}}}}
		out := identity.Apply(res, []track.Track{renum(b, 1)}, ops[2:])
		if len(out.Identities) != 1 || !slices.Equal(out.Identities[0].TrackIDs, []int64{1}) {
			t.Fatalf("a not_this of a vanished track moved face B: %+v", out.Identities)
		}
	})
	t.Run("old op without anchors", func(t *testing.T) {
		old := ops[0]
		old.Anchors = nil
		got := identity.Rebind([]identity.Op{old}, []track.Track{renum(a, 2), renum(b, 1)})
		if !slices.Equal(ids(got[0]), []int64{1}) {
			t.Fatalf("an op without anchors names %v, want its ids as stored [1]", ids(got[0]))
		}
		// An op decoded from JSON written before anchors existed.
		var op identity.Op
		if err := json.Unmarshal([]byte(`{"kind":"rename","target":{"person":"p1","tracks":[1]},"name":"Xena"}`), &op); err != nil {
			t.Fatal(err)
		}
		if got := identity.Rebind([]identity.Op{op}, []track.Track{renum(b, 1)}); !slices.Equal(ids(got[0]), []int64{1}) || got[0].Anchors != nil {
			t.Fatalf("old JSON op rebound to %+v", got[0])
		}
		// An anchor with no samples (a hand-edited log) is no anchor.
		if err := json.Unmarshal([]byte(`{"kind":"rename","target":{"person":"p1","tracks":[1]},"name":"Xena","anchors":{"1":[]}}`), &op); err != nil {
			t.Fatal(err)
		}
		if got := identity.Rebind([]identity.Op{op}, []track.Track{renum(b, 1)}); !slices.Equal(ids(got[0]), []int64{1}) {
			t.Fatalf("op with an empty anchor rebound to %+v", got[0])
		}
	})
	t.Run("same number, other face", func(t *testing.T) {
		// Number 1 now belongs to a face elsewhere at the same times.
		got := identity.Rebind(ops[:1], []track.Track{face(1, 300, 0, 3000, 200), renum(a, 9)})
		if !slices.Equal(ids(got[0]), []int64{9}) {
			t.Fatalf("the rename names %v, want face A's new number [9]", ids(got[0]))
		}
	})
}
