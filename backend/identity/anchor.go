package identity

import (
	"slices"

	"castscope/backend/track"
)

// Anchoring curation to faces, not track numbers.
//
// An operation names tracks by id, and a new track run (other detections,
// a new model, another tracker setting) may number the same faces
// differently. So an operation made with the episode's tracks at hand
// (Log.Tracks) also records, for each track it names, a few of the
// track's detections: Sample, its time and box. Before replay Rebind maps
// each named id to the current tracks those samples find:
//
//   - A sample finds a current track when the track has a detection within
//     the time tolerance of the sample's time (SampleTolMs, or half the
//     track's own median sampling interval when that is longer: another
//     sampling rate puts detections at other times) and that detection's
//     box overlaps the sample's with IoU ≥ SampleMinIoU.
//   - The id keeps its number when the current track with that id finds
//     every sample (the common case: nothing was run again; checked first
//     and cheap). Otherwise the id maps to every current track that found
//     a sample, provided together they found a majority of the samples (a
//     track split in two maps to both parts); else the reference is
//     dropped (the face is no longer a track).
//   - Ids without samples (an operation stored before anchors existed, or
//     made without the tracks at hand) stay as they are.
const (
	AnchorSamples = 5     // samples recorded per track: evenly spaced, first and last included
	SampleTolMs   = 60    // ms: the least time tolerance of a sample
	SampleMinIoU  = 0.5   // box overlap for a sample to find a detection
	anchorMaxTol  = 1_000 // ms: the most time tolerance, whatever a track's sampling
)

// Sample is one detection of a track: when (pts, ms) and where (box
// x1, y1, x2, y2 in pixels). Stored in operations as {"t":…, "b":[…]}.
type Sample struct {
	PTSms int64      `json:"t"`
	Box   [4]float32 `json:"b"`
}

// AnchorOf returns up to AnchorSamples evenly spaced detections of t
// (first and last included); nil when t has no boxes.
func AnchorOf(t track.Track) []Sample {
	n := len(t.PTSms)
	if n == 0 || len(t.Boxes) != n {
		return nil
	}
	k := min(n, AnchorSamples)
	out := make([]Sample, 0, k)
	for i := range k {
		j := 0
		if k > 1 {
			j = (i*(n-1) + (k-1)/2) / (k - 1)
		}
		out = append(out, Sample{PTSms: t.PTSms[j], Box: t.Boxes[j]})
	}
	return out
}

// anchor records the samples of every track op names that tracks hold.
func anchor(op Op, byID map[int64]*track.Track) Op {
	if len(byID) == 0 {
		return op
	}
	add := func(ids []int64) {
		for _, id := range ids {
			if _, ok := op.Anchors[id]; ok {
				continue
			}
			t := byID[id]
			if t == nil {
				continue
			}
			if s := AnchorOf(*t); s != nil {
				if op.Anchors == nil {
					op.Anchors = map[int64][]Sample{}
				}
				op.Anchors[id] = s
			}
		}
	}
	add(op.Target.Tracks)
	if op.Other != nil {
		add(op.Other.Tracks)
	}
	add(op.Tracks)
	return op
}

// Rebind maps the track ids the operations name to the current tracks
// their anchors find (see the rule above). It returns new operations (ops
// is not changed) whose anchors are keyed by the current ids, so a second
// Rebind with the same tracks changes nothing.
func Rebind(ops []Op, tracks []track.Track) []Op {
	var idx *trackTimes
	out := make([]Op, len(ops))
	for i, op := range ops {
		if len(op.Anchors) == 0 {
			out[i] = op
			continue
		}
		if idx == nil {
			idx = indexTracks(tracks)
		}
		out[i] = idx.rebind(op)
	}
	return out
}

func (x *trackTimes) rebind(op Op) Op {
	anchors := map[int64][]Sample{}
	memo := map[int64][]int64{}
	mapIDs := func(ids []int64) []int64 {
		if ids == nil {
			return nil
		}
		out := []int64{}
		for _, id := range ids {
			s, ok := op.Anchors[id]
			if !ok || len(s) == 0 { // no anchor (an older log): the id as it was
				out = append(out, id)
				continue
			}
			to, seen := memo[id]
			if !seen {
				to = x.find(id, s)
				memo[id] = to
			}
			for _, n := range to {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
				if !slices.Contains(anchors[n], s[0]) {
					anchors[n] = append(anchors[n], s...)
				}
			}
		}
		return out
	}
	op.Target.Tracks = mapIDs(op.Target.Tracks)
	if op.Other != nil {
		o := *op.Other
		o.Tracks = mapIDs(o.Tracks)
		op.Other = &o
	}
	op.Tracks = mapIDs(op.Tracks)
	if len(anchors) == 0 {
		anchors = nil
	}
	op.Anchors = anchors
	return op
}

// trackTimes indexes tracks by id and by the seconds they span.
type trackTimes struct {
	byID   map[int64]*track.Track
	tol    map[*track.Track]int64
	second map[int64][]*track.Track // second of the video → tracks spanning it (tolerance included)
}

func indexTracks(tracks []track.Track) *trackTimes {
	x := &trackTimes{byID: map[int64]*track.Track{}, tol: map[*track.Track]int64{}, second: map[int64][]*track.Track{}}
	for i := range tracks {
		t := &tracks[i]
		if len(t.PTSms) == 0 || len(t.Boxes) != len(t.PTSms) {
			continue
		}
		x.byID[t.ID] = t
		tol := tolOf(t)
		x.tol[t] = tol
		for s := floorDiv(t.PTSms[0]-tol, 1000); s <= floorDiv(t.PTSms[len(t.PTSms)-1]+tol, 1000); s++ {
			x.second[s] = append(x.second[s], t)
		}
	}
	return x
}

// tolOf is a track's time tolerance: SampleTolMs, or half its median
// interval between detections when that is longer.
func tolOf(t *track.Track) int64 {
	if len(t.PTSms) < 2 {
		return SampleTolMs
	}
	gaps := make([]int64, len(t.PTSms)-1)
	for i := range gaps {
		gaps[i] = t.PTSms[i+1] - t.PTSms[i]
	}
	slices.Sort(gaps)
	return min(anchorMaxTol, max(SampleTolMs, gaps[len(gaps)/2]/2))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// finds reports whether t has a detection that matches s.
func (x *trackTimes) finds(t *track.Track, s Sample) bool {
	tol := x.tol[t]
	i, _ := slices.BinarySearch(t.PTSms, s.PTSms-tol)
	for ; i < len(t.PTSms) && t.PTSms[i] <= s.PTSms+tol; i++ {
		if iou(t.Boxes[i], s.Box) >= SampleMinIoU {
			return true
		}
	}
	return false
}

// find returns the current tracks the anchor samples of old track id find.
func (x *trackTimes) find(id int64, samples []Sample) []int64 {
	if t := x.byID[id]; t != nil && !slices.ContainsFunc(samples, func(s Sample) bool { return !x.finds(t, s) }) {
		return []int64{id}
	}
	found := 0
	var out []int64
	for _, s := range samples {
		hit := false
		for _, t := range x.second[floorDiv(s.PTSms, 1000)] {
			if x.finds(t, s) {
				hit = true
				if !slices.Contains(out, t.ID) {
					out = append(out, t.ID)
				}
			}
		}
		if hit {
			found++
		}
	}
	if 2*found <= len(samples) {
		return nil
	}
	slices.Sort(out)
	return out
}

func iou(a, b [4]float32) float64 {
	ix := min(a[2], b[2]) - max(a[0], b[0])
	iy := min(a[3], b[3]) - max(a[1], b[1])
	if ix <= 0 || iy <= 0 {
		return 0
	}
	in := float64(ix) * float64(iy)
	ua := float64(a[2]-a[0]) * float64(a[3]-a[1])
	ub := float64(b[2]-b[0]) * float64(b[3]-b[1])
	return in / (ua + ub - in)
}
