package identity_test

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"castscope/backend/identity"
	"castscope/backend/track"
	"castscope/backend/track/tracktest"
)

// reviewByCosine is ReviewOrder as first written: track.Cosine (norms
// computed on every call, in float64) for each track and identity. The
// reference for the test and the benchmark below.
func reviewByCosine(res identity.Result, tracks []track.Track) []identity.Review {
	byID := map[int64]*track.Track{}
	for i := range tracks {
		byID[tracks[i].ID] = &tracks[i]
	}
	var out []identity.Review
	for _, id := range res.Identities {
		for _, tid := range id.TrackIDs {
			t := byID[tid]
			if t == nil || len(t.Embedding) == 0 {
				continue
			}
			r := identity.Review{TrackID: tid, IdentityID: id.ID, OwnCos: track.Cosine(t.Embedding, id.Centroid), OtherCos: -1}
			for _, o := range res.Identities {
				if o.ID == id.ID || len(o.Centroid) != len(t.Embedding) {
					continue
				}
				if c := track.Cosine(t.Embedding, o.Centroid); c > r.OtherCos {
					r.OtherID, r.OtherCos = o.ID, c
				}
			}
			r.Margin = r.OwnCos - r.OtherCos
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b identity.Review) int {
		return cmp.Or(cmp.Compare(a.Margin, b.Margin), cmp.Compare(a.TrackID, b.TrackID))
	})
	return out
}

// reviewFixture clusters n tracks of people people (noisy embeddings,
// not unit length on purpose).
func reviewFixture(tb testing.TB, n, people int) (identity.Result, []track.Track) {
	r := rand.New(rand.NewPCG(7, 8))
	var bases [][]float32
	for range people {
		bases = append(bases, tracktest.RandomUnit(r, 128))
	}
	tracks := make([]track.Track, n)
	for i := range tracks {
		start := r.Int64N(3_600_000)
		emb := tracktest.Noisy(r, bases[r.IntN(people)], 0.6)
		for k := range emb {
			emb[k] *= 3 // any length: the order must not depend on it
		}
		tracks[i] = track.Track{ID: int64(i + 1), StartPTSms: start, EndPTSms: start + 1000 + r.Int64N(8000),
			Embedding: emb, MedianFaceH: 100, DetIDs: make([]int64, 5)}
	}
	res, err := identity.Cluster(context.Background(), tracks, identity.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	return res, tracks
}

func TestReviewOrderMatchesCosines(t *testing.T) {
	t.Parallel()
	res, tracks := reviewFixture(t, 1500, 40)
	got, want := identity.ReviewOrder(res, tracks, 0), reviewByCosine(res, tracks)
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d reviews, want %d", len(got), len(want))
	}
	byTrack := map[int64]identity.Review{}
	for _, r := range want {
		byTrack[r.TrackID] = r
	}
	for i, g := range got {
		w := byTrack[g.TrackID]
		if g.IdentityID != w.IdentityID || (g.OtherID != w.OtherID && math.Abs(float64(g.OtherCos-w.OtherCos)) > 1e-5) ||
			math.Abs(float64(g.Margin-w.Margin)) > 1e-5 || math.Abs(float64(g.Margin-want[i].Margin)) > 1e-5 {
			t.Fatalf("review %d: %+v, by cosines %+v (at that place %+v)", i, g, w, want[i])
		}
	}
}

// BenchmarkReviewOrder orders 10 000 tracks of 400 people for review, as
// the Cast view does on every load: unit vectors and float32 dot products
// against the cosine reference, side by side.
func BenchmarkReviewOrder(b *testing.B) {
	res, tracks := reviewFixture(b, 10_000, 400)
	b.Logf("%d identities", len(res.Identities))
	b.Run("cosine", func(b *testing.B) {
		for b.Loop() {
			reviewByCosine(res, tracks)
		}
	})
	b.Run("unit-dot", func(b *testing.B) {
		for b.Loop() {
			identity.ReviewOrder(res, tracks, 0)
		}
	})
}
