package track_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"castscope/backend/track"
	"castscope/backend/track/tracktest"
)

func TestBuildScriptedCast(t *testing.T) {
	t.Parallel()
	ep := tracktest.Generate(tracktest.Cast(1))
	res, err := track.Build(context.Background(), ep.Frames, ep.Dets, ep.CutFrames, track.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Every track is pure: one person only.
	perPerson := map[int]int{}
	for _, tr := range res.Tracks {
		p, purity := ep.PersonOfTrack(tr)
		if purity < 1 {
			t.Errorf("track %d mixes people (purity %.2f)", tr.ID, purity)
		}
		if p >= 0 {
			perPerson[p]++
		}
		if len(tr.Embedding) != 128 {
			t.Fatalf("track %d: embedding len %d", tr.ID, len(tr.Embedding))
		}
		var sq float64
		for _, x := range tr.Embedding {
			sq += float64(x) * float64(x)
		}
		if n := math.Sqrt(sq); !(math.Abs(n-1) <= 1e-3) { // a NaN fails too
			t.Errorf("track %d embedding has norm %v, want 1", tr.ID, n)
		}
	}
	// Each scripted appearance within one shot is one track: gaps ≤ MaxGap
	// are bridged, low-score detections join in the second pass, the cut at
	// 30 s splits Bea. Alice 2, Bea 3, Cleo 2.
	want := map[int]int{0: 2, 1: 3, 2: 2}
	for p, n := range want {
		if perPerson[p] != n {
			t.Errorf("person %d: %d tracks, want %d", p, perPerson[p], n)
		}
	}
	// No detection of a cast member is lost.
	assigned := map[int64]bool{}
	for _, tr := range res.Tracks {
		for _, d := range tr.DetIDs {
			assigned[d] = true
		}
	}
	for _, d := range ep.Dets {
		if ep.PersonOfDet[d.DetID] >= 0 && !assigned[d.DetID] {
			t.Errorf("detection %d of person %d not in any track", d.DetID, ep.PersonOfDet[d.DetID])
		}
	}
	m := res.Metrics
	if m.Cuts != 1 || m.BridgedGaps < 4 || m.IDSwitchEstimate != 0 {
		t.Errorf("metrics %+v", m)
	}
	if m.DurationS != 60 || m.TracksPerMinute != float64(m.Tracks) {
		t.Errorf("duration %v, tracks/min %v for %d tracks", m.DurationS, m.TracksPerMinute, m.Tracks)
	}
	if m.ShortTrackFraction <= 0 { // the background faces are short
		t.Errorf("short fraction %v", m.ShortTrackFraction)
	}
	t.Logf("metrics %+v", m)
}

func TestGapAndCut(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	base := tracktest.RandomUnit(r, 128)
	frames := make([]track.Frame, 40)
	for i := range frames {
		frames[i] = track.Frame{Index: int64(i * 5), PTSms: int64(i * 200)}
	}
	det := func(i int) track.Detection {
		return track.Detection{DetID: int64(i + 1), FrameIndex: int64(i * 5), PTSms: int64(i * 200),
			Box: [4]float32{100, 100, 180, 200}, Score: 0.9, Embedding: tracktest.Noisy(r, base, 0.5)}
	}
	tests := []struct {
		name      string
		present   func(i int) bool
		cuts      []int64
		maxGap    int
		want      int
		fragments int
	}{
		{"continuous", func(int) bool { return true }, nil, 0, 1, 0},
		{"gap of 5 bridged", func(i int) bool { return i < 10 || i >= 15 }, nil, 0, 1, 0},
		{"gap of 6 splits", func(i int) bool { return i < 10 || i >= 16 }, nil, 0, 2, 1},
		{"gap of 2 with MaxGap 1 splits", func(i int) bool { return i < 10 || i >= 12 }, nil, 1, 2, 1},
		{"cut splits", func(int) bool { return true }, []int64{100}, 0, 2, 0},
		{"two cuts", func(int) bool { return true }, []int64{50, 150}, 0, 3, 0},
		{"cut between sampled frames", func(int) bool { return true }, []int64{98}, 0, 2, 0},
		{"cut before the first frame", func(int) bool { return true }, []int64{-5, 0}, 0, 1, 0},
	}
	for _, tc := range tests {
		var dets []track.Detection
		for i := range frames {
			if tc.present(i) {
				dets = append(dets, det(i))
			}
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := track.Build(context.Background(), frames, dets, tc.cuts, track.Config{MaxGap: tc.maxGap})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Tracks) != tc.want {
				t.Fatalf("%d tracks, want %d", len(res.Tracks), tc.want)
			}
			n := 0
			for _, tr := range res.Tracks {
				n += tr.Len()
			}
			if n != len(dets) {
				t.Errorf("%d detections in tracks, want %d", n, len(dets))
			}
			if res.Metrics.FragmentEstimate != tc.fragments {
				t.Errorf("fragment estimate %d, want %d", res.Metrics.FragmentEstimate, tc.fragments)
			}
		})
	}
}

func TestEmbeddingGateSeparatesSwappedFaces(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	a, b := tracktest.RandomUnit(r, 128), tracktest.RandomUnit(r, 128)
	var frames []track.Frame
	var dets []track.Detection
	for i := range 20 {
		frames = append(frames, track.Frame{Index: int64(i), PTSms: int64(i * 200)})
		emb := a
		if i >= 10 { // same place, another person
			emb = b
		}
		dets = append(dets, track.Detection{DetID: int64(i + 1), FrameIndex: int64(i), PTSms: int64(i * 200),
			Box: [4]float32{100, 100, 180, 200}, Score: 0.9, Embedding: tracktest.Noisy(r, emb, 0.3)})
	}
	res, err := track.Build(context.Background(), frames, dets, nil, track.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tracks) != 2 || res.Tracks[0].Len() != 10 {
		t.Fatalf("got %d tracks, want 2 of 10", len(res.Tracks))
	}
	if res.Metrics.IDSwitchEstimate != 0 {
		t.Errorf("id switches %d with the gate on", res.Metrics.IDSwitchEstimate)
	}
	// With the gate off the swap hides inside one track: the estimate sees it.
	res, err = track.Build(context.Background(), frames, dets, nil, track.Config{MinCosine: -1, ReacquireCosine: -1, ChangeCosine: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tracks) != 1 || res.Metrics.IDSwitchEstimate != 1 {
		t.Fatalf("gate off: %d tracks, %d id switches; want 1 and 1", len(res.Tracks), res.Metrics.IDSwitchEstimate)
	}
	// Without embeddings the same boxes make one track.
	for i := range dets {
		dets[i].Embedding = nil
	}
	res, err = track.Build(context.Background(), frames, dets, nil, track.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tracks) != 1 || res.Tracks[0].Embedding != nil {
		t.Fatalf("without embeddings: %d tracks, want 1 with nil embedding", len(res.Tracks))
	}
}

func TestLowScoreDetectionsDoNotStartTracks(t *testing.T) {
	t.Parallel()
	dets := []track.Detection{
		{DetID: 1, FrameIndex: 0, Box: [4]float32{0, 0, 50, 50}, Score: 0.5},
		{DetID: 2, FrameIndex: 1, Box: [4]float32{0, 0, 50, 50}, Score: 0.1},
	}
	res, err := track.Build(context.Background(), nil, dets, nil, track.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tracks) != 0 || res.Metrics.Detections != 1 {
		t.Fatalf("tracks %d, detections %d", len(res.Tracks), res.Metrics.Detections)
	}
}

func TestEmptyAndCanceled(t *testing.T) {
	t.Parallel()
	res, err := track.Build(context.Background(), nil, nil, nil, track.Config{})
	if err != nil || len(res.Tracks) != 0 || res.Metrics.TracksPerMinute != 0 {
		t.Fatalf("empty: %+v, %v", res, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ep := tracktest.Generate(tracktest.Cast(1))
	if _, err := track.Build(ctx, ep.Frames, ep.Dets, nil, track.Config{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
}

func TestBadEmbeddingLength(t *testing.T) {
	t.Parallel()
	dets := []track.Detection{
		{DetID: 1, FrameIndex: 0, Score: 0.9, Embedding: make([]float32, 128)},
		{DetID: 2, FrameIndex: 0, Score: 0.9, Embedding: make([]float32, 64)},
	}
	if _, err := track.Build(context.Background(), nil, dets, nil, track.Config{}); err == nil {
		t.Fatal("want an error for mixed embedding lengths")
	}
}

func TestCutDetector(t *testing.T) {
	t.Parallel()
	red := []float32{10, 0, 0, 0}
	red2 := []float32{9, 1, 0, 0}
	blue := []float32{0, 0, 0, 10}
	tests := []struct {
		name  string
		hists [][]float32
		gap   int
		want  []int64
	}{
		{"no change", [][]float32{red, red2, red, red2}, 0, nil},
		{"one cut", [][]float32{red, red, blue, blue}, 0, []int64{2}},
		{"flash suppressed by MinGap", [][]float32{red, blue, red, red, blue}, 3, []int64{1, 4}},
		{"empty", nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idx := make([]int64, len(tc.hists))
			for i := range idx {
				idx[i] = int64(i)
			}
			got := track.CutDetector{MinGap: tc.gap}.Detect(idx, tc.hists)
			if len(got) != len(tc.want) {
				t.Fatalf("cuts %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("cuts %v, want %v", got, tc.want)
				}
			}
		})
	}
	if d := track.HistDistance(red, blue); d != 1 {
		t.Errorf("disjoint distance %v", d)
	}
	if d := track.HistDistance(red, red2); d < 0.09 || d > 0.11 {
		t.Errorf("near distance %v", d)
	}
}

func TestIoU(t *testing.T) {
	t.Parallel()
	a := [4]float32{0, 0, 10, 10}
	for _, tc := range []struct {
		b    [4]float32
		want float32
	}{
		{a, 1}, {[4]float32{5, 0, 15, 10}, 50.0 / 150}, {[4]float32{20, 20, 30, 30}, 0},
	} {
		if got := track.IoU(a, tc.b); got < tc.want-1e-6 || got > tc.want+1e-6 {
			t.Errorf("IoU(%v) = %v, want %v", tc.b, got, tc.want)
		}
	}
}

func TestCosine(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b []float32
		want float32
	}{
		{[]float32{1, 0}, []float32{1, 0}, 1},
		{[]float32{1, 0}, []float32{0, 2}, 0},
		{[]float32{1, 1}, []float32{-2, -2}, -1},
		{[]float32{3, 4}, []float32{4, 3}, 24.0 / 25},
		{[]float32{0, 0}, []float32{1, 2}, 0},
		{nil, nil, 0},
		// Unequal lengths are 0 either way round, not a panic.
		{[]float32{1}, []float32{1, 2}, 0},
		{[]float32{1, 2}, []float32{1}, 0},
	} {
		if got := track.Cosine(c.a, c.b); math.Abs(float64(got-c.want)) > 1e-6 {
			t.Errorf("Cosine(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// BenchmarkBuild tracks a 45-minute episode of 12 people sampled at 5 fps.
func BenchmarkBuild(b *testing.B) {
	ep := tracktest.Generate(tracktest.Random(1, 12, 2_700_000))
	b.ResetTimer()
	for b.Loop() {
		res, err := track.Build(context.Background(), ep.Frames, ep.Dets, ep.CutFrames, track.Config{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(ep.Dets)), "detections")
		b.ReportMetric(float64(len(res.Tracks)), "tracks")
	}
}
