package identity_test

import (
	"math"
	"slices"
	"testing"

	"castscope/backend/identity"
	"castscope/backend/track"
)

func TestSuggestOffersLikelyDuplicatesOnly(t *testing.T) {
	t.Parallel()
	// Unit vectors at a chosen cosine to (1, 0, 0).
	at := func(cos float64) []float32 { return []float32{float32(cos), float32(math.Sqrt(1 - cos*cos)), 0} }
	tk := func(id, from, to int64) track.Track { return track.Track{ID: id, StartPTSms: from, EndPTSms: to} }
	tracks := []track.Track{tk(1, 0, 1000), tk(2, 2000, 3000), tk(3, 4000, 5000), tk(4, 4500, 6000), tk(5, 7000, 8000), tk(6, 9000, 9500)}
	id := func(n int64, detections int, centroid []float32, tracks ...int64) identity.Identity {
		return identity.Identity{ID: n, Centroid: centroid, TrackIDs: tracks, Detections: detections}
	}
	res := identity.Result{Identities: []identity.Identity{
		id(1, 40, at(1), 1),
		id(2, 10, at(0.55), 2), // a second take of 1: suggested, merged into 1 (more detections)
		id(3, 30, at(0.6), 3),  // alike, but on screen with 4
		id(4, 5, at(0.6), 4),
		id(5, 50, []float32{0.2, 0, float32(math.Sqrt(1 - 0.04))}, 5), // someone else: ≤ 0.2 from every other
		id(6, 8, at(0.45), 6), // alike, but named apart from 1
	}}
	res.Identities[0].Name = "Jane Doe"
	res.Identities[5].FacebankName = "Kim Roe"
	got := identity.Suggest(res, tracks, identity.SuggestMinCos, 0)
	var pairs [][2]int64
	for _, s := range got {
		pairs = append(pairs, [2]int64{s.A, s.B})
	}
	// 3–4 are on screen together, 5 is far from all, 6 is named apart from 1.
	for _, p := range pairs {
		if p == [2]int64{3, 4} || p == [2]int64{4, 3} {
			t.Errorf("identities on screen together suggested: %v", pairs)
		}
		if p[0] == 5 || p[1] == 5 {
			t.Errorf("a far identity suggested: %v", pairs)
		}
		if (p[0] == 1 && p[1] == 6) || (p[0] == 6 && p[1] == 1) {
			t.Errorf("identities named apart suggested: %v", pairs)
		}
	}
	if !slices.Contains(pairs, [2]int64{1, 2}) {
		t.Errorf("1–2 not suggested (or not into 1, the larger): %v", pairs)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Similarity > got[i-1].Similarity {
			t.Errorf("not most alike first: %+v", got)
		}
	}
	if one := identity.Suggest(res, tracks, identity.SuggestMinCos, 1); len(one) != 1 || one[0] != got[0] {
		t.Errorf("limit 1: %+v", one)
	}
	if none := identity.Suggest(res, tracks, 0.999, 0); len(none) != 0 {
		t.Errorf("nothing is that alike: %+v", none)
	}
}
