package identity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/track"
	"castscope/backend/track/tracktest"
)

// naive is textbook average linkage over a full matrix (cannot-link = +Inf).
func naive(vecs [][]float32, cannot [][2]int, threshold float64) []int {
	n := len(vecs)
	members := make([][]int, n)
	for i := range members {
		members[i] = []int{i}
	}
	forbid := map[[2]int]bool{}
	for _, p := range cannot {
		forbid[[2]int{p[0], p[1]}], forbid[[2]int{p[1], p[0]}] = true, true
	}
	dist := func(a, b []int) float64 {
		var s float64
		for _, i := range a {
			for _, j := range b {
				if forbid[[2]int{i, j}] {
					return math.Inf(1)
				}
				s += 1 - float64(track.Cosine(vecs[i], vecs[j]))
			}
		}
		return s / float64(len(a)*len(b))
	}
	for {
		bi, bj, bd := -1, -1, math.Inf(1)
		for i := range members {
			for j := i + 1; j < len(members); j++ {
				if d := dist(members[i], members[j]); d < bd {
					bi, bj, bd = i, j, d
				}
			}
		}
		if bi < 0 || bd > threshold {
			break
		}
		members[bi] = append(members[bi], members[bj]...)
		members = slices.Delete(members, bj, bj+1)
	}
	labels := make([]int, n)
	for l, m := range members {
		for _, i := range m {
			labels[i] = l
		}
	}
	return labels
}

// samePartition reports whether two labelings group items identically.
func samePartition(a, b []int) bool {
	ab, ba := map[int]int{}, map[int]int{}
	for i := range a {
		if x, ok := ab[a[i]]; ok && x != b[i] {
			return false
		}
		if y, ok := ba[b[i]]; ok && y != a[i] {
			return false
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
	return true
}

func TestAgglomerateMatchesTextbook(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		for _, th := range []float64{0.3, 0.5, 0.7, 0.9} {
			for _, withCannot := range []bool{false, true} {
				t.Run(fmt.Sprintf("seed%d/t%.1f/cannot=%v", seed, th, withCannot), func(t *testing.T) {
					t.Parallel()
					r := rand.New(rand.NewPCG(seed, 7))
					var bases [][]float32
					for range 6 {
						bases = append(bases, tracktest.RandomUnit(r, 32))
					}
					var vecs [][]float32
					for range 50 {
						vecs = append(vecs, tracktest.Noisy(r, bases[r.IntN(len(bases))], 0.3+r.Float64()))
					}
					var cannot [][2]int
					if withCannot {
						for range 30 {
							cannot = append(cannot, [2]int{r.IntN(50), r.IntN(50)})
						}
					}
					got, err := identity.Agglomerate(context.Background(), vecs, cannot, th, 2)
					if err != nil {
						t.Fatal(err)
					}
					want := naive(vecs, cannot, th)
					if !samePartition(got, want) {
						t.Fatalf("partition differs from textbook average linkage\n got %v\nwant %v", got, want)
					}
					for _, p := range cannot {
						if p[0] != p[1] && got[p[0]] == got[p[1]] {
							t.Fatalf("cannot-link %v violated", p)
						}
					}
				})
			}
		}
	}
}

// TestAgglomerateWorkers: big clusters take the parallel distance path;
// the partition must not depend on the number of workers.
func TestAgglomerateWorkers(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(4, 4))
	a, b := tracktest.RandomUnit(r, 32), tracktest.RandomUnit(r, 32)
	var vecs [][]float32
	var cannot [][2]int
	for i := range 2400 {
		base := a
		if i%5 == 0 {
			base = b
		}
		vecs = append(vecs, tracktest.Noisy(r, base, 0.5))
		if i%97 == 0 && i > 0 {
			cannot = append(cannot, [2]int{i, i - 1})
		}
	}
	one, err := identity.Agglomerate(context.Background(), vecs, cannot, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	many, err := identity.Agglomerate(context.Background(), vecs, cannot, 0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !samePartition(one, many) {
		t.Fatal("partition depends on the number of workers")
	}
	for _, p := range cannot {
		if one[p[0]] == one[p[1]] {
			t.Fatalf("cannot-link %v violated", p)
		}
	}
}

func TestAgglomerateEdges(t *testing.T) {
	t.Parallel()
	got, err := identity.Agglomerate(context.Background(), nil, nil, 0.5, 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	if _, err := identity.Agglomerate(context.Background(), [][]float32{{1, 0}, {1}}, nil, 0.5, 0); err == nil {
		t.Fatal("want error for ragged vectors")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := identity.Agglomerate(ctx, [][]float32{{1, 0}, {1, 0}}, nil, 0.5, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
}

func TestClusterScriptedCast(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			s := tracktest.Cast(seed)
			s.Noise = 1.3 // detection-to-person cosine ≈ 0.6
			ep := tracktest.Generate(s)
			tr, err := track.Build(context.Background(), ep.Frames, ep.Dets, ep.CutFrames, track.Config{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := identity.Cluster(context.Background(), tr.Tracks, identity.Config{})
			if err != nil {
				t.Fatal(err)
			}
			personOf := map[int64]int{}
			for _, x := range tr.Tracks {
				personOf[x.ID], _ = ep.PersonOfTrack(x)
			}
			// Background faces are unidentified; cast tracks are not.
			for _, id := range res.Unidentified {
				if personOf[id] >= 0 {
					t.Errorf("cast track %d (person %d) left unidentified", id, personOf[id])
				}
			}
			// BCubed over cast tracks, weighted by detections.
			var pred, truth []int
			var w []float64
			byID := map[int64]track.Track{}
			for _, x := range tr.Tracks {
				byID[x.ID] = x
			}
			for _, id := range res.Identities {
				for _, tid := range id.TrackIDs {
					pred = append(pred, int(id.ID))
					truth = append(truth, personOf[tid])
					w = append(w, float64(byID[tid].Len()))
				}
			}
			p, r, f := tracktest.BCubed(pred, truth, w)
			t.Logf("BCubed precision %.3f recall %.3f F %.3f; metrics %+v", p, r, f, res.Metrics)
			if p != 1 || r != 1 {
				t.Errorf("BCubed P %.3f R %.3f, want 1 and 1", p, r)
			}
			if len(res.Identities) != 3 {
				t.Errorf("%d identities, want 3", len(res.Identities))
			}
			if res.Metrics.SingletonFraction != 0 || res.Metrics.LargestClusterFraction <= 0 {
				t.Errorf("metrics %+v", res.Metrics)
			}
		})
	}
}

// mk builds a track over [startMs, endMs] sampled every 200 ms.
func mk(id int64, startMs, endMs int64, emb []float32) track.Track {
	t := track.Track{ID: id, StartPTSms: startMs, EndPTSms: endMs, Embedding: emb, MedianFaceH: 100}
	for ms := startMs; ms <= endMs; ms += 200 {
		t.Frames = append(t.Frames, ms/40)
		t.PTSms = append(t.PTSms, ms)
		t.DetIDs = append(t.DetIDs, id*10000+ms)
	}
	t.StartFrame, t.EndFrame = t.Frames[0], t.Frames[len(t.Frames)-1]
	return t
}

// mix returns a unit vector with cosine c to a, in the plane of a and b.
func mix(a, b []float32, c float64) []float32 {
	// b orthogonalised against a
	var d float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
	}
	o := make([]float64, len(a))
	var n float64
	for i := range a {
		o[i] = float64(b[i]) - d*float64(a[i])
		n += o[i] * o[i]
	}
	s := math.Sqrt(1 - c*c)
	v := make([]float32, len(a))
	for i := range a {
		v[i] = float32(c*float64(a[i]) + s*o[i]/math.Sqrt(n))
	}
	return v
}

func TestCannotLink(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	e := tracktest.RandomUnit(r, 128)
	tracks := []track.Track{
		mk(1, 0, 2000, tracktest.Noisy(r, e, 0.1)),
		mk(2, 1000, 3000, tracktest.Noisy(r, e, 0.1)), // overlaps 1
		mk(3, 5000, 6000, tracktest.Noisy(r, e, 0.1)),
	}
	res, err := identity.Cluster(context.Background(), tracks, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Identities) != 2 || res.Metrics.CannotLinks != 1 {
		t.Fatalf("%d identities (%d cannot-links), want 2 (1)", len(res.Identities), res.Metrics.CannotLinks)
	}
	res, err = identity.Cluster(context.Background(), tracks, identity.Config{AllowOverlap: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Identities) != 1 || res.Identities[0].Size != 3 {
		t.Fatalf("AllowOverlap: %d identities, want 1 of 3", len(res.Identities))
	}
}

func TestEmptyAndOne(t *testing.T) {
	t.Parallel()
	res, err := identity.Cluster(context.Background(), nil, identity.Config{})
	if err != nil || len(res.Identities) != 0 || res.Metrics.Clusters != 0 {
		t.Fatalf("empty: %+v %v", res, err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	e := tracktest.RandomUnit(r, 128)
	tracks := []track.Track{mk(1, 0, 1000, e), mk(2, 2000, 3000, tracktest.Noisy(r, e, 0.2)), mk(3, 0, 200, e)}
	res, err = identity.Cluster(context.Background(), tracks, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Identities) != 1 || res.Identities[0].Label != "Person 1" || res.Metrics.LargestClusterFraction != 1 {
		t.Fatalf("one: %+v", res)
	}
	if !slices.Equal(res.Unidentified, []int64{3}) { // 2 detections < MinTrackLen
		t.Fatalf("unidentified %v", res.Unidentified)
	}
	if _, err := identity.Cluster(context.Background(), []track.Track{mk(1, 0, 600, e), mk(1, 0, 600, e)}, identity.Config{}); err == nil {
		t.Fatal("want error for duplicate track ids")
	}
}

// curationFixture: X appears in two looks (cos 0.3: never clustered
// together), A and B are distinct but close (cos 0.45: apart at 0.5,
// together at 0.6), Z is a stranger.
func curationFixture() (tracks []track.Track, x1, x2, a, b []int64) {
	r := rand.New(rand.NewPCG(42, 42))
	bx1 := tracktest.RandomUnit(r, 128)
	bx2 := mix(bx1, tracktest.RandomUnit(r, 128), 0.3)
	ba := tracktest.RandomUnit(r, 128)
	bb := mix(ba, tracktest.RandomUnit(r, 128), 0.45)
	bz := tracktest.RandomUnit(r, 128)
	id := int64(0)
	add := func(base []float32, start int64, out *[]int64) {
		id++
		tracks = append(tracks, mk(id, start, start+1000, tracktest.Noisy(r, base, 0.05)))
		if out != nil {
			*out = append(*out, id)
		}
	}
	for i := range int64(3) {
		add(bx1, i*10_000, &x1)
		add(bx2, i*10_000+2000, &x2)
		add(ba, i*10_000+4000, &a)
		add(bb, i*10_000+6000, &b)
		add(bz, i*10_000+8000, nil)
	}
	return tracks, x1, x2, a, b
}

func find(res identity.Result, trackID int64) *identity.Identity {
	for i := range res.Identities {
		if slices.Contains(res.Identities[i].TrackIDs, trackID) {
			return &res.Identities[i]
		}
	}
	return nil
}

func TestCurationSurvivesRecluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tracks, x1, x2, a, b := curationFixture()
	first, err := identity.Cluster(ctx, tracks, identity.Config{Threshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Identities) != 5 {
		t.Fatalf("fixture: %d identities at 0.5, want 5", len(first.Identities))
	}
	var log identity.Log
	state := first
	step := func(op identity.Op) {
		t.Helper()
		if err := op.Validate(); err != nil {
			t.Fatal(err)
		}
		state = identity.Apply(first, tracks, log.Ops)
	}
	step(log.Rename(*find(state, x1[0]), "Xena"))
	step(log.Merge(*find(state, x1[0]), *find(state, x2[0])))
	step(log.Lock(*find(state, x1[0])))
	step(log.Rename(*find(state, a[0]), "Ann"))
	step(log.Rename(*find(state, b[0]), "Bob"))
	beforeLast := identity.Apply(first, tracks, log.Ops[:len(log.Ops)-1])

	check := func(t *testing.T, res identity.Result) {
		t.Helper()
		x := find(res, x1[0])
		if x == nil || x.Label != "Xena" || !x.Locked || x.Size != 6 {
			t.Fatalf("Xena: %+v", x)
		}
		for _, id := range append(slices.Clone(x1), x2...) {
			if find(res, id) != x {
				t.Fatalf("track %d left Xena", id)
			}
		}
		for _, set := range []struct {
			ids  []int64
			name string
		}{{a, "Ann"}, {b, "Bob"}} {
			for _, id := range set.ids {
				if got := find(res, id); got == nil || got.Label != set.name || got.Size != 3 {
					t.Fatalf("track %d: %+v, want %s of 3", id, got, set.name)
				}
			}
		}
	}
	check(t, state)
	for _, th := range []float64{0.4, 0.6, 0.65} {
		t.Run(fmt.Sprint("threshold", th), func(t *testing.T) {
			res, err := identity.Cluster(ctx, tracks, identity.Config{Threshold: th})
			if err != nil {
				t.Fatal(err)
			}
			if th == 0.6 && find(res, a[0]) != find(res, b[0]) {
				t.Fatal("fixture: A and B should cluster together at 0.6")
			}
			check(t, identity.Apply(res, tracks, log.Ops))
		})
	}

	// Undo steps back exactly one operation.
	op, ok := log.Undo()
	if !ok || op.Kind != identity.OpRename || op.Name != "Bob" {
		t.Fatalf("undo returned %+v %v", op, ok)
	}
	undone := identity.Apply(first, tracks, log.Ops)
	if find(undone, b[0]).Label == "Bob" || find(undone, b[0]).Label != find(beforeLast, b[0]).Label {
		t.Fatalf("undo: B is %q", find(undone, b[0]).Label)
	}
	log.Undo() // Ann
	log.Undo() // lock
	if x := find(identity.Apply(first, tracks, log.Ops), x1[0]); x.Locked || x.Size != 6 {
		t.Fatalf("after undoing the lock: %+v", x)
	}
	log.Undo() // merge
	if x := find(identity.Apply(first, tracks, log.Ops), x1[0]); x.Size != 3 || x.Label != "Xena" {
		t.Fatalf("after undoing the merge: %+v", x)
	}
}

func TestSplitNotThisAndLockPins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tracks, x1, x2, _, _ := curationFixture()
	res, err := identity.Cluster(ctx, tracks, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var log identity.Log
	log.Merge(*find(res, x1[0]), *find(res, x2[0]))
	st := identity.Apply(res, tracks, log.Ops)
	log.NotThisPerson(*find(st, x1[0]), []int64{x2[0]})
	st = identity.Apply(res, tracks, log.Ops)
	if find(st, x2[0]) == find(st, x1[0]) || find(st, x1[0]).Size != 5 {
		t.Fatalf("not-this-person: %+v", find(st, x1[0]))
	}
	log.Split([]int64{x1[0], x1[1]}, "Young Xena")
	st = identity.Apply(res, tracks, log.Ops)
	if y := find(st, x1[0]); y.Label != "Young Xena" || y.Size != 2 || find(st, x1[1]) != y {
		t.Fatalf("split: %+v", y)
	}
	log.Move([]int64{x2[0]}, *find(st, x1[0]))
	st = identity.Apply(res, tracks, log.Ops)
	if y := find(st, x1[0]); y.Size != 3 || find(st, x2[0]) != y {
		t.Fatalf("move: %+v", y)
	}
	log.Lock(*find(st, x1[0]))
	// Re-cluster with every track in one identity: the lock still pins three.
	loose, err := identity.Cluster(ctx, tracks, identity.Config{Threshold: 1.5, AllowOverlap: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(loose.Identities) != 1 {
		t.Fatalf("loose: %d identities", len(loose.Identities))
	}
	st = identity.Apply(loose, tracks, log.Ops)
	if y := find(st, x1[0]); !y.Locked || y.Size != 3 || y.Label != "Young Xena" {
		t.Fatalf("lock after re-cluster: %+v", y)
	}
	log.Unlock(*find(st, x1[0]))
	if y := find(identity.Apply(loose, tracks, log.Ops), x1[0]); y.Locked {
		t.Fatal("unlock did not release")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, op := range []identity.Op{
		{Kind: identity.OpRename, Target: identity.Ref{Person: "p1"}},
		{Kind: identity.OpMerge, Target: identity.Ref{Person: "p1"}},
		{Kind: identity.OpMove, Target: identity.Ref{Person: "p1"}},
		{Kind: "explode", Target: identity.Ref{Person: "p1"}},
		{Kind: identity.OpLock},
	} {
		if err := op.Validate(); err == nil {
			t.Errorf("%+v: want an error", op)
		}
	}
}

func TestFacebankAndReview(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tracks, x1, _, a, _ := curationFixture()
	res, err := identity.Cluster(ctx, tracks, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	xa := find(res, x1[0]).Centroid
	refs := []identity.Reference{
		{Name: "Xena", Embedding: xa},
		{Name: "Ann", Embedding: find(res, a[0]).Centroid},
		{Name: "Nobody", Embedding: tracktest.RandomUnit(rand.New(rand.NewPCG(5, 5)), 128)},
	}
	var log identity.Log
	log.Rename(*find(res, a[0]), "Ann Curated")
	res = identity.Name(identity.Apply(res, tracks, log.Ops), tracks, refs, identity.NameConfig{})
	if x := find(res, x1[0]); x.Label != "Xena" || x.FacebankScore < 0.99 {
		t.Fatalf("facebank: %+v", x)
	}
	if got := find(res, a[0]); got.Label != "Ann Curated" || got.FacebankName != "Ann" {
		t.Fatalf("a user's name must win: %+v", got)
	}
	named := 0
	for _, id := range res.Identities {
		if id.FacebankName == "Nobody" {
			t.Fatal("a stranger matched")
		}
		if id.FacebankName != "" {
			named++
		}
	}
	if named != 2 {
		t.Fatalf("%d matched, want 2", named)
	}
	rv := identity.ReviewOrder(res, tracks, 3)
	if len(rv) != 3 || rv[0].Margin > rv[1].Margin || rv[1].Margin > rv[2].Margin {
		t.Fatalf("review order %+v", rv)
	}
}

// BenchmarkCluster10k clusters 10 000 tracks over an hour: 400 people of
// 25 tracks each, and 20 people of 500 (dense: 2.5 M close pairs).
func BenchmarkCluster10k(b *testing.B) {
	for _, people := range []int{400, 20} {
		b.Run(fmt.Sprintf("people=%d", people), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			var bases [][]float32
			for range people {
				bases = append(bases, tracktest.RandomUnit(r, 128))
			}
			tracks := make([]track.Track, 10_000)
			for i := range tracks {
				start := r.Int64N(3_600_000)
				tracks[i] = track.Track{ID: int64(i + 1), StartPTSms: start, EndPTSms: start + 1000 + r.Int64N(8000),
					Embedding: tracktest.Noisy(r, bases[r.IntN(len(bases))], 0.6), MedianFaceH: 100,
					DetIDs: make([]int64, 5)}
			}
			b.ResetTimer()
			for b.Loop() {
				res, err := identity.Cluster(context.Background(), tracks, identity.Config{})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(res.Metrics.Clusters), "clusters")
			}
		})
	}
}

func TestClusterRandomEpisodes(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{11, 12, 13} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			ep := tracktest.Generate(tracktest.Random(seed, 10, 300_000))
			tr, err := track.Build(context.Background(), ep.Frames, ep.Dets, ep.CutFrames, track.Config{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := identity.Cluster(context.Background(), tr.Tracks, identity.Config{})
			if err != nil {
				t.Fatal(err)
			}
			var pred, truth []int
			var w []float64
			byID := map[int64]track.Track{}
			impure := 0
			for _, x := range tr.Tracks {
				byID[x.ID] = x
				if _, purity := ep.PersonOfTrack(x); purity < 1 {
					impure++
				}
			}
			for _, id := range res.Identities {
				for _, tid := range id.TrackIDs {
					p, _ := ep.PersonOfTrack(byID[tid])
					pred = append(pred, int(id.ID))
					truth = append(truth, p)
					w = append(w, float64(byID[tid].Len()))
				}
			}
			p, r, f := tracktest.BCubed(pred, truth, w)
			t.Logf("tracks %d (impure %d) identities %d: BCubed P %.3f R %.3f F %.3f; track %+v; cluster %+v", len(tr.Tracks), impure, len(res.Identities), p, r, f, tr.Metrics, res.Metrics)
			if p < 0.99 || r < 0.95 {
				t.Errorf("BCubed P %.3f R %.3f", p, r)
			}
		})
	}
}

func TestShortTracksAttach(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 8))
	a, b := tracktest.RandomUnit(r, 128), tracktest.RandomUnit(r, 128)
	between := mix(a, b, math.Cos(math.Pi/4)) // as near to a as to b
	tracks := []track.Track{
		mk(1, 0, 2000, a), mk(2, 5000, 7000, b),
		mk(3, 3000, 3200, tracktest.Noisy(r, a, 0.3)),   // short, clearly a
		mk(4, 1000, 1200, tracktest.Noisy(r, a, 0.3)),   // short, a, but overlaps track 1
		mk(5, 9000, 9200, between),                      // short, ambiguous
		mk(6, 9500, 9700, tracktest.RandomUnit(r, 128)), // short stranger
	}
	res, err := identity.Cluster(context.Background(), tracks, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := find(res, 3); got == nil || got != find(res, 1) {
		t.Fatalf("short track 3 should join track 1's identity: %+v", res)
	}
	if !slices.Equal(res.Unidentified, []int64{4, 5, 6}) {
		t.Fatalf("unidentified %v, want [4 5 6]", res.Unidentified)
	}
	res, err = identity.Cluster(context.Background(), tracks, identity.Config{KeepShortApart: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Unidentified, []int64{3, 4, 5, 6}) {
		t.Fatalf("KeepShortApart: unidentified %v", res.Unidentified)
	}
}

func TestOpsJSONRoundTrip(t *testing.T) {
	t.Parallel()
	tracks, x1, x2, a, _ := curationFixture()
	res, err := identity.Cluster(context.Background(), tracks, identity.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var log identity.Log
	log.Merge(*find(res, x1[0]), *find(res, x2[0]))
	log.Rename(*find(identity.Apply(res, tracks, log.Ops), x1[0]), "Xena")
	log.Split([]int64{a[0]}, "Other")
	log.Lock(*find(identity.Apply(res, tracks, log.Ops), x1[0]))
	data, err := json.Marshal(log.Ops)
	if err != nil {
		t.Fatal(err)
	}
	var back []identity.Op
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(identity.Apply(res, tracks, log.Ops))
	got, _ := json.Marshal(identity.Apply(res, tracks, back))
	if string(got) != string(want) {
		t.Fatalf("replaying stored ops differs:\n got %s\nwant %s", got, want)
	}
	if x := find(identity.Apply(res, tracks, back), x1[0]); x.Label != "Xena" || !x.Locked || x.Size != 6 {
		t.Fatalf("Xena %+v", x)
	}
}

func TestNewReference(t *testing.T) {
	t.Parallel()
	face := []float32{3, 4}
	ref, err := identity.NewReference(" Kyle ", "kyle.jpg", [][]float32{face})
	if err != nil || ref.Name != "Kyle" || ref.File != "kyle.jpg" || math.Abs(float64(ref.Embedding[0])-0.6) > 1e-6 {
		t.Fatalf("one face: %+v %v", ref, err)
	}
	for _, tc := range []struct {
		name  string
		faces [][]float32
	}{{"Kyle", nil}, {"Kyle", [][]float32{face, face}}, {"", [][]float32{face}}, {"Kyle", [][]float32{{}}}} {
		_, err := identity.NewReference(tc.name, "shots/kyle.jpg", tc.faces)
		if !errs.HasCode(err, errs.HeadshotInvalid) || !strings.Contains(err.Error(), "shots/kyle.jpg") {
			t.Errorf("%q with %d faces: %v, want a usage error naming the file", tc.name, len(tc.faces), err)
		}
	}
}
