// Package tracktest builds synthetic episodes for tests: scripted people
// enter and leave at given times, move, change size, are cut by shot
// changes and missed by the detector, with noisy embeddings drawn around
// one base vector per person. The truth (who is where, when) comes along,
// so tests of track, identity and screentime can score their output.
package tracktest

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"castscope/backend/track"
)

// Appearance is one stretch of a person on screen, [StartMs, EndMs).
type Appearance struct {
	StartMs, EndMs int64
	From, To       [4]float32 // box at StartMs and at EndMs; linear in between
	MissMs         []int64    // sample times at which the detector misses the face
	LowScoreMs     []int64    // sample times at which the detection scores low (0.45)
}

// Person is a scripted cast member.
type Person struct {
	Name        string
	Appearances []Appearance
}

// Script describes a synthetic episode. Zero fields take small defaults.
type Script struct {
	Seed       uint64
	DurationMs int64   // default 60 000
	IntervalMs int64   // sampling interval, default 200
	FPS        float64 // source frame rate for frame indices, default 25
	CutsMs     []int64 // shot changes
	People     []Person
	Noise      float64 // embedding noise norm; default 0.9 (cosine to base ≈ 0.74)
	Dim        int     // default 128
	Background int     // background faces: small, 1–2 samples, each a stranger
}

// Episode is a generated episode with its truth.
type Episode struct {
	Script      Script
	Frames      []track.Frame
	Dets        []track.Detection
	CutFrames   []int64
	PersonOfDet map[int64]int // det id → person index; -1 for background faces
	Base        [][]float32   // per person base embedding (unit)
}

// FrameOf is the source frame index of a time in ms.
func (e Episode) FrameOf(ms int64) int64 {
	return int64(math.Round(float64(ms) * e.Script.FPS / 1000))
}

// TruthMs returns each person's true screen time in ms (union of appearances).
func (e Episode) TruthMs() []int64 {
	out := make([]int64, len(e.Script.People))
	for i, p := range e.Script.People {
		type iv struct{ a, b int64 }
		var ivs []iv
		for _, a := range p.Appearances {
			ivs = append(ivs, iv{a.StartMs, a.EndMs})
		}
		slices.SortFunc(ivs, func(x, y iv) int { return cmp.Compare(x.a, y.a) })
		var cur iv
		for j, v := range ivs {
			if j == 0 {
				cur = v
				continue
			}
			if v.a <= cur.b {
				cur.b = max(cur.b, v.b)
				continue
			}
			out[i] += cur.b - cur.a
			cur = v
		}
		if len(ivs) > 0 {
			out[i] += cur.b - cur.a
		}
	}
	return out
}

// RandomUnit returns a random unit vector of dim values.
func RandomUnit(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var s float64
	for i := range v {
		x := r.NormFloat64()
		v[i] = float32(x)
		s += x * x
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// Noisy returns base plus a random vector of norm noise, normalised.
func Noisy(r *rand.Rand, base []float32, noise float64) []float32 {
	n := RandomUnit(r, len(base))
	v := make([]float32, len(base))
	var s float64
	for i := range v {
		v[i] = base[i] + float32(noise)*n[i]
		s += float64(v[i]) * float64(v[i])
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// Generate renders the script into frames and detections.
func Generate(s Script) Episode {
	s.DurationMs = cmp.Or(s.DurationMs, 60_000)
	s.IntervalMs = cmp.Or(s.IntervalMs, 200)
	s.FPS = cmp.Or(s.FPS, 25)
	s.Noise = cmp.Or(s.Noise, 0.9)
	s.Dim = cmp.Or(s.Dim, 128)
	r := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	e := Episode{Script: s, PersonOfDet: map[int64]int{}}
	for range s.People {
		e.Base = append(e.Base, RandomUnit(r, s.Dim))
	}
	for _, c := range s.CutsMs {
		// A cut lands on the first sample at or after it.
		k := (c + s.IntervalMs - 1) / s.IntervalMs
		e.CutFrames = append(e.CutFrames, e.FrameOf(k*s.IntervalMs))
	}
	type bg struct {
		start int64
		n     int
		box   [4]float32
		emb   []float32
	}
	var bgs []bg
	for range s.Background {
		x, y := float32(r.IntN(1800)), float32(r.IntN(1000))
		bgs = append(bgs, bg{
			start: r.Int64N(s.DurationMs/s.IntervalMs) * s.IntervalMs,
			n:     1 + r.IntN(2),
			box:   [4]float32{x, y, x + 18, y + 20},
			emb:   RandomUnit(r, s.Dim),
		})
	}
	var id int64
	for t := int64(0); t < s.DurationMs; t += s.IntervalMs {
		f := e.FrameOf(t)
		e.Frames = append(e.Frames, track.Frame{Index: f, PTSms: t})
		for pi, p := range s.People {
			for _, a := range p.Appearances {
				if t < a.StartMs || t >= a.EndMs || slices.Contains(a.MissMs, t) {
					continue
				}
				u := float32(t-a.StartMs) / float32(max(a.EndMs-a.StartMs, 1))
				var b [4]float32
				for i := range b {
					b[i] = a.From[i] + (a.To[i]-a.From[i])*u + float32(r.NormFloat64())
				}
				score := float32(0.9 + 0.05*r.Float64())
				if slices.Contains(a.LowScoreMs, t) {
					score = 0.45
				}
				id++
				e.Dets = append(e.Dets, track.Detection{
					DetID: id, FrameIndex: f, PTSms: t, Box: b, Score: score,
					Embedding: Noisy(r, e.Base[pi], s.Noise), FaceH: b[3] - b[1],
				})
				e.PersonOfDet[id] = pi
			}
		}
		for _, g := range bgs {
			if t < g.start || t >= g.start+int64(g.n)*s.IntervalMs {
				continue
			}
			id++
			e.Dets = append(e.Dets, track.Detection{
				DetID: id, FrameIndex: f, PTSms: t, Box: g.box, Score: 0.75,
				Embedding: Noisy(r, g.emb, s.Noise), FaceH: 20,
			})
			e.PersonOfDet[id] = -1
		}
	}
	return e
}

// PersonOfTrack returns the majority person of a track's detections and
// the fraction of its detections that belong to that person.
func (e Episode) PersonOfTrack(t track.Track) (person int, purity float64) {
	count := map[int]int{}
	for _, d := range t.DetIDs {
		count[e.PersonOfDet[d]]++
	}
	best, bn := -2, -1
	for p, n := range count {
		if n > bn || (n == bn && p < best) {
			best, bn = p, n
		}
	}
	return best, float64(bn) / float64(len(t.DetIDs))
}

// BCubed returns BCubed precision, recall and F1 of a clustering of items
// against their true classes, each item weighted by weight (nil: 1).
// pred and truth map item index → label.
func BCubed(pred, truth []int, weight []float64) (p, r, f float64) {
	w := func(i int) float64 {
		if weight == nil {
			return 1
		}
		return weight[i]
	}
	var total float64
	for i := range pred {
		var same, samePred, sameTruth float64
		for j := range pred {
			if pred[i] == pred[j] {
				samePred += w(j)
				if truth[i] == truth[j] {
					same += w(j)
				}
			}
			if truth[i] == truth[j] {
				sameTruth += w(j)
			}
		}
		p += w(i) * same / samePred
		r += w(i) * same / sameTruth
		total += w(i)
	}
	if total == 0 {
		return 0, 0, 0
	}
	p, r = p/total, r/total
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

// Cast returns a ready script of three people over 60 s with entries and
// exits, motion, size changes, a cut, detector misses and low scores, plus
// background faces. Its truth is Generate(Cast(seed)).TruthMs().
func Cast(seed uint64) Script {
	return Script{
		Seed:       seed,
		DurationMs: 60_000,
		IntervalMs: 200,
		FPS:        25,
		CutsMs:     []int64{30_000},
		Background: 6,
		People: []Person{
			{Name: "Alice", Appearances: []Appearance{
				{StartMs: 1_000, EndMs: 20_000, From: box(200, 200, 120), To: box(700, 260, 200), MissMs: []int64{5_000, 5_200, 12_000}, LowScoreMs: []int64{8_000, 8_200}},
				{StartMs: 30_000, EndMs: 45_000, From: box(1200, 300, 180), To: box(1000, 300, 90)},
			}},
			{Name: "Bea", Appearances: []Appearance{
				{StartMs: 10_000, EndMs: 30_000, From: box(1400, 200, 150), To: box(1300, 220, 150), MissMs: []int64{15_000}},
				{StartMs: 30_000, EndMs: 38_000, From: box(300, 300, 220), To: box(350, 300, 220)},
				{StartMs: 50_000, EndMs: 58_000, From: box(900, 400, 100), To: box(600, 400, 140)},
			}},
			{Name: "Cleo", Appearances: []Appearance{
				{StartMs: 20_000, EndMs: 26_000, From: box(800, 600, 80), To: box(820, 600, 80)},
				{StartMs: 40_000, EndMs: 55_000, From: box(100, 100, 160), To: box(500, 150, 160), MissMs: []int64{47_000, 47_200, 47_400}},
			}},
		},
	}
}

func box(x, y, h float32) [4]float32 { return [4]float32{x, y, x + h*0.8, y + h} }

// Random returns a script of people cast members over durationMs with
// random appearances (2–20 s, moving and resizing, a detector miss now
// and then), a shot cut every 10–40 s and background faces. Times are not
// aligned to the sampling grid.
func Random(seed uint64, people int, durationMs int64) Script {
	r := rand.New(rand.NewPCG(seed, 99))
	s := Script{Seed: seed, DurationMs: durationMs, IntervalMs: 200, FPS: 25, Noise: 1.2, Background: int(durationMs / 10_000)}
	for c := int64(5_000 + r.Int64N(30_000)); c < durationMs; c += 10_000 + r.Int64N(30_000) {
		s.CutsMs = append(s.CutsMs, c)
	}
	for i := range people {
		p := Person{Name: fmt.Sprintf("P%02d", i+1)}
		// One person is never on screen twice at once.
		t := r.Int64N(durationMs / 4)
		for range 2 + r.IntN(5) {
			start := t
			end := min(start+2_000+r.Int64N(18_000), durationMs)
			if end-start < 1_000 {
				break
			}
			t = end + 1_000 + r.Int64N(60_000)
			h0, h1 := float32(80+r.IntN(170)), float32(80+r.IntN(170))
			a := Appearance{StartMs: start, EndMs: end,
				From: box(float32(r.IntN(1600)), float32(r.IntN(800)), h0),
				To:   box(float32(r.IntN(1600)), float32(r.IntN(800)), h1)}
			if r.IntN(3) == 0 {
				m := (start/200 + 3) * 200
				a.MissMs = []int64{m, m + 200}
			}
			p.Appearances = append(p.Appearances, a)
		}
		s.People = append(s.People, p)
	}
	return s
}
