package identity

import (
	"cmp"
	"slices"
	"strings"

	"castscope/backend/track"
)

// SuggestMinCos is the centroid cosine from which two identities are
// offered as possibly one person. The clustering joins tracks only from
// cosine 0.5 (distance DefaultThreshold) and keeps apart people seen
// together; a soft or small face can leave one person as two identities
// a little below that. On the degraded scripted episode (pipeline tests)
// the two people left split had identities 0.47 and 0.38 alike, while two
// different people's small, soft faces were 0.39 alike: from 0.4 the
// first is offered and no wrong pair is. A suggestion for the user, never
// a merge, is what that room allows.
const SuggestMinCos = 0.4

// Suggestion is a pair of identities that may be one person: A has the
// more detections, B would be merged into it.
type Suggestion struct {
	A, B       int64
	Similarity float32 // cosine of the centroids
}

// Suggest lists pairs of identities whose centroids are at least minCos
// alike, most alike first, at most limit (0: all). Pairs the evidence
// rules out are left out: identities on screen at the same moment (two
// faces at once are two people) and identities the user or the cast list
// named differently.
func Suggest(res Result, tracks []track.Track, minCos float32, limit int) []Suggestion {
	byID := make(map[int64]*track.Track, len(tracks))
	for i := range tracks {
		byID[tracks[i].ID] = &tracks[i]
	}
	var out []Suggestion
	ids := res.Identities
	for i := range ids {
		for k := i + 1; k < len(ids); k++ {
			a, b := &ids[i], &ids[k]
			if len(a.Centroid) == 0 || len(a.Centroid) != len(b.Centroid) || namedApart(a, b) {
				continue
			}
			c := track.Cosine(a.Centroid, b.Centroid)
			if c < minCos || together(a.TrackIDs, b.TrackIDs, byID) {
				continue
			}
			if b.Detections > a.Detections || (b.Detections == a.Detections && b.ID < a.ID) {
				a, b = b, a
			}
			out = append(out, Suggestion{A: a.ID, B: b.ID, Similarity: c})
		}
	}
	slices.SortFunc(out, func(x, y Suggestion) int {
		return cmp.Or(cmp.Compare(y.Similarity, x.Similarity), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// namedApart reports whether a and b carry different names from the user
// or from the cast list: someone already said who each one is.
func namedApart(a, b *Identity) bool {
	differ := func(x, y string) bool {
		return x != "" && y != "" && !strings.EqualFold(strings.TrimSpace(x), strings.TrimSpace(y))
	}
	return differ(cmp.Or(a.Name, a.FacebankName), cmp.Or(b.Name, b.FacebankName))
}

// together reports whether a track of as and one of bs are on screen at
// the same moment.
func together(as, bs []int64, byID map[int64]*track.Track) bool {
	for _, x := range as {
		tx := byID[x]
		if tx == nil {
			continue
		}
		for _, y := range bs {
			if ty := byID[y]; ty != nil && tx.StartPTSms <= ty.EndPTSms && ty.StartPTSms <= tx.EndPTSms {
				return true
			}
		}
	}
	return false
}
