package identity

import (
	"testing"

	"castscope/backend/track"
)

func TestDescribeStepNamesTheWholeAction(t *testing.T) {
	var l Log
	a := Identity{ID: 1, TrackIDs: []int64{1, 4}}
	b := Identity{ID: 2, TrackIDs: []int64{2}}
	c := Identity{ID: 3, TrackIDs: []int64{3}}
	rename := l.Rename(a, "Ana")
	m1, m2 := l.Merge(a, b), l.Merge(a, c)
	m1.Group, m2.Group = 7, 7 // as the store groups one action's operations
	for _, tc := range []struct {
		ops  []Op
		want string
	}{
		{nil, ""},
		{[]Op{rename}, `Rename to "Ana"`},
		{[]Op{rename, m1, m2}, "Merge 3 people"},
		{[]Op{rename, l.Merge(a, b)}, "Merge two people"},
		{[]Op{l.Move([]int64{4}, a)}, "Confirm 1 track(s)"},
		{[]Op{l.Move([]int64{2, 3}, a)}, "Move 2 track(s)"},
		{[]Op{l.Split([]int64{2}, "")}, "Split 1 track(s) into a new person"},
		{[]Op{l.Split([]int64{2}, "Bo")}, `Split 1 track(s) into "Bo"`},
		{[]Op{l.NotThisPerson(a, []int64{4})}, "Not this person (1 track(s))"},
		{[]Op{l.Lock(a)}, "Lock a person"},
	} {
		if got := DescribeStep(tc.ops); got != tc.want {
			t.Errorf("DescribeStep(%v) = %q, want %q", tc.ops[len(tc.ops)-1:], got, tc.want)
		}
	}
}

func TestDecidedTracksLeaveTheReview(t *testing.T) {
	var l Log
	a := Identity{ID: 1, TrackIDs: []int64{1, 2}}
	ids := Result{Identities: []Identity{a, {ID: 2, TrackIDs: []int64{5, 6}, Locked: true}, {ID: 3, TrackIDs: []int64{7}}}}
	got := Decided([]Op{l.Move([]int64{3}, a), l.Rename(a, "Ana"), l.NotThisPerson(a, []int64{2})}, ids)
	want := map[int64]bool{3: true, 5: true, 6: true}
	if len(got) != len(want) {
		t.Fatalf("Decided = %v, want %v", got, want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("track %d not decided (%v)", k, got)
		}
	}
}

func TestBestTrackAndFacesToLearn(t *testing.T) {
	emb := []float32{1, 0}
	mk := func(id int64, q float32, n int, yaw float32) *track.Track {
		tr := &track.Track{ID: id, Quality: q, Embedding: emb}
		for i := range n {
			tr.DetIDs = append(tr.DetIDs, int64(i))
			tr.Frames = append(tr.Frames, int64(i))
			tr.Yaws = append(tr.Yaws, yaw)
		}
		return tr
	}
	byTrack := map[int64]*track.Track{
		1: mk(1, 0.9, DefaultMinTrackLen, 0.1),   // frontal, the best quality
		2: mk(2, 0.9, DefaultMinTrackLen+4, 0.2), // frontal, same quality, longer
		3: mk(3, 0.5, DefaultMinTrackLen, track.ProfileYaw+0.1),
		4: mk(4, 1.0, DefaultMinTrackLen-1, 0.1), // too short to learn from
		5: mk(5, 0.8, DefaultMinTrackLen, -1),    // pose unknown
	}
	if got := BestTrack([]int64{1, 2, 3, 99}, byTrack); got != 2 {
		t.Errorf("BestTrack = %d, want 2 (same quality, longer)", got)
	}
	if got := BestTrack([]int64{99}, byTrack); got != 0 {
		t.Errorf("BestTrack of unknown tracks = %d, want 0", got)
	}
	fr, pr := FacesToLearn(Identity{TrackIDs: []int64{1, 2, 3, 4, 5}}, byTrack)
	if fr == nil || fr.ID != 2 || pr == nil || pr.ID != 3 {
		t.Fatalf("FacesToLearn = %v, %v; want tracks 2 and 3", fr, pr)
	}
	if fr, pr := FacesToLearn(Identity{TrackIDs: []int64{4, 5}}, byTrack); fr != nil || pr != nil {
		t.Errorf("FacesToLearn of a short and a poseless track = %v, %v", fr, pr)
	}
	f := LearnedFile("show_s01_e02", 7, "profile")
	if !IsLearnedFile("show_s01_e02", f) || IsLearnedFile("show_s01_e03", f) || IsLearnedFile("show_s01_e02", "ana.jpg") {
		t.Errorf("learned file %q not told apart", f)
	}
	if !OnCastList([]Headshot{{Name: "Ana Lee"}}, "ana lee") || OnCastList(nil, "Ana") {
		t.Error("OnCastList ignores case and needs the name")
	}
}
