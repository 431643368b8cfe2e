package evalset

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func box(x1, y1, x2, y2 float64) *[4]float64 { return &[4]float64{x1, y1, x2, y2} }

// truth: Ann on the left 0–4 s, a stranger on the right 2–6 s, a poster
// ignored at the top 0–6 s, the first second unscored; Bob never on screen.
func fixture() Truth {
	return Truth{
		Clip: "show.mp4",
		Cast: []CastEntry{{Name: "Ann", Headshots: []string{"ann.jpg"}}, {Name: "Bob", Headshots: []string{"bob.jpg"}}},
		Faces: []Face{
			{Who: "Ann", Spans: []Span{{Start: 0, End: 4, Box: box(0.1, 0.3, 0.3, 0.6)}}},
			{Who: "stranger:man", Spans: []Span{{Start: 2, End: 6, Box: box(0.6, 0.3, 0.8, 0.6)}}},
		},
		Ignore:   []Span{{Start: 0, End: 6, Box: box(0.4, 0, 0.6, 0.2)}},
		Unscored: []Span{{Start: 0, End: 1}},
	}
}

// faces samples a box (normalised, on a 1000×1000 frame) every 0.2 s.
func faces(from, to float64, b [4]float64) []Detection {
	var out []Detection
	for t := from; t <= to+1e-9; t += 0.2 {
		out = append(out, Detection{T: t, Box: [4]float64{b[0] * 1000, b[1] * 1000, b[2] * 1000, b[3] * 1000}})
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestScorePerfectAndWrong(t *testing.T) {
	tr := fixture()
	if err := tr.Check(); err != nil {
		t.Fatal(err)
	}
	ann := [4]float64{0.15, 0.35, 0.25, 0.55}
	man := [4]float64{0.65, 0.35, 0.75, 0.55}
	poster := [4]float64{0.45, 0.05, 0.55, 0.15}
	wall := [4]float64{0.85, 0.8, 0.95, 0.9}
	o := Observed{Width: 1000, Height: 1000, Identities: []Identity{
		{ID: 1, Label: "Ann", Name: "Ann", Segments: [][2]float64{{0, 3}}, Faces: faces(0, 3, ann)},
		{ID: 2, Label: "Bob", Name: "Bob", Segments: [][2]float64{{2, 6}}, Faces: faces(2, 6, man)},
		{ID: 3, Label: "Person 3", Segments: [][2]float64{{0, 6}}, Faces: faces(0, 6, poster)},
		{ID: 4, Label: "Person 4", Segments: [][2]float64{{1, 2}}, Faces: faces(1, 2, wall)},
		{ID: 5, Label: "Person 5", Segments: [][2]float64{{3, 4}}, Faces: append(faces(3, 3.8, ann), faces(3, 3.4, man)...)},
	}}
	cs := Score(tr, o, DefaultTargets)
	if len(cs.People) != 1 || cs.People[0].Name != "Ann" {
		t.Fatalf("people %+v", cs.People)
	}
	p := cs.People[0]
	// truth 1–4 (first second unscored), named 1–3: precision 1, recall 2/3.
	if !near(p.TrueS, 3) || !near(p.NamedS, 2) || !near(p.Precision, 1) || !near(p.Recall, 2.0/3) || !near(p.F1, 0.8) || p.Identities != 2 {
		t.Fatalf("Ann %+v", p)
	}
	if len(cs.NeverOnScreen) != 1 || cs.NeverOnScreen[0] != "Bob" {
		t.Fatalf("never on screen %v", cs.NeverOnScreen)
	}
	if cs.StrangersNamed != 1 || cs.NotFaces != 1 || cs.Mixed != 1 || cs.WrongNames != 0 {
		t.Fatalf("counts %+v", cs)
	}
	if id := cs.Identities[2]; id.Owner != ownerIgnored || id.Verdict != "ok" {
		t.Fatalf("the poster is ignored, not judged: %+v", id)
	}
	if id := cs.Identities[4]; id.Owner != "Ann" || !near(id.Mix, 3.0/8) {
		t.Fatalf("mixed identity %+v", id)
	}
	set := Summarise([]ClipScore{cs}, DefaultTargets)
	if set.MeanF1 != 0.8 || len(set.Failures) != 5 {
		t.Fatalf("set %+v", set)
	}
}

func TestScoreClean(t *testing.T) {
	tr := fixture()
	o := Observed{Width: 1000, Height: 1000, Identities: []Identity{
		{ID: 1, Label: "Ann", Name: "Ann", Segments: [][2]float64{{0, 4}}, Faces: faces(0, 4, [4]float64{0.15, 0.35, 0.25, 0.55})},
		{ID: 2, Label: "Person 2", Segments: [][2]float64{{2, 6}}, Faces: faces(2, 6, [4]float64{0.65, 0.35, 0.75, 0.55})},
	}}
	set := Summarise([]ClipScore{Score(tr, o, DefaultTargets)}, DefaultTargets)
	if set.MeanF1 != 1 || len(set.Failures) != 0 {
		t.Fatalf("%+v", set)
	}
	var b strings.Builder
	set.Print(&b)
	if !strings.Contains(b.String(), "targets: all met") || !strings.Contains(b.String(), "Ann") {
		t.Fatalf("table:\n%s", b.String())
	}
}

func TestLoadRejectsBadTruth(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown.truth.json":   `{"clip":"a.mp4","cast":[],"faces":[{"who":"Ann","spans":[{"start":0,"end":1,"box":[0,0,1,1]}]}]}`,
		"backwards.truth.json": `{"clip":"a.mp4","faces":[{"who":"stranger:x","spans":[{"start":2,"end":1,"box":[0,0,1,1]}]}]}`,
		"nobox.truth.json":     `{"clip":"a.mp4","faces":[{"who":"stranger:x","spans":[{"start":0,"end":1}]}]}`,
		"field.truth.json":     `{"clip":"a.mp4","facez":[]}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestIntervals(t *testing.T) {
	u := union([]iv{{3, 4}, {0, 1}, {0.5, 2}})
	if len(u) != 2 || u[0] != (iv{0, 2}) || u[1] != (iv{3, 4}) {
		t.Fatalf("union %v", u)
	}
	if got := length(intersect(u, []iv{{1, 3.5}})); !near(got, 1.5) {
		t.Fatalf("intersect %v", got)
	}
	if got := subtract(u, []iv{{0.5, 1}, {3.2, 3.3}}); !near(length(got), 2.4) || len(got) != 4 {
		t.Fatalf("subtract %v", got)
	}
}

func TestHardClipHeldToItsFloor(t *testing.T) {
	tr := fixture()
	tr.Hard = &Hard{Why: "profile shot the detector half misses", MinF1: 0.7}
	o := Observed{Width: 1000, Height: 1000, Identities: []Identity{
		{ID: 1, Label: "Ann", Name: "Ann", Segments: [][2]float64{{0, 3}}, Faces: faces(0, 3, [4]float64{0.15, 0.35, 0.25, 0.55})},
	}}
	set := Summarise([]ClipScore{Score(tr, o, DefaultTargets)}, DefaultTargets)
	if len(set.Failures) != 0 || set.MeanF1 != 0 {
		t.Fatalf("F1 0.8 over a floor of 0.7: %+v", set)
	}
	tr.Hard.MinF1 = 0.9
	if set = Summarise([]ClipScore{Score(tr, o, DefaultTargets)}, DefaultTargets); len(set.Failures) != 1 {
		t.Fatalf("under the floor: %+v", set.Failures)
	}
	tr.Hard.Why = ""
	if err := tr.Check(); err == nil {
		t.Fatal("a hard clip must say why")
	}
}

func TestVariantsScoredApart(t *testing.T) {
	vs, err := VariantsOf("dark, half")
	if err != nil || len(vs) != 2 || vs[0].Name != "dark" || vs[1].CRF != 18 {
		t.Fatalf("%+v %v", vs, err)
	}
	if _, err := VariantsOf("dark,blurry"); err == nil || !strings.Contains(err.Error(), "crf40") {
		t.Fatalf("unknown variant: %v", err)
	}
	tr := fixture()
	dark := tr.Of(vs[0], "/tmp/x/show__dark.mp4")
	if dark.Name() != "show [dark]" || dark.ClipPath() != "/tmp/x/show__dark.mp4" {
		t.Fatalf("variant %q %q", dark.Name(), dark.ClipPath())
	}
	// The variant loses Ann (F1 0) and names nobody wrongly: reported,
	// not a failure; naming a stranger in a variant is one.
	lost := Score(dark, Observed{Width: 1000, Height: 1000}, DefaultTargets)
	set := Summarise([]ClipScore{lost}, DefaultTargets)
	if len(set.Failures) != 0 || set.MeanF1 != 0 || len(lost.People) != 1 {
		t.Fatalf("a lost person in a variant: %+v", set)
	}
	wrong := Score(dark, Observed{Width: 1000, Height: 1000, Identities: []Identity{
		{ID: 1, Label: "Bob", Name: "Bob", Segments: [][2]float64{{2, 6}}, Faces: faces(2, 6, [4]float64{0.65, 0.35, 0.75, 0.55})},
	}}, DefaultTargets)
	if set = Summarise([]ClipScore{wrong}, DefaultTargets); len(set.Failures) != 1 {
		t.Fatalf("a stranger named in a variant: %+v", set.Failures)
	}
}
