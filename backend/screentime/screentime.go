// Package screentime turns tracks and identities into a screen-time
// report — per person time, share, appearances, segments, overlaps and a
// co-appearance matrix — and writes it as JSON, CSV, a printable HTML run
// report and markers an editing system imports (CMX3600 EDL, FCPXML 1.9,
// OpenTimelineIO), with offline validators for the EDL and FCPXML. It also
// answers "who is on screen at t" (Report.At) and compares the report with
// hand-logged timings (ParseLogged, Compare).
//
// Decisions:
//   - Time is kept in integer milliseconds; seconds appear only in output.
//   - A sample stands for the half sample interval either side of it: a
//     face seen at samples t1…tn (each within one interval plus the
//     bridging window of the next) is on screen over [t1−I/2, tn+I/2].
//     Hence the margin: ± half a sample at each segment edge, I per
//     segment. Longer gaps are off screen.
//   - A person's segments are built from the union of the samples of all
//     their tracks, so overlapping tracks of one person never count twice.
//     Time shared by several people is reported as overlap, not removed.
//   - Presets: "default" bridges gaps up to DefaultBridgeMs (a face missed
//     for a few samples); "strict" bridges nothing beyond consecutive
//     samples, for matching hand-logged timings.
//   - Exports are keyed to source timecode: frame = round(ms·fps) plus the
//     file's start timecode, with drop-frame labels where the rate has
//     them.
//
// The package is pure Go (standard library, errs, track, identity).
package screentime

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"castscope/backend/errs"
	"castscope/backend/identity"
	"castscope/backend/track"
)

// Preset names a set of analysis settings.
type Preset string

// The presets.
const (
	PresetDefault Preset = "default" // bridge short detector misses
	PresetStrict  Preset = "strict"  // only consecutive samples join
)

// Defaults.
const (
	DefaultBridgeMs         = 1000
	DefaultSampleIntervalMs = 200
)

// Options tune Compute. A zero Options is the default preset.
type Options struct {
	Preset   Preset
	BridgeMs int64 // override the preset's bridging window (ms); <0 means none
}

func (o Options) bridge() (Preset, int64) {
	p := cmp.Or(o.Preset, PresetDefault)
	if o.BridgeMs > 0 {
		return p, o.BridgeMs
	}
	if o.BridgeMs < 0 || p == PresetStrict {
		return p, 0
	}
	return p, DefaultBridgeMs
}

// Input is what Compute reads: the episode, its tracks and identities.
type Input struct {
	EpisodeKey       string
	DurationMs       int64 // episode duration; 0: up to the last sample
	SampleIntervalMs int64 // 0: DefaultSampleIntervalMs
	Tracks           []track.Track
	Identities       identity.Result
}

// Segment is one stretch of time on screen, [Start, End).
type Segment struct {
	StartMs int64   `json:"start_ms"`
	EndMs   int64   `json:"end_ms"`
	StartS  float64 `json:"start_s"`
	EndS    float64 `json:"end_s"`
}

func seg(a, b int64) Segment { return Segment{StartMs: a, EndMs: b, StartS: sec(a), EndS: sec(b)} }

// DurationMs is End − Start.
func (s Segment) DurationMs() int64 { return s.EndMs - s.StartMs }

// Person is one identity's row of the report.
type Person struct {
	IdentityID  int64   `json:"identity_id"`
	Label       string  `json:"label"`
	ScreenTimeS float64 `json:"screen_time_s"`
	MarginS     float64 `json:"margin_s"` // ± this much, from the sampling interval
	// ProfileS is the part of ScreenTimeS seen only in profile faces
	// (track.ProfileYaw): less certain, since cast photos are frontal.
	ProfileS    float64   `json:"profile_s"`
	Share       float64   `json:"share"` // of the episode duration
	Appearances int       `json:"appearances"`
	FirstS      float64   `json:"first_s"`
	LastS       float64   `json:"last_s"`
	OverlapS    float64   `json:"overlap_s"` // time on screen with at least one other person
	Tracks      int       `json:"tracks"`
	Locked      bool      `json:"locked,omitempty"`
	Segments    []Segment `json:"segments"`
}

// Unidentified is the row of faces in no identity.
type Unidentified struct {
	ScreenTimeS float64   `json:"screen_time_s"`
	MarginS     float64   `json:"margin_s"`
	Tracks      int       `json:"tracks"`
	Segments    []Segment `json:"segments"`
}

// CoAppearance holds, for each pair of people (in People order), the
// seconds both are on screen; the diagonal is each one's screen time.
type CoAppearance struct {
	IdentityIDs []int64     `json:"identity_ids"`
	Seconds     [][]float64 `json:"seconds"`
}

// Report is the analytics output (screentime.json).
type Report struct {
	EpisodeKey      string       `json:"episode_key"`
	DurationS       float64      `json:"duration_s"`
	SampleIntervalS float64      `json:"sample_interval_s"`
	Preset          Preset       `json:"preset"`
	BridgeS         float64      `json:"bridge_s"`
	FacesOnScreenS  float64      `json:"faces_on_screen_s"` // union over people
	People          []Person     `json:"people"`
	Unidentified    Unidentified `json:"unidentified"`
	CoAppearance    CoAppearance `json:"co_appearance"`
}

func sec(ms int64) float64 { return float64(ms) / 1000 }

// msOf converts report seconds back to ms (exact for values Compute wrote).
func msOf(s float64) int64 { return int64(math.Round(s * 1000)) }

// Compute builds the report. No faces is an empty report, not an error.
// A track named by an identity but absent from Tracks is an error.
func Compute(in Input, o Options) (Report, error) {
	preset, bridge := o.bridge()
	if preset != PresetDefault && preset != PresetStrict {
		return Report{}, errs.New(errs.Usage, fmt.Sprintf("Unknown screen-time preset %q.", preset), "Use default or strict.")
	}
	iv := cmp.Or(in.SampleIntervalMs, DefaultSampleIntervalMs)
	byID := make(map[int64]*track.Track, len(in.Tracks))
	var lastSample int64
	for i := range in.Tracks {
		t := &in.Tracks[i]
		byID[t.ID] = t
		if n := len(t.PTSms); n > 0 {
			lastSample = max(lastSample, t.PTSms[n-1])
		}
	}
	dur := in.DurationMs
	if dur <= 0 && len(in.Tracks) > 0 {
		dur = lastSample + iv
	}
	rep := Report{
		EpisodeKey: in.EpisodeKey, DurationS: sec(dur), SampleIntervalS: sec(iv),
		Preset: preset, BridgeS: sec(bridge),
		People: []Person{}, Unidentified: Unidentified{Segments: []Segment{}},
		CoAppearance: CoAppearance{IdentityIDs: []int64{}, Seconds: [][]float64{}},
	}
	spans := func(ids []int64) ([]Segment, error) {
		var samples []int64
		for _, id := range ids {
			t, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("screentime: track %d is not in the track list", id)
			}
			samples = append(samples, t.PTSms...)
		}
		return segments(samples, iv, bridge, dur), nil
	}
	// notProfile is the time of ids' faces seen other than in profile.
	notProfile := func(ids []int64) int64 {
		var samples []int64
		for _, id := range ids {
			t := byID[id]
			for i, ms := range t.PTSms {
				if i >= len(t.Yaws) || t.Yaws[i] < track.ProfileYaw {
					samples = append(samples, ms)
				}
			}
		}
		return total(segments(samples, iv, bridge, dur))
	}
	for _, id := range in.Identities.Identities {
		ss, err := spans(id.TrackIDs)
		if err != nil {
			return Report{}, err
		}
		label := cmp.Or(id.Label, id.Name, fmt.Sprintf("Person %d", id.ID))
		p := Person{IdentityID: id.ID, Label: label, Tracks: len(id.TrackIDs), Locked: id.Locked, Segments: ss}
		p.ScreenTimeS = sec(total(ss))
		p.MarginS = sec(int64(len(ss)) * iv)
		p.ProfileS = sec(max(0, total(ss)-notProfile(id.TrackIDs)))
		p.Appearances = len(ss)
		if len(ss) > 0 {
			p.FirstS, p.LastS = ss[0].StartS, ss[len(ss)-1].EndS
		}
		if dur > 0 {
			p.Share = float64(total(ss)) / float64(dur)
		}
		rep.People = append(rep.People, p)
	}
	slices.SortStableFunc(rep.People, func(a, b Person) int {
		return cmp.Or(cmp.Compare(b.ScreenTimeS, a.ScreenTimeS), cmp.Compare(a.IdentityID, b.IdentityID))
	})
	us, err := spans(in.Identities.Unidentified)
	if err != nil {
		return Report{}, err
	}
	rep.Unidentified = Unidentified{ScreenTimeS: sec(total(us)), MarginS: sec(int64(len(us)) * iv), Tracks: len(in.Identities.Unidentified), Segments: us}

	n := len(rep.People)
	var all []Segment
	for i := range rep.People {
		rep.CoAppearance.IdentityIDs = append(rep.CoAppearance.IdentityIDs, rep.People[i].IdentityID)
		rep.CoAppearance.Seconds = append(rep.CoAppearance.Seconds, make([]float64, n))
		all = append(all, rep.People[i].Segments...)
	}
	rep.FacesOnScreenS = sec(total(union(all)))
	for i := range rep.People {
		var others []Segment
		for j := range rep.People {
			if i == j {
				rep.CoAppearance.Seconds[i][i] = rep.People[i].ScreenTimeS
				continue
			}
			if j > i {
				both := sec(total(intersect(rep.People[i].Segments, rep.People[j].Segments)))
				rep.CoAppearance.Seconds[i][j], rep.CoAppearance.Seconds[j][i] = both, both
			}
			others = append(others, rep.People[j].Segments...)
		}
		rep.People[i].OverlapS = sec(total(intersect(rep.People[i].Segments, union(others))))
	}
	return rep, nil
}

// segments turns sample times into on-screen segments: samples join while
// the next comes within one interval (plus half, for jitter) plus bridge;
// each run covers half an interval either side, clipped to [0, dur].
func segments(samples []int64, iv, bridge, dur int64) []Segment {
	out := []Segment{}
	if len(samples) == 0 {
		return out
	}
	samples = slices.Clone(samples)
	slices.Sort(samples)
	samples = slices.Compact(samples)
	join := iv + iv/2 + bridge
	half := iv / 2
	start := samples[0]
	for i := 1; i <= len(samples); i++ {
		if i < len(samples) && samples[i]-samples[i-1] <= join {
			continue
		}
		a, b := max(start-half, 0), min(samples[i-1]+(iv-half), dur)
		if b > a {
			out = append(out, seg(a, b))
		}
		if i < len(samples) {
			start = samples[i]
		}
	}
	return out
}

func total(ss []Segment) int64 {
	var t int64
	for _, s := range ss {
		t += s.DurationMs()
	}
	return t
}

// union merges segments into sorted, disjoint segments.
func union(ss []Segment) []Segment {
	ss = slices.Clone(ss)
	slices.SortFunc(ss, func(a, b Segment) int { return cmp.Compare(a.StartMs, b.StartMs) })
	var out []Segment
	for _, s := range ss {
		if n := len(out); n > 0 && s.StartMs <= out[n-1].EndMs {
			if s.EndMs > out[n-1].EndMs {
				out[n-1] = seg(out[n-1].StartMs, s.EndMs)
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// intersect intersects two sorted, disjoint segment lists.
func intersect(a, b []Segment) []Segment {
	var out []Segment
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].StartMs, b[j].StartMs), min(a[i].EndMs, b[j].EndMs)
		if hi > lo {
			out = append(out, seg(lo, hi))
		}
		if a[i].EndMs < b[j].EndMs {
			i++
		} else {
			j++
		}
	}
	return out
}

// Presence is one person on screen at a moment.
type Presence struct {
	IdentityID int64   `json:"identity_id"` // 0 for unidentified faces
	Label      string  `json:"label"`
	Segment    Segment `json:"segment"`
}

// At answers "who is on screen at ms": the people (and, last, the
// unidentified faces) whose segment holds ms.
func (r Report) At(ms int64) []Presence {
	var out []Presence
	find := func(ss []Segment) (Segment, bool) {
		i, ok := slices.BinarySearchFunc(ss, ms, func(s Segment, t int64) int {
			switch {
			case s.EndMs <= t:
				return -1
			case s.StartMs > t:
				return 1
			}
			return 0
		})
		if !ok {
			return Segment{}, false
		}
		return ss[i], true
	}
	for _, p := range r.People {
		if s, ok := find(p.Segments); ok {
			out = append(out, Presence{IdentityID: p.IdentityID, Label: p.Label, Segment: s})
		}
	}
	if s, ok := find(r.Unidentified.Segments); ok {
		out = append(out, Presence{Label: "unidentified", Segment: s})
	}
	return out
}

// Person returns the row whose label matches name (case and surrounding
// space ignored).
func (r Report) Person(name string) (Person, bool) {
	for _, p := range r.People {
		if strings.EqualFold(strings.TrimSpace(p.Label), strings.TrimSpace(name)) {
			return p, true
		}
	}
	return Person{}, false
}
