// Package identity groups face tracks into identities (cast members) and
// keeps the user's curation across re-runs.
//
// Decisions:
//   - Tracks, not single faces, are clustered: agglomerative, average
//     linkage, cosine distance on the tracks' mean embeddings, merging
//     while the closest clusters are within Threshold; no fixed number of
//     clusters. See Agglomerate for how 10 000 tracks fit in memory and in
//     seconds (cluster sums instead of a distance matrix, a sparse graph of
//     the pairs within threshold, a heap over it).
//   - Two tracks that overlap in time are two people: a cannot-link
//     constraint, unless Config.AllowOverlap. A user's merge overrides it.
//   - Background faces (a median face smaller than MinFaceH, or no
//     embedding) are not clustered; they are "unidentified". So are tracks
//     whose landmarks mostly do not look like a face (track.PoseOf: a
//     robot's mask, a microphone, an animal), and tracks the detector was
//     on average unsure of (MinMeanScore: a cat's face scored 0.51, true
//     faces of the real set 0.7 and more): the detector's low-score finds
//     may extend a track but never found a person. Short tracks
//     (fewer than MinTrackLen detections) do not take part in clustering
//     either; afterwards each joins the identity it clearly matches (see
//     Config.KeepShortApart) or stays unidentified.
//   - Curation is an append-only log of operations (rename, merge, move,
//     not-this-person, lock) replayed on a fresh clustering by Apply. An
//     operation names a stable person key and carries the identity's tracks
//     when it was made; on replay the key binds to the new cluster that
//     shares most of those tracks, so names, merges, splits and locks
//     survive a new threshold or model. A lock pins the exact track set.
//     Undo drops the last operation.
//   - Track ids do not survive a new track run (other detections, a new
//     model or tracker setting renumber the faces), so an operation also
//     records a few detections (time and box) of each track it names, and
//     before replay Rebind maps each id to the current tracks whose
//     detections match them: same time (within 60 ms, or half the track's
//     sampling interval), box IoU ≥ 0.5, a majority of the samples. An id
//     whose track still matches keeps its number; a track split in two
//     maps to both parts; a face no longer tracked is dropped from the
//     operation; operations stored without anchors replay by id as
//     before. See anchor.go.
//   - A facebank (named reference embeddings from headshots) names
//     identities as an open-set assignment (see Name); a user's name wins.
//
// The package is pure Go and imports no vision runtime or database.
package identity

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"castscope/backend/errs"
	"castscope/backend/track"
)

// Defaults of Config; a zero Config uses them all.
const (
	DefaultThreshold    = 0.5 // cosine distance, average linkage
	DefaultMinTrackLen  = 3   // detections
	DefaultMinFaceH     = 32  // pixels, median face height of the track
	DefaultAttachMargin = 0.15
	DefaultMaxNonFace   = 0.5 // share of a track's detections whose landmarks do not look like a face
	DefaultMinMeanScore = 0.6 // a track's mean detector score
)

// Config tunes Cluster. Every zero field takes its Default.
type Config struct {
	Threshold    float64 // merge while average cosine distance ≤ Threshold
	MinTrackLen  int     // shorter tracks are unidentified
	MinFaceH     float32 // tracks with a smaller median face are unidentified
	MaxNonFace   float32 // tracks with more detections unlike a face (track.Track.NonFace) are unidentified
	MinMeanScore float32 // tracks the detector was less sure of on average are unidentified
	AllowOverlap bool    // drop the cannot-link between tracks overlapping in time
	// KeepShortApart leaves short tracks unidentified. By default a short
	// track (not a small face) joins the identity whose centroid is within
	// Threshold and clearly nearer than any other (AttachMargin), if no
	// track of that identity overlaps it in time.
	KeepShortApart bool
	AttachMargin   float64 // cosine margin over the second-best identity; default DefaultAttachMargin
	Workers        int     // goroutines for the all-pairs pass (default GOMAXPROCS)
	// KeepShotsApart turns off the chaining of one shot's tracks (see
	// chain.go); ChainMinCos, ChainGapMs and ChainMargin tune it.
	KeepShotsApart bool
	ChainMinCos    float64
	ChainGapMs     int64
	ChainMargin    float64
}

// Resolved is c with every zero field at its default: what clustering
// runs with, and what a fingerprint of the configuration must hash.
func (c Config) Resolved() Config { return c.withDefaults() }

func (c Config) withDefaults() Config {
	c.Threshold = cmp.Or(c.Threshold, DefaultThreshold)
	c.MinTrackLen = cmp.Or(c.MinTrackLen, DefaultMinTrackLen)
	c.MinFaceH = cmp.Or(c.MinFaceH, DefaultMinFaceH)
	c.MaxNonFace = cmp.Or(c.MaxNonFace, DefaultMaxNonFace)
	c.MinMeanScore = cmp.Or(c.MinMeanScore, DefaultMinMeanScore)
	c.ChainMinCos = cmp.Or(c.ChainMinCos, DefaultChainMinCos)
	c.ChainGapMs = cmp.Or(c.ChainGapMs, DefaultChainGapMs)
	c.ChainMargin = cmp.Or(c.ChainMargin, DefaultChainMargin)
	c.AttachMargin = cmp.Or(c.AttachMargin, DefaultAttachMargin)
	return c
}

// Identity is one person: a group of tracks.
type Identity struct {
	ID         int64     `json:"identity_id"`      // 1-based, by size (detections) then first track; not stable across runs
	Person     string    `json:"person,omitempty"` // stable key from the curation log; "" if never curated
	Name       string    `json:"name,omitempty"`   // the user's name, if any
	Label      string    `json:"label"`            // Name, else the facebank's name, else "Person N"
	TrackIDs   []int64   `json:"track_ids"`        // ascending
	Centroid   []float32 `json:"centroid"`         // mean of the track embeddings, L2-normalised
	Size       int       `json:"size"`             // tracks
	Detections int       `json:"detections"`
	Locked     bool      `json:"locked"`
	// The cast list's answer (see Name): the name given, or only offered.
	FacebankName   string     `json:"facebank_name,omitempty"`
	FacebankScore  float32    `json:"facebank_score,omitempty"`  // cosine of the identity and the best photo of that name
	FacebankMargin float32    `json:"facebank_margin,omitempty"` // over the next name and over the photo's match with any other identity
	FacebankFile   string     `json:"facebank_file,omitempty"`   // the photo that matched
	Suggestion     *Candidate `json:"suggestion,omitempty"`      // a name below the bar, for the user to confirm
}

// Metrics describe a clustering.
type Metrics struct {
	Clusters               int     `json:"clusters"`
	Tracks                 int     `json:"tracks"`
	ClusteredTracks        int     `json:"clustered_tracks"`
	UnidentifiedTracks     int     `json:"unidentified_tracks"`
	SingletonFraction      float64 `json:"singleton_fraction"`       // identities of one track / identities
	LargestClusterFraction float64 `json:"largest_cluster_fraction"` // tracks of the largest / clustered tracks
	CannotLinks            int     `json:"cannot_links"`
}

// Result is a clustering: identities plus the tracks kept apart.
type Result struct {
	Identities   []Identity `json:"identities"`
	Unidentified []int64    `json:"unidentified"` // track ids in no identity, ascending
	Metrics      Metrics    `json:"metrics"`
}

// Cluster groups tracks into identities. Track IDs must be unique.
func Cluster(ctx context.Context, tracks []track.Track, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	byID := make(map[int64]*track.Track, len(tracks))
	var candidates []*track.Track
	for i := range tracks {
		t := &tracks[i]
		if _, dup := byID[t.ID]; dup {
			return Result{}, fmt.Errorf("identity: track id %d appears twice", t.ID)
		}
		byID[t.ID] = t
		if t.MedianFaceH < cfg.MinFaceH || len(t.Embedding) == 0 || t.NonFace > cfg.MaxNonFace ||
			(t.MeanScore > 0 && t.MeanScore < cfg.MinMeanScore) {
			continue // background, or not a face worth a person
		}
		candidates = append(candidates, t)
	}
	var eligible, short []*unit
	for _, u := range chainTracks(candidates, cfg) {
		if u.dets < cfg.MinTrackLen {
			short = append(short, u)
		} else {
			eligible = append(eligible, u)
		}
	}
	vecs := make([][]float32, len(eligible))
	spans := make([]*track.Track, len(eligible))
	for i, u := range eligible {
		vecs[i], spans[i] = u.as.Embedding, &u.as
	}
	var cannot [][2]int
	if !cfg.AllowOverlap {
		cannot = overlapping(spans)
	}
	labels, err := Agglomerate(ctx, vecs, cannot, cfg.Threshold, cfg.Workers)
	if err != nil {
		return Result{}, err
	}
	var gs []*group // in label order, for determinism
	for i, l := range labels {
		for len(gs) <= l {
			gs = append(gs, &group{tracks: map[int64]bool{}})
		}
		for _, m := range eligible[i].members {
			gs[l].tracks[m.ID] = true
		}
	}
	if !cfg.KeepShortApart {
		attach(gs, short, byID, cfg)
	}
	res := finish(gs, byID)
	res.Metrics.CannotLinks = len(cannot)
	return res, nil
}

// attach adds each short track to the group whose centroid is within
// Threshold and nearer by AttachMargin than the runner-up, unless a track
// of that group overlaps it in time. Centroids are those of the
// clustering: short tracks do not move them.
func attach(gs []*group, short []*unit, byID map[int64]*track.Track, cfg Config) {
	if len(gs) == 0 || len(short) == 0 {
		return
	}
	cents := make([][]float32, len(gs))
	for i, g := range gs {
		var sum []float64
		for _, tid := range sortedKeys(g.tracks) {
			e := byID[tid].Embedding
			if sum == nil {
				sum = make([]float64, len(e))
			}
			for k, v := range e {
				sum[k] += float64(v)
			}
		}
		cents[i] = unit64(sum)
	}
	for _, u := range short {
		t := &u.as
		best, second, bi := float32(-2), float32(-2), -1
		for i, c := range cents {
			if len(c) != len(t.Embedding) {
				continue
			}
			cos := track.Cosine(t.Embedding, c)
			switch {
			case cos > best:
				best, second, bi = cos, best, i
			case cos > second:
				second = cos
			}
		}
		if bi < 0 || float64(1-best) > cfg.Threshold || float64(best-second) < cfg.AttachMargin {
			continue
		}
		clash := false
		if !cfg.AllowOverlap {
			for tid := range gs[bi].tracks { // any order: a yes/no answer
				o := byID[tid]
				if o.StartPTSms <= t.EndPTSms && t.StartPTSms <= o.EndPTSms {
					clash = true
					break
				}
			}
		}
		if !clash {
			for _, m := range u.members {
				gs[bi].tracks[m.ID] = true
			}
		}
	}
}

// overlapping returns index pairs of tracks whose time spans intersect.
func overlapping(ts []*track.Track) [][2]int {
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(ts[a].StartPTSms, ts[b].StartPTSms) })
	var out [][2]int
	var open []int
	for _, i := range idx {
		keep := open[:0]
		for _, j := range open {
			if ts[j].EndPTSms >= ts[i].StartPTSms {
				keep = append(keep, j)
				out = append(out, [2]int{min(i, j), max(i, j)})
			}
		}
		open = append(keep, i)
	}
	return out
}

// group is an identity under construction (clustering or replay).
type group struct {
	person string
	name   string
	locked bool
	tracks map[int64]bool
}

func setOf(ids []int64) map[int64]bool {
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// finish turns groups into a Result: centroids, ordering, IDs, labels,
// unidentified tracks and metrics.
func finish(gs []*group, byID map[int64]*track.Track) Result {
	in := map[int64]bool{}
	var ids []Identity
	for _, g := range gs {
		if len(g.tracks) == 0 {
			continue
		}
		id := Identity{Person: g.person, Name: g.name, Locked: g.locked}
		var sum []float64
		for _, tid := range sortedKeys(g.tracks) {
			t, ok := byID[tid]
			if !ok {
				continue
			}
			in[tid] = true
			id.TrackIDs = append(id.TrackIDs, tid)
			id.Detections += t.Len()
			if len(t.Embedding) > 0 {
				if sum == nil {
					sum = make([]float64, len(t.Embedding))
				}
				for k, v := range t.Embedding {
					sum[k] += float64(v)
				}
			}
		}
		if len(id.TrackIDs) == 0 {
			continue
		}
		slices.Sort(id.TrackIDs)
		id.Size = len(id.TrackIDs)
		id.Centroid = unit64(sum)
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b Identity) int {
		return cmp.Or(cmp.Compare(b.Detections, a.Detections), cmp.Compare(a.TrackIDs[0], b.TrackIDs[0]))
	})
	res := Result{Identities: ids}
	for i := range res.Identities {
		id := &res.Identities[i]
		id.ID = int64(i + 1)
		id.Label = cmp.Or(id.Name, fmt.Sprintf("Person %d", id.ID))
	}
	for tid := range byID {
		if !in[tid] {
			res.Unidentified = append(res.Unidentified, tid)
		}
	}
	slices.Sort(res.Unidentified)
	res.Metrics = metricsOf(res, len(byID))
	return res
}

func metricsOf(res Result, tracks int) Metrics {
	m := Metrics{Clusters: len(res.Identities), Tracks: tracks, UnidentifiedTracks: len(res.Unidentified)}
	singles, largest := 0, 0
	for _, id := range res.Identities {
		m.ClusteredTracks += id.Size
		if id.Size == 1 {
			singles++
		}
		largest = max(largest, id.Size)
	}
	if m.Clusters > 0 {
		m.SingletonFraction = float64(singles) / float64(m.Clusters)
		m.LargestClusterFraction = float64(largest) / float64(m.ClusteredTracks)
	}
	return m
}

// reviewsOf is the Review of each track of identity i, with the unit
// centroids cents of all identities.
func reviewsOf(i int, res Result, cents [][]float32, byID map[int64]*track.Track) []Review {
	id := res.Identities[i]
	out := make([]Review, 0, len(id.TrackIDs))
	for _, tid := range id.TrackIDs {
		t := byID[tid]
		if t == nil || len(t.Embedding) == 0 {
			continue
		}
		e := unit32(t.Embedding)
		r := Review{TrackID: tid, IdentityID: id.ID, OtherCos: -1}
		if len(cents[i]) == len(e) {
			r.OwnCos = dot32(e, cents[i])
		}
		for k, o := range res.Identities {
			if k == i || len(cents[k]) != len(e) {
				continue
			}
			if c := dot32(e, cents[k]); c > r.OtherCos {
				r.OtherID, r.OtherCos = o.ID, c
			}
		}
		r.Margin = r.OwnCos - r.OtherCos
		out = append(out, r)
	}
	return out
}

// unit32 is v scaled to length 1 (all zeros when v is; nil for nil).
func unit32(v []float32) []float32 {
	if v == nil {
		return nil
	}
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return unit64(w)
}

func unit64(v []float64) []float32 {
	if v == nil {
		return nil
	}
	var s float64
	for _, x := range v {
		s += x * x
	}
	out := make([]float32, len(v))
	if s == 0 {
		return out
	}
	inv := 1 / math.Sqrt(s)
	for i, x := range v {
		out[i] = float32(x * inv)
	}
	return out
}

// Headshot is one stored photo of a show's cast list (the facebank): the
// person's name, the file it came from and its face embedding.
type Headshot struct {
	ID        int64     `json:"id"`
	Show      string    `json:"show"`
	Name      string    `json:"name"`
	File      string    `json:"file"`
	SHA256    string    `json:"sha256"`
	Embedding []float32 `json:"-"`
	AddedAt   time.Time `json:"added_at"`
}

// Reference returns the headshot as a facebank reference.
func (h Headshot) Reference() Reference {
	return Reference{Name: h.Name, File: h.File, Embedding: h.Embedding}
}

// Reference is one named headshot embedding of a show's cast list.
type Reference struct {
	Name      string    `json:"name"`
	File      string    `json:"file,omitempty"`
	Embedding []float32 `json:"embedding"`
}

// Review is a track to show the user first: its identity's centroid is
// hardly closer than another identity's.
type Review struct {
	TrackID    int64   `json:"track_id"`
	IdentityID int64   `json:"identity_id"`
	OwnCos     float32 `json:"own_cos"`   // cosine to its identity's centroid
	OtherID    int64   `json:"other_id"`  // the nearest other identity (0: none)
	OtherCos   float32 `json:"other_cos"` // cosine to that identity's centroid
	Margin     float32 `json:"margin"`    // OwnCos − OtherCos; small is ambiguous
}

// ReviewOrder lists the clustered tracks, most ambiguous first (smallest
// margin between own and nearest other identity), at most limit (0: all).
func ReviewOrder(res Result, tracks []track.Track, limit int) []Review {
	byID := map[int64]*track.Track{}
	for i := range tracks {
		byID[tracks[i].ID] = &tracks[i]
	}
	// Cosines as dot products of unit vectors, each normalised once: a
	// Cast view loads this for every track against every identity.
	cents := make([][]float32, len(res.Identities))
	for i, id := range res.Identities {
		cents[i] = unit32(id.Centroid)
	}
	// One identity's tracks at a time, on every core.
	per := make([][]Review, len(res.Identities))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(res.Identities), 1)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(res.Identities); i = int(next.Add(1) - 1) {
				per[i] = reviewsOf(i, res, cents, byID)
			}
		})
	}
	wg.Wait()
	var out []Review
	for _, rs := range per {
		out = append(out, rs...)
	}
	slices.SortFunc(out, func(a, b Review) int {
		return cmp.Or(cmp.Compare(a.Margin, b.Margin), cmp.Compare(a.TrackID, b.TrackID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// NewReference makes a facebank reference from the faces found in one
// headshot. A headshot must hold exactly one face: none or several is a
// typed error naming the file.
func NewReference(name, file string, faces [][]float32) (Reference, error) {
	switch {
	case strings.TrimSpace(name) == "":
		return Reference{}, errs.New(errs.HeadshotInvalid, fmt.Sprintf("The headshot %s has no name.", file), "Give every cast-list photo the person's name.")
	case len(faces) == 0:
		return Reference{}, errs.New(errs.HeadshotInvalid, fmt.Sprintf("No face was found in the headshot %s.", file), "Use a clear, front-facing photo of one person.")
	case len(faces) > 1:
		return Reference{}, errs.New(errs.HeadshotInvalid, fmt.Sprintf("The headshot %s shows %d faces.", file, len(faces)), "Crop the photo to the one person it names.")
	case len(faces[0]) == 0:
		return Reference{}, errs.New(errs.HeadshotInvalid, fmt.Sprintf("The face in the headshot %s has no embedding.", file), "Run the headshot through the face model again.")
	}
	e := make([]float64, len(faces[0]))
	for i, v := range faces[0] {
		e[i] = float64(v)
	}
	return Reference{Name: strings.TrimSpace(name), File: file, Embedding: unit64(e)}, nil
}
