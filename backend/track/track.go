// Package track links face detections of consecutive sampled frames into
// face tracks.
//
// Decisions:
//   - ByteTrack-style two passes per frame: detections scoring at least
//     HighScore are matched first to every live track; the remaining tracks
//     then get a second chance against detections between LowScore and
//     HighScore (with a stricter IoU, since a low score alone is weak
//     evidence). Only a high-score detection (≥ NewTrackScore) starts a track.
//   - Matching is greedy on a cost that mixes 1−IoU with 1−cosine of the
//     ArcFace embeddings; faces rarely overlap, so greedy equals Hungarian in
//     practice and stays O(tracks·dets) with no dependency. The box of a
//     track is predicted with a damped constant velocity over missing frames.
//   - Embedding gate: a pair whose cosine (detection vs. the track's running
//     mean) is below MinCosine never matches, whatever the IoU (half of it
//     while the track holds fewer than three embeddings). A track
//     missing for some frames may re-acquire a face by embedding alone
//     (cosine ≥ ReacquireCosine) when the face is near the predicted box,
//     and a face that moved faster than predicted (no IoU, within 1.5 face
//     heights) still matches when its cosine is twice the gate.
//   - Change gate: once a track holds three embeddings, a face unlike
//     its last face (cosine < ChangeCosine) and unlike its last three is
//     another person in the same place, not this track: one shot after
//     another from one camera (a webcam, a studio) can pass the cut
//     detector. On the real set one face to the next scored 0.58 or more
//     within a person, turning to profile included, and 0.31–0.39 where
//     the person changed. A track whose faces agree less (soft, small)
//     gets a lower gate: 0.3 under their mean agreement.
//   - Gap bridging counts sampled frames of the frame list (not frame
//     indices), so a gap is a real gap: a track survives MaxGap missing
//     samples and then ends.
//   - Boxes straddling two faces or inside a larger face's box are dropped
//     before matching (see suppress): they never start or extend a track.
//   - Shot cuts end every live track; CutDetector finds cuts from frame
//     histograms (half L1 distance between normalised histograms).
//
// The package is pure Go: it imports no vision runtime, database or file
// format. The pipeline converts Parquet rows into Detection values.
package track

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
)

// Detection is one detected face on one sampled frame.
type Detection struct {
	DetID      int64
	FrameIndex int64
	PTSms      int64
	Box        [4]float32 // x1, y1, x2, y2 in pixels
	Score      float32
	Embedding  []float32 // L2-normalised ArcFace embedding; may be nil
	FaceH      float32   // face height in pixels (0: taken from Box)
	Landmarks  []float32 // five points x0,y0,…,x4,y4; nil if unknown
	Blur       float32   // Laplacian variance of the aligned crop; 0 if unknown
}

// Frame is one sampled frame of the episode.
type Frame struct {
	Index int64
	PTSms int64
}

// Defaults of Config; a zero Config uses them all.
const (
	DefaultHighScore       = 0.6
	DefaultLowScore        = 0.3
	DefaultNewTrackScore   = 0.7
	DefaultMinIoU          = 0.2
	DefaultLowMinIoU       = 0.4
	DefaultMinCosine       = 0.3
	DefaultReacquireCosine = 0.55
	DefaultMaxGap          = 5
	DefaultShortTrack      = 3
	DefaultEmbeddingWeight = 0.5
	DefaultSwitchCosine    = 0.4
	DefaultGoodFaceH       = 64
	DefaultChangeCosine    = 0.45
)

// Config tunes Build. Every zero field takes its Default.
type Config struct {
	HighScore       float32 // first-pass detections score at least this
	LowScore        float32 // detections below this are ignored
	NewTrackScore   float32 // an unmatched detection starts a track only from this score
	MinIoU          float32 // first pass: least IoU with the predicted box
	LowMinIoU       float32 // second pass (low-score detections): least IoU
	MinCosine       float32 // embedding gate: never match below this cosine
	ReacquireCosine float32 // a lost track re-acquires by embedding from this cosine
	MaxGap          int     // sampled frames a track may miss and still continue
	ShortTrack      int     // tracks with fewer detections are "short" in Metrics
	EmbeddingWeight float32 // weight of 1−cosine in the cost (the rest is 1−IoU)
	SwitchCosine    float32 // head vs. tail embedding cosine below this counts an id switch
	GoodFaceH       float32 // face height (px) from which quality is not reduced
	// ChangeCosine: a face this unlike the track's last face, and less
	// than 0.05 more like its last three, is another face (see Build).
	ChangeCosine float32
}

// Resolved is c with every zero field at its default: what Build runs
// with, and what a fingerprint of the configuration must hash (a changed
// default then re-runs tracking).
func (c Config) Resolved() Config { return c.withDefaults() }

func (c Config) withDefaults() Config {
	c.HighScore = cmp.Or(c.HighScore, DefaultHighScore)
	c.LowScore = cmp.Or(c.LowScore, DefaultLowScore)
	c.NewTrackScore = cmp.Or(c.NewTrackScore, DefaultNewTrackScore)
	c.MinIoU = cmp.Or(c.MinIoU, DefaultMinIoU)
	c.LowMinIoU = cmp.Or(c.LowMinIoU, DefaultLowMinIoU)
	c.MinCosine = cmp.Or(c.MinCosine, DefaultMinCosine)
	c.ReacquireCosine = cmp.Or(c.ReacquireCosine, DefaultReacquireCosine)
	c.MaxGap = cmp.Or(c.MaxGap, DefaultMaxGap)
	c.ShortTrack = cmp.Or(c.ShortTrack, DefaultShortTrack)
	c.EmbeddingWeight = cmp.Or(c.EmbeddingWeight, DefaultEmbeddingWeight)
	c.SwitchCosine = cmp.Or(c.SwitchCosine, DefaultSwitchCosine)
	c.GoodFaceH = cmp.Or(c.GoodFaceH, DefaultGoodFaceH)
	c.ChangeCosine = cmp.Or(c.ChangeCosine, DefaultChangeCosine)
	return c
}

// Track is a face followed through consecutive sampled frames of one shot.
// The per-frame slices (Frames, PTSms, DetIDs, Boxes, Scores) run in
// parallel, one entry per detection, in frame order.
type Track struct {
	ID          int64
	StartFrame  int64
	EndFrame    int64
	StartPTSms  int64
	EndPTSms    int64
	Frames      []int64
	PTSms       []int64
	DetIDs      []int64
	Boxes       [][4]float32
	Scores      []float32
	Yaws        []float32 // per detection: 0 frontal … 1 profile (PoseOf); −1 unknown
	Embedding   []float32 // the detections' embeddings weighted by FaceQuality, L2-normalised; nil if none had one
	MedianFaceH float32
	MeanScore   float32
	Quality     float32 // MeanScore × min(1, MedianFaceH/GoodFaceH), in [0, 1]
	NonFace     float32 // share of the detections whose landmarks do not look like a face (PoseOf)
	Shot        int     // 1-based index of the shot (cuts given to Build); 0 unknown
	// Changed: the track ended because another face took its place (the
	// change gate), so the next face there is someone else.
	Changed bool
}

// Len is the number of detections in the track.
func (t Track) Len() int { return len(t.DetIDs) }

// Metrics describe a tracking run (the track stage writes them to
// tracks_metrics.json and into its result).
type Metrics struct {
	Tracks             int     `json:"tracks"`
	Detections         int     `json:"detections"`          // detections considered (≥ LowScore)
	AssignedDetections int     `json:"assigned_detections"` // detections that ended in a track
	Cuts               int     `json:"cuts"`
	DurationS          float64 `json:"duration_s"` // frame list span plus one sample
	TracksPerMinute    float64 `json:"tracks_per_minute"`
	ShortTrackFraction float64 `json:"short_track_fraction"`
	MeanTrackLen       float64 `json:"mean_track_len"`
	IDSwitchEstimate   int     `json:"id_switch_estimate"` // tracks whose head and tail look like two people
	FragmentEstimate   int     `json:"fragment_estimate"`  // tracks that look like the continuation of one ended shortly before in the same shot
	BridgedGaps        int     `json:"bridged_gaps"`
	Suppressed         int     `json:"suppressed"` // boxes straddling two faces or inside another's box, dropped
}

// Result is the output of Build.
type Result struct {
	Tracks  []Track
	Cuts    []int64 // the cut frame indices given, sorted
	Metrics Metrics
}

// live is a track being built.
type live struct {
	t       *Track
	lastPos int // position in the frame list of the last detection
	vel     [4]float32
	sum     []float32 // running embedding sum
	nEmb    int
	faceH   []float32
	embs    [][]float32
	quals   []float32 // FaceQuality of each embedding in embs
	odd     int       // detections whose landmarks do not look like a face
	// goodFaceH is Config.GoodFaceH, for FaceQuality.
	goodFaceH float32
	shot      int
	changed   bool // the last detection near it was another face (change gate)
	// sumCons and nCons: cosines of consecutive embeddings, for changeGate.
	sumCons float32
	nCons   int
}

func (l *live) mean() []float32 {
	if l.nEmb == 0 {
		return nil
	}
	return normalized(l.sum)
}

// weightedMean is the track's embedding: each face weighted by its
// FaceQuality, so a sharp frontal face counts more than a blurred profile;
// the plain mean when every weight is 0.
func (l *live) weightedMean() []float32 {
	if l.nEmb == 0 {
		return nil
	}
	var total float32
	sum := make([]float32, len(l.sum))
	for k, e := range l.embs {
		w := l.quals[k]
		total += w
		for i, v := range e {
			sum[i] += w * v
		}
	}
	if total <= 0 {
		return normalized(l.sum)
	}
	return normalized(sum)
}

// changeGate is the cosine to the last face under which a face is another
// person's: ChangeCosine, or lower for a track whose faces agree less from
// one to the next (soft or small faces): 0.3 under their mean agreement.
func (l *live) changeGate(cfg Config) float32 {
	if l.nCons < 2 {
		return cfg.ChangeCosine
	}
	return min(cfg.ChangeCosine, l.sumCons/float32(l.nCons)-0.3)
}

// recent returns the track's last embedding and the mean of its last
// three; nil while it holds fewer than three.
func (l *live) recent() (last, mean []float32) {
	n := len(l.embs)
	if n < 3 {
		return nil, nil
	}
	return l.embs[n-1], meanOf(l.embs[n-3:])
}

func (l *live) predict(pos int) [4]float32 {
	b := l.t.Boxes[len(l.t.Boxes)-1]
	k := float32(pos - l.lastPos)
	// Damp the velocity over long gaps: faces rarely keep moving straight.
	k = min(k, 2)
	for i := range b {
		b[i] += l.vel[i] * k
	}
	return b
}

// Build links detections into tracks. frames is the sampled frame list (in
// any order); when empty, the distinct frames of dets are used, so missing
// frames cannot be told apart from frames without faces. cuts are frame
// indices where a new shot starts (see CutDetector). Detections on frames
// outside the list are ignored. A cut between two sampled frames applies
// to the later one. Track IDs are 1-based, in order of start.
func Build(ctx context.Context, frames []Frame, dets []Detection, cuts []int64, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if len(frames) == 0 {
		seen := map[int64]bool{}
		for _, d := range dets {
			if !seen[d.FrameIndex] {
				seen[d.FrameIndex] = true
				frames = append(frames, Frame{Index: d.FrameIndex, PTSms: d.PTSms})
			}
		}
	}
	frames = slices.Clone(frames)
	slices.SortFunc(frames, func(a, b Frame) int { return cmp.Compare(a.Index, b.Index) })
	frames = slices.CompactFunc(frames, func(a, b Frame) bool { return a.Index == b.Index })
	pos := make(map[int64]int, len(frames))
	for i, f := range frames {
		pos[f.Index] = i
	}
	byPos := make([][]Detection, len(frames))
	var considered int
	dim := embDim(dets)
	for _, d := range dets {
		p, ok := pos[d.FrameIndex]
		if !ok || d.Score < cfg.LowScore {
			continue
		}
		if len(d.Embedding) > 0 && len(d.Embedding) != dim {
			return Result{}, fmt.Errorf("track: detection %d: embedding has %d values, others %d", d.DetID, len(d.Embedding), dim)
		}
		byPos[p] = append(byPos[p], d)
		considered++
	}
	cuts = slices.Clone(cuts)
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	nextCut := 0
	shot := 1

	var (
		active   []*live
		finished []*live
		bridged  int
		// suppressed counts boxes dropped as part of other faces (suppress)
		suppressed int
	)
	for p, f := range frames {
		if p%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, fmt.Errorf("track: build: %w", err)
			}
		}
		// A cut at or before this frame (and after the previous one)
		// starts a new shot here, whether or not it was sampled.
		cut := false
		for nextCut < len(cuts) && cuts[nextCut] <= f.Index {
			cut = cut || p > 0
			nextCut++
		}
		if cut {
			shot++
		}
		// End tracks at a shot cut and after too long a gap.
		keep := active[:0]
		for _, l := range active {
			if cut || p-l.lastPos-1 > cfg.MaxGap {
				finished = append(finished, l)
				continue
			}
			keep = append(keep, l)
		}
		active = keep

		ds, dropped := suppress(byPos[p])
		suppressed += dropped
		slices.SortFunc(ds, func(a, b Detection) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.DetID, b.DetID))
		})
		var high, low []Detection
		for _, d := range ds {
			if d.Score >= cfg.HighScore {
				high = append(high, d)
			} else {
				low = append(low, d)
			}
		}
		usedT := make([]bool, len(active))
		restHigh := associate(active, usedT, high, p, cfg, cfg.MinIoU, true)
		_ = associate(active, usedT, low, p, cfg, cfg.LowMinIoU, false)
		for i, l := range active {
			if usedT[i] && p-l.lastPos > 1 {
				bridged++
			}
		}
		for i, l := range active {
			if usedT[i] {
				l.lastPos = p
			}
		}
		for _, d := range restHigh {
			if d.Score < cfg.NewTrackScore {
				continue
			}
			l := &live{t: &Track{}, lastPos: p, goodFaceH: cfg.GoodFaceH, shot: shot}
			l.add(d, p, p)
			active = append(active, l)
		}
	}
	finished = append(finished, active...)

	res := Result{Cuts: cuts}
	switches := 0
	for _, l := range finished {
		res.Tracks = append(res.Tracks, l.finish(cfg))
		if l.switched(cfg) {
			switches++
		}
	}
	slices.SortFunc(res.Tracks, func(a, b Track) int {
		return cmp.Or(cmp.Compare(a.StartFrame, b.StartFrame), cmp.Compare(a.DetIDs[0], b.DetIDs[0]))
	})
	for i := range res.Tracks {
		res.Tracks[i].ID = int64(i + 1)
	}
	res.Metrics = computeMetrics(res.Tracks, frames, considered, res.Cuts, bridged, cfg)
	res.Metrics.IDSwitchEstimate = switches
	res.Metrics.Suppressed = suppressed
	return res, nil
}

func embDim(dets []Detection) int {
	for _, d := range dets {
		if len(d.Embedding) > 0 {
			return len(d.Embedding)
		}
	}
	return 0
}

type pair struct {
	ti, di int
	cost   float32
}

// associate greedily matches dets to unused tracks and returns the
// detections left over.
func associate(active []*live, usedT []bool, dets []Detection, p int, cfg Config, minIoU float32, allowReacquire bool) []Detection {
	if len(dets) == 0 {
		return nil
	}
	var pairs []pair
	for ti, l := range active {
		if usedT[ti] {
			continue
		}
		pred := l.predict(p)
		m := l.mean()
		gap := p - l.lastPos - 1
		// A young track's mean is one or two noisy embeddings, and two
		// noisy embeddings of one face agree less than one does with a
		// mean: halve the gate until the mean settles.
		gate := cfg.MinCosine
		if l.nEmb < 3 {
			gate /= 2
		}
		last, recent := l.recent()
		for di, d := range dets {
			iou := IoU(pred, d.Box)
			cos := float32(-2) // unknown
			if m != nil && len(d.Embedding) > 0 {
				cos = Cosine(m, d.Embedding)
				if cos < gate {
					continue
				}
				// Another face where this one was: unlike the last face
				// and the last few together (a cut the histograms missed).
				if change := l.changeGate(cfg); recent != nil && Cosine(last, d.Embedding) < change && Cosine(recent, d.Embedding) < change+0.05 {
					if iou >= minIoU {
						l.changed = true
					}
					continue
				}
			}
			ok := iou >= minIoU
			switch {
			case ok:
			case !allowReacquire || cos == -2:
			case gap > 0 && cos >= cfg.ReacquireCosine && near(pred, d.Box, 2):
				ok = true // re-acquired after a gap
			case cos >= 2*gate && near(pred, d.Box, 1.5):
				ok = true // moved faster than the prediction
			}
			if !ok {
				continue
			}
			c := 1 - iou
			if cos > -2 {
				w := cfg.EmbeddingWeight
				c = (1-w)*(1-iou) + w*(1-cos)
			}
			pairs = append(pairs, pair{ti, di, c})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(cmp.Compare(a.cost, b.cost), cmp.Compare(a.ti, b.ti), cmp.Compare(a.di, b.di))
	})
	usedD := make([]bool, len(dets))
	for _, pr := range pairs {
		if usedT[pr.ti] || usedD[pr.di] {
			continue
		}
		usedT[pr.ti], usedD[pr.di] = true, true
		l := active[pr.ti]
		l.add(dets[pr.di], p, l.lastPos)
	}
	var rest []Detection
	for di, d := range dets {
		if !usedD[di] {
			rest = append(rest, d)
		}
	}
	return rest
}

// near reports whether b's centre lies within k face heights of a's.
func near(a, b [4]float32, k float32) bool {
	ax, ay := (a[0]+a[2])/2, (a[1]+a[3])/2
	bx, by := (b[0]+b[2])/2, (b[1]+b[3])/2
	h := max(a[3]-a[1], b[3]-b[1], 1)
	dx, dy := ax-bx, ay-by
	return dx*dx+dy*dy <= k*k*h*h
}

func (l *live) add(d Detection, p, prevPos int) {
	t := l.t
	if n := len(t.Boxes); n > 0 {
		last := t.Boxes[n-1]
		k := float32(max(p-prevPos, 1))
		for i := range l.vel {
			v := (d.Box[i] - last[i]) / k
			l.vel[i] = 0.5*l.vel[i] + 0.5*v
		}
	}
	t.Frames = append(t.Frames, d.FrameIndex)
	t.PTSms = append(t.PTSms, d.PTSms)
	t.DetIDs = append(t.DetIDs, d.DetID)
	t.Boxes = append(t.Boxes, d.Box)
	t.Scores = append(t.Scores, d.Score)
	l.faceH = append(l.faceH, d.height())
	yaw, ok := PoseOf(d.Box, d.Landmarks)
	t.Yaws = append(t.Yaws, yaw)
	l.changed = false
	if !ok {
		l.odd++
	}
	if len(d.Embedding) > 0 {
		l.quals = append(l.quals, faceQuality(d, yaw, ok, l.goodFaceH))
		if l.sum == nil {
			l.sum = make([]float32, len(d.Embedding))
		}
		for i, v := range d.Embedding {
			l.sum[i] += v
		}
		l.nEmb++
		if n := len(l.embs); n > 0 {
			l.sumCons += Cosine(l.embs[n-1], d.Embedding)
			l.nCons++
		}
		l.embs = append(l.embs, d.Embedding)
	}
}

// switched compares the mean embedding of the first and last third of the
// track: two people in one track (an id switch) look unlike each other.
func (l *live) switched(cfg Config) bool {
	n := len(l.embs)
	if n < 6 {
		return false
	}
	k := n / 3
	return Cosine(meanOf(l.embs[:k]), meanOf(l.embs[n-k:])) < cfg.SwitchCosine
}

func meanOf(vs [][]float32) []float32 {
	s := make([]float32, len(vs[0]))
	for _, v := range vs {
		for i, x := range v {
			s[i] += x
		}
	}
	return s
}

func (l *live) finish(cfg Config) Track {
	t := *l.t
	n := len(t.Frames)
	t.StartFrame, t.EndFrame = t.Frames[0], t.Frames[n-1]
	t.StartPTSms, t.EndPTSms = t.PTSms[0], t.PTSms[n-1]
	t.Embedding = l.weightedMean()
	t.NonFace = float32(l.odd) / float32(n)
	t.Shot, t.Changed = l.shot, l.changed
	var s float32
	for _, v := range t.Scores {
		s += v
	}
	t.MeanScore = s / float32(n)
	hs := slices.Clone(l.faceH)
	slices.Sort(hs)
	t.MedianFaceH = hs[len(hs)/2]
	t.Quality = t.MeanScore * min(1, t.MedianFaceH/cfg.GoodFaceH)
	return t
}

func computeMetrics(tracks []Track, frames []Frame, considered int, cuts []int64, bridged int, cfg Config) Metrics {
	m := Metrics{Tracks: len(tracks), Detections: considered, Cuts: len(cuts), BridgedGaps: bridged}
	if len(frames) > 0 {
		span := frames[len(frames)-1].PTSms - frames[0].PTSms
		if len(frames) > 1 {
			span += span / int64(len(frames)-1) // one more sample interval
		}
		m.DurationS = float64(span) / 1000
	}
	if m.Tracks == 0 {
		return m
	}
	short := 0
	for _, t := range tracks {
		m.AssignedDetections += t.Len()
		if t.Len() < cfg.ShortTrack {
			short++
		}
	}
	m.ShortTrackFraction = float64(short) / float64(m.Tracks)
	m.MeanTrackLen = float64(m.AssignedDetections) / float64(m.Tracks)
	if m.DurationS > 0 {
		m.TracksPerMinute = float64(m.Tracks) / (m.DurationS / 60)
	}
	m.FragmentEstimate = fragments(tracks, frames, cuts, cfg)
	return m
}

// fragments counts tracks that start within twice the bridging window
// after another ended, in the same shot, near its last box, with a similar
// embedding: one face cut in two (a gap just too long to bridge, or a
// match the tracker missed).
func fragments(tracks []Track, frames []Frame, cuts []int64, cfg Config) int {
	pos := make(map[int64]int, len(frames))
	for i, f := range frames {
		pos[f.Index] = i
	}
	n := 0
	for i := range tracks {
		b := &tracks[i]
		for j := range tracks {
			a := &tracks[j]
			if i == j || a.Embedding == nil || b.Embedding == nil {
				continue
			}
			gap := pos[b.StartFrame] - pos[a.EndFrame]
			if gap <= 0 || gap > 2*(cfg.MaxGap+1) {
				continue
			}
			if i, _ := slices.BinarySearch(cuts, a.EndFrame+1); i < len(cuts) && cuts[i] <= b.StartFrame {
				continue // a shot change lies between them
			}
			if near(a.Boxes[len(a.Boxes)-1], b.Boxes[0], 2) && Cosine(a.Embedding, b.Embedding) >= cfg.ReacquireCosine {
				n++
				break
			}
		}
	}
	return n
}

// IoU is the intersection over union of two x1,y1,x2,y2 boxes.
func IoU(a, b [4]float32) float32 {
	ix := min(a[2], b[2]) - max(a[0], b[0])
	iy := min(a[3], b[3]) - max(a[1], b[1])
	if ix <= 0 || iy <= 0 {
		return 0
	}
	inter := ix * iy
	u := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
	if u <= 0 {
		return 0
	}
	return inter / u
}

// Cosine is the cosine similarity of two vectors: their dot product when
// both are L2-normalised, as ArcFace embeddings are. It is 0 when either
// vector is zero or empty, or when the lengths differ (never a panic). This
// is the one cosine of the module: track, identity and the tests of face and
// pipeline all use it; track is its home because it is the lowest package
// that holds embeddings and imports no vision runtime.
func Cosine(a, b []float32) float32 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return float32(d / math.Sqrt(na*nb))
}

func normalized(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	if s == 0 {
		return out
	}
	inv := 1 / math.Sqrt(s)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// BestDetection is the index of the detection that shows the track's face
// best: the highest score among the detections at least as tall as 90 % of
// the track's median face (0 when there is none).
func (t Track) BestDetection() int {
	best, bs := 0, float32(-1)
	for i, bx := range t.Boxes {
		if bx[3]-bx[1] < t.MedianFaceH*0.9 {
			continue
		}
		s := float32(0)
		if i < len(t.Scores) {
			s = t.Scores[i]
		}
		if s > bs {
			best, bs = i, s
		}
	}
	return best
}
