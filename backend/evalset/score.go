package evalset

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Observed is what a finished run found in one clip.
type Observed struct {
	Width, Height float64 // frame size in pixels
	Identities    []Identity
}

// Identity is one person of the run.
type Identity struct {
	ID       int64
	Label    string       // as shown: the name, or "Person N"
	Name     string       // the name the cast list or the user gave; "" if none
	Segments [][2]float64 // seconds on screen, as the report shows them
	Faces    []Detection  // every detection of its tracks
}

// Detection is one face box of an identity at one moment.
type Detection struct {
	T   float64    // seconds
	Box [4]float64 // pixels: x1, y1, x2, y2
}

// Targets are the bars a set must clear.
type Targets struct {
	MinF1        float64 // each cast member on screen at least MinOnScreenS
	MeanF1       float64 // over those people
	MinOnScreenS float64
	MaxMix       float64 // share of an identity's faces from a second true face
}

// DefaultTargets are the product's targets on the real set.
var DefaultTargets = Targets{MinF1: 0.90, MeanF1: 0.95, MinOnScreenS: 1, MaxMix: 0.10}

// ClipScore is the scoring of one clip.
type ClipScore struct {
	Clip          string          `json:"clip"`
	Hard          *Hard           `json:"hard,omitempty"`    // held to Hard.MinF1, out of the mean
	Variant       string          `json:"variant,omitempty"` // a degraded copy: scored apart
	People        []PersonScore   `json:"people"`            // cast members on screen
	Faces         []FaceScore     `json:"faces"`             // every true face: into how many identities it split
	Identities    []IdentityScore `json:"identities"`        // every identity of the run
	NeverOnScreen []string        `json:"never_on_screen"`
	// Counts of what must not happen.
	NotFaces       int `json:"not_faces"`       // identities whose faces are no true face
	Mixed          int `json:"mixed"`           // identities over the mix bar
	StrangersNamed int `json:"strangers_named"` // named identities of a stranger or a non-face
	WrongNames     int `json:"wrong_names"`     // named after another cast member
}

// PersonScore is one cast member's named time against their visible time.
type PersonScore struct {
	Name       string  `json:"name"`
	TrueS      float64 `json:"true_s"`
	NamedS     float64 `json:"named_s"`
	Precision  float64 `json:"precision"`
	Recall     float64 `json:"recall"`
	F1         float64 `json:"f1"`
	Identities int     `json:"identities"` // identities whose faces are mostly this person's
}

// FaceScore is one true face (cast member or stranger).
type FaceScore struct {
	Who        string `json:"who"`
	Identities int    `json:"identities"`
}

// IdentityScore is one identity of the run, judged against the truth.
type IdentityScore struct {
	ID       int64   `json:"id"`
	Label    string  `json:"label"`
	Name     string  `json:"name,omitempty"`
	Seconds  float64 `json:"seconds"`
	Owner    string  `json:"owner"` // the true face most of its faces are; "" when none (not a face); "(ignored)" when all are ignored
	Second   string  `json:"second,omitempty"`
	Mix      float64 `json:"mix"` // share of its faces (its time) that are Second's
	NotAFace bool    `json:"not_a_face,omitempty"`
	Verdict  string  `json:"verdict"` // ok, or what is wrong
}

const (
	ownerIgnored = "(ignored)" // Who: inside an ignore or unscored span
	edgeS        = 0.06        // a detection this close to a span's end still belongs to it (sampling)
	boxSlack     = 0.15        // a box grows by this share of its size on each side when matching
)

// Score compares a run with the truth.
func Score(t Truth, o Observed, tg Targets) ClipScore {
	cs := ClipScore{Clip: t.Name(), Hard: t.Hard, Variant: t.Variant}
	mask := t.mask()
	owners := map[string]int{}
	for _, id := range o.Identities {
		is := scoreIdentity(t, o, id, tg)
		if is.Owner != "" && is.Owner != ownerIgnored {
			owners[is.Owner]++
		}
		strangerNamed := is.Name != "" && (is.Owner == "" || strings.HasPrefix(is.Owner, Stranger))
		if is.NotAFace {
			cs.NotFaces++
		}
		if is.Mix > tg.MaxMix {
			cs.Mixed++
		}
		if strangerNamed {
			cs.StrangersNamed++
		} else if is.Name != "" && is.Owner != ownerIgnored && is.Name != is.Owner {
			cs.WrongNames++
		}
		cs.Identities = append(cs.Identities, is)
	}
	for _, f := range t.Faces {
		cs.Faces = append(cs.Faces, FaceScore{Who: f.Who, Identities: owners[f.Who]})
	}
	for _, c := range t.Cast {
		if !t.OnScreen(c.Name) {
			cs.NeverOnScreen = append(cs.NeverOnScreen, c.Name)
			continue
		}
		var truth, named []iv
		for _, f := range t.Faces {
			if f.Who == c.Name {
				for _, s := range f.Spans {
					truth = append(truth, iv{s.Start, s.End})
				}
			}
		}
		for _, id := range o.Identities {
			if id.Name == c.Name {
				for _, s := range id.Segments {
					named = append(named, iv{s[0], s[1]})
				}
			}
		}
		truth, named = subtract(union(truth), mask), subtract(union(named), mask)
		ps := PersonScore{Name: c.Name, TrueS: length(truth), NamedS: length(named), Identities: owners[c.Name]}
		hit := length(intersect(truth, named))
		if ps.NamedS > 0 {
			ps.Precision = hit / ps.NamedS
		}
		if ps.TrueS > 0 {
			ps.Recall = hit / ps.TrueS
		}
		if ps.Precision+ps.Recall > 0 {
			ps.F1 = 2 * ps.Precision * ps.Recall / (ps.Precision + ps.Recall)
		}
		cs.People = append(cs.People, ps)
	}
	return cs
}

func scoreIdentity(t Truth, o Observed, id Identity, tg Targets) IdentityScore {
	is := IdentityScore{ID: id.ID, Label: id.Label, Name: id.Name}
	var segs []iv
	for _, s := range id.Segments {
		segs = append(segs, iv{s[0], s[1]})
	}
	is.Seconds = round3(length(union(segs)))
	count := map[string]int{}
	attributed, none := 0, 0
	for _, d := range id.Faces {
		switch who := t.Who(d, o.Width, o.Height); who {
		case ownerIgnored:
		case "":
			none++
		default:
			count[who]++
			attributed++
		}
	}
	type kv struct {
		who string
		n   int
	}
	var ranked []kv
	for w, n := range count {
		ranked = append(ranked, kv{w, n})
	}
	slices.SortFunc(ranked, func(a, b kv) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.who, b.who)) })
	switch {
	case attributed == 0 && none == 0:
		is.Owner = ownerIgnored
	case none > attributed:
		is.Owner, is.NotAFace = "", true
	default:
		is.Owner = ranked[0].who
		if len(ranked) > 1 {
			is.Second = ranked[1].who
			is.Mix = round3(float64(ranked[1].n) / float64(len(id.Faces)))
		}
	}
	var v []string
	if is.NotAFace {
		v = append(v, "not a face")
	}
	if is.Mix > tg.MaxMix {
		v = append(v, fmt.Sprintf("%.0f%% %s", 100*is.Mix, is.Second))
	}
	if is.Name != "" && is.Owner != ownerIgnored && is.Name != is.Owner {
		if is.Owner == "" || strings.HasPrefix(is.Owner, Stranger) {
			v = append(v, "names a stranger")
		} else {
			v = append(v, "wrong name")
		}
	}
	is.Verdict = "ok"
	if len(v) > 0 {
		is.Verdict = fmt.Sprint(v)
	}
	return is
}

// Who names the true face a detection is: a face whose span covers
// its time and whose box holds its centre (the nearest centre when several
// do); ownerIgnored inside an ignore or unscored span; "" for none.
func (t Truth) Who(d Detection, w, h float64) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	cx, cy := (d.Box[0]+d.Box[2])/2/w, (d.Box[1]+d.Box[3])/2/h
	best, bestD := "", math.Inf(1)
	for _, f := range t.Faces {
		for _, s := range f.Spans {
			if !s.covers(d.T, cx, cy) {
				continue
			}
			b := s.Box
			dist := math.Hypot(cx-(b[0]+b[2])/2, cy-(b[1]+b[3])/2)
			if dist < bestD {
				best, bestD = f.Who, dist
			}
		}
	}
	if best != "" {
		return best
	}
	for _, s := range slices.Concat(t.Ignore, t.Unscored) {
		if s.covers(d.T, cx, cy) {
			return ownerIgnored
		}
	}
	return ""
}

// covers reports whether time tt (seconds) and the normalised point
// (x, y) fall in the span (a span with no box covers the whole frame).
func (s Span) covers(tt, x, y float64) bool {
	if tt < s.Start-edgeS || tt > s.End+edgeS {
		return false
	}
	b := s.Box
	if b == nil {
		return true
	}
	dx, dy := (b[2]-b[0])*boxSlack, (b[3]-b[1])*boxSlack
	return x >= b[0]-dx && x <= b[2]+dx && y >= b[1]-dy && y <= b[3]+dy
}

// mask is the time scored for nobody: unscored spans, and ignore spans
// without a box.
func (t Truth) mask() []iv {
	var m []iv
	for _, s := range t.Unscored {
		m = append(m, iv{s.Start, s.End})
	}
	for _, s := range t.Ignore {
		if s.Box == nil {
			m = append(m, iv{s.Start, s.End})
		}
	}
	return union(m)
}

// SetScore is the scoring of a whole set.
type SetScore struct {
	Clips    []ClipScore `json:"clips"`
	MeanF1   float64     `json:"mean_f1"` // over cast members on screen at least Targets.MinOnScreenS, hard clips left out
	Failures []string    `json:"failures"`
	// VariantMeanF1 is the mean F1 over the variants' cast members.
	VariantMeanF1 float64 `json:"variant_mean_f1,omitempty"`
}

// Summarise computes the set's mean F1 and lists every target missed.
// Variants are scored apart: their F1 is reported (VariantMeanF1), and of
// the targets only the ones about wrong names hold for them (no stranger
// or never-on-screen photo named, no wrong name): a darker or smaller
// picture may lose a person, never name the wrong one.
func Summarise(clips []ClipScore, tg Targets) SetScore {
	s := SetScore{Clips: clips, Failures: []string{}}
	var sum, vsum float64
	n, vn := 0, 0
	for _, c := range clips {
		if c.Variant != "" {
			for _, p := range c.People {
				if p.TrueS >= tg.MinOnScreenS {
					vsum += p.F1
					vn++
				}
			}
			for _, id := range c.Identities {
				if strings.Contains(id.Verdict, "names a stranger") || strings.Contains(id.Verdict, "wrong name") {
					s.Failures = append(s.Failures, fmt.Sprintf("%s: %s (%.1f s) %s", c.Clip, id.Label, id.Seconds, id.Verdict))
				}
			}
			continue
		}
		for _, p := range c.People {
			if p.TrueS < tg.MinOnScreenS {
				continue
			}
			if c.Hard != nil {
				if p.F1 < c.Hard.MinF1 {
					s.Failures = append(s.Failures, fmt.Sprintf("%s: %s has F1 %.2f (this hard clip's floor %.2f)", c.Clip, p.Name, p.F1, c.Hard.MinF1))
				}
				continue
			}
			sum += p.F1
			n++
			if p.F1 < tg.MinF1 {
				s.Failures = append(s.Failures, fmt.Sprintf("%s: %s has F1 %.2f (target %.2f)", c.Clip, p.Name, p.F1, tg.MinF1))
			}
		}
		for _, id := range c.Identities {
			if id.Verdict != "ok" {
				s.Failures = append(s.Failures, fmt.Sprintf("%s: %s (%.1f s) %s", c.Clip, id.Label, id.Seconds, id.Verdict))
			}
		}
	}
	if vn > 0 {
		s.VariantMeanF1 = round3(vsum / float64(vn))
	}
	if n > 0 {
		s.MeanF1 = round3(sum / float64(n))
		if s.MeanF1 < tg.MeanF1 {
			s.Failures = append(s.Failures, fmt.Sprintf("mean F1 %.3f over %d people (target %.2f)", s.MeanF1, n, tg.MeanF1))
		}
	}
	return s
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// ---- intervals (seconds, half-open) ----------------------------------

type iv [2]float64

func union(xs []iv) []iv {
	xs = slices.Clone(xs)
	slices.SortFunc(xs, func(a, b iv) int { return cmp.Compare(a[0], b[0]) })
	var out []iv
	for _, x := range xs {
		if x[1] <= x[0] {
			continue
		}
		if n := len(out); n > 0 && x[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], x[1])
			continue
		}
		out = append(out, x)
	}
	return out
}

// intersect of two unions.
func intersect(a, b []iv) []iv {
	var out []iv
	for i, j := 0, 0; i < len(a) && j < len(b); {
		lo, hi := max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
		if hi > lo {
			out = append(out, iv{lo, hi})
		}
		if a[i][1] < b[j][1] {
			i++
		} else {
			j++
		}
	}
	return out
}

// subtract b from a (both unions).
func subtract(a, b []iv) []iv {
	var out []iv
	for _, x := range a {
		cur := []iv{x}
		for _, y := range b {
			var next []iv
			for _, c := range cur {
				if y[1] <= c[0] || y[0] >= c[1] {
					next = append(next, c)
					continue
				}
				if y[0] > c[0] {
					next = append(next, iv{c[0], y[0]})
				}
				if y[1] < c[1] {
					next = append(next, iv{y[1], c[1]})
				}
			}
			cur = next
		}
		out = append(out, cur...)
	}
	return out
}

func length(xs []iv) float64 {
	var s float64
	for _, x := range xs {
		s += x[1] - x[0]
	}
	return s
}
