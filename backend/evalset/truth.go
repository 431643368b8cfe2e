// Package evalset holds Castscope's real-footage test set format and its
// scorer: a truth file per clip (who is visible when and where, written by
// looking at the frames) and the comparison of a finished run with it.
//
// Decisions:
//   - Truth is temporal and coarse-spatial: per face, spans in seconds with
//     one normalised box that holds the face throughout the span. That is
//     enough to tell which true face a detection is (its centre falls in the
//     box), so identities can be checked for splits, mixes and non-faces,
//     while the labelling stays a matter of minutes per clip.
//   - Named time is scored on the screen-time segments a user sees, not on
//     detections: precision, recall and F1 of the named seconds against the
//     person's visible seconds.
//   - Ignore spans count neither way (tiny, half-out, printed faces); with a
//     box only that region is ignored, without one the whole frame is.
//     Unscored spans (the shot a headshot was cut from) leave the scorer
//     entirely.
//   - The package is pure Go: the command that runs clips (cli eval) turns
//     a finished run into an Observed and calls Score.
package evalset

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Stranger is the prefix of a truth face no headshot may name.
const Stranger = "stranger:"

// Truth is one clip's truth file (CLIP.truth.json).
type Truth struct {
	Clip     string      `json:"clip"` // relative to the truth file, or absolute
	Note     string      `json:"note,omitempty"`
	Cast     []CastEntry `json:"cast"`
	Faces    []Face      `json:"faces"`
	Ignore   []Span      `json:"ignore,omitempty"`
	Unscored []Span      `json:"unscored,omitempty"`
	// Hard marks a clip whose people are known to fall short of the F1
	// targets, and why; they are held to its floor instead (every other
	// target still applies) and kept out of the mean.
	Hard *Hard `json:"hard,omitempty"`

	// Variant names the degraded copy (see Variant) this truth scores; ""
	// for the clip itself.
	Variant string `json:"-"`

	dir string // folder of the truth file
}

// Hard is why a clip is held to a lower bar, and that bar.
type Hard struct {
	Why   string  `json:"why"`
	MinF1 float64 `json:"min_f1"`
}

// CastEntry is one person of the show's cast list and their photos.
type CastEntry struct {
	Name      string   `json:"name"`
	Headshots []string `json:"headshots"` // relative to the truth file, or absolute
	Note      string   `json:"note,omitempty"`
}

// Face is one true face of the clip: a cast member or a stranger.
type Face struct {
	Who   string `json:"who"`
	Spans []Span `json:"spans"`
}

// Span is a time interval in seconds, with an optional normalised box
// [x1, y1, x2, y2] (0..1) that holds the face throughout.
type Span struct {
	Start float64     `json:"start"`
	End   float64     `json:"end"`
	Box   *[4]float64 `json:"box,omitempty"`
	Pose  string      `json:"pose,omitempty"`
	Why   string      `json:"why,omitempty"`
}

// IsStranger reports whether the face is one nobody may name.
func (f Face) IsStranger() bool { return strings.HasPrefix(f.Who, Stranger) }

// Name is the clip's name: its file name without the extension; a
// variant's is the original's plus " [variant]".
func (t Truth) Name() string {
	n := strings.TrimSuffix(filepath.Base(t.Clip), filepath.Ext(t.Clip))
	if t.Variant != "" {
		n = strings.TrimSuffix(n, "__"+t.Variant) + " [" + t.Variant + "]"
	}
	return n
}

// Path resolves a path of the truth file (the clip, a headshot).
func (t Truth) Path(p string) string {
	if filepath.IsAbs(p) || t.dir == "" {
		return p
	}
	return filepath.Join(t.dir, p)
}

// ClipPath is the clip's file.
func (t Truth) ClipPath() string { return t.Path(t.Clip) }

// Load reads and checks one truth file.
func Load(path string) (Truth, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Truth{}, err
	}
	var t Truth
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Truth{}, fmt.Errorf("%s: %w", path, err)
	}
	t.dir = filepath.Dir(path)
	if err := t.Check(); err != nil {
		return Truth{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// LoadDir reads every *.truth.json of dir, in name order.
func LoadDir(dir string) ([]Truth, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.truth.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no *.truth.json files in %s", dir)
	}
	sort.Strings(paths)
	out := make([]Truth, 0, len(paths))
	for _, p := range paths {
		t, err := Load(p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// Check reports what makes the truth unusable: no clip, a face named
// after nobody on the cast list, spans that run backwards, boxes outside
// the frame, a cast member without photos.
func (t Truth) Check() error {
	if t.Clip == "" {
		return fmt.Errorf("no clip")
	}
	if t.Hard != nil && (strings.TrimSpace(t.Hard.Why) == "" || t.Hard.MinF1 <= 0) {
		return fmt.Errorf("hard: say why, and give the F1 floor its people are held to")
	}
	cast := map[string]bool{}
	for _, c := range t.Cast {
		if strings.TrimSpace(c.Name) == "" || len(c.Headshots) == 0 {
			return fmt.Errorf("cast entry %q needs a name and at least one headshot", c.Name)
		}
		if cast[c.Name] {
			return fmt.Errorf("cast entry %q appears twice", c.Name)
		}
		cast[c.Name] = true
	}
	seen := map[string]bool{}
	for _, f := range t.Faces {
		if !f.IsStranger() && !cast[f.Who] {
			return fmt.Errorf("face %q is neither on the cast list nor a %q", f.Who, Stranger)
		}
		if seen[f.Who] {
			return fmt.Errorf("face %q appears twice: put all its spans in one entry", f.Who)
		}
		seen[f.Who] = true
		for _, s := range f.Spans {
			if s.Box == nil {
				return fmt.Errorf("face %q: span %.2f–%.2f has no box", f.Who, s.Start, s.End)
			}
			if err := s.check(); err != nil {
				return fmt.Errorf("face %q: %w", f.Who, err)
			}
		}
	}
	for _, s := range slices.Concat(t.Ignore, t.Unscored) {
		if err := s.check(); err != nil {
			return err
		}
	}
	return nil
}

func (s Span) check() error {
	if !(s.End > s.Start) || s.Start < 0 {
		return fmt.Errorf("span %.2f–%.2f runs backwards or before 0", s.Start, s.End)
	}
	if b := s.Box; b != nil {
		if b[0] < 0 || b[1] < 0 || b[2] > 1 || b[3] > 1 || b[2] <= b[0] || b[3] <= b[1] {
			return fmt.Errorf("span %.2f–%.2f: box %v is not inside the frame (0..1, x1<x2, y1<y2)", s.Start, s.End, *b)
		}
	}
	return nil
}

// OnScreen reports whether a cast member has any span.
func (t Truth) OnScreen(name string) bool {
	for _, f := range t.Faces {
		if f.Who == name && len(f.Spans) > 0 {
			return true
		}
	}
	return false
}
