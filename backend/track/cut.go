package track

import (
	"cmp"
	"math"
)

// Defaults of CutDetector.
const (
	DefaultCutThreshold = 0.5
	DefaultCutMinGap    = 2
)

// CutDetector finds shot changes from per-frame colour histograms: a cut
// is a frame whose normalised histogram differs from the previous frame's
// by more than Threshold in half-L1 distance (0 = same, 1 = disjoint). A
// zero CutDetector uses the defaults. It keeps state between Push calls.
type CutDetector struct {
	Threshold float64 // half-L1 distance above which a frame starts a new shot
	MinGap    int     // frames (samples) after a cut during which no other cut is reported

	prev     []float64
	sinceCut int
	havePrev bool
}

// Resolved is d's settings with the zero ones at their defaults (what
// Push and Detect use), for fingerprints.
func (d CutDetector) Resolved() CutDetector {
	return CutDetector{Threshold: cmp.Or(d.Threshold, DefaultCutThreshold), MinGap: cmp.Or(d.MinGap, DefaultCutMinGap)}
}

// Push feeds the next sampled frame's histogram (frames in order) and reports whether it
// starts a new shot. The first frame never does.
func (d *CutDetector) Push(hist []float32) bool {
	th := cmp.Or(d.Threshold, DefaultCutThreshold)
	gap := cmp.Or(d.MinGap, DefaultCutMinGap)
	cur := normHist(hist)
	defer func() { d.prev, d.havePrev = cur, true }()
	if !d.havePrev {
		d.sinceCut = gap
	}
	d.sinceCut++
	if !d.havePrev || len(cur) != len(d.prev) {
		return false
	}
	var dist float64
	for i := range cur {
		dist += math.Abs(cur[i] - d.prev[i])
	}
	dist /= 2
	if dist > th && d.sinceCut >= gap {
		d.sinceCut = 0
		return true
	}
	return false
}

// Detect returns the cut frame indices of a whole sequence of histograms;
// indices and hists run in parallel.
func (d CutDetector) Detect(indices []int64, hists [][]float32) []int64 {
	d.prev, d.havePrev, d.sinceCut = nil, false, 0
	var cuts []int64
	for i, h := range hists {
		if i < len(indices) && d.Push(h) {
			cuts = append(cuts, indices[i])
		}
	}
	return cuts
}

// HistDistance is the half-L1 distance of two histograms after
// normalising each to sum 1.
func HistDistance(a, b []float32) float64 {
	na, nb := normHist(a), normHist(b)
	if len(na) != len(nb) {
		return 1
	}
	var dist float64
	for i := range na {
		dist += math.Abs(na[i] - nb[i])
	}
	return dist / 2
}

func normHist(h []float32) []float64 {
	var s float64
	for _, v := range h {
		s += float64(v)
	}
	out := make([]float64, len(h))
	if s <= 0 {
		return out
	}
	for i, v := range h {
		out[i] = float64(v) / s
	}
	return out
}
