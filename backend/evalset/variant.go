package evalset

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Variant is a degraded copy of every clip, scored apart from the
// originals: the same truth (times and normalised boxes hold), another
// picture. Filter is an ffmpeg video filter.
type Variant struct {
	Name   string
	Filter string
	CRF    int // H.264 quality the copy is encoded at
	What   string
}

// Variants are the degradations castscope eval --variants knows.
var Variants = []Variant{
	{"dark", "curves=all='0/0 1/0.3',noise=alls=10:allf=t", 18, "low light: levels down to 30 %, sensor noise"},
	{"half", "scale=trunc(iw/4)*2:trunc(ih/4)*2", 18, "small faces: half the width and height"},
	{"crf40", "null", 40, "recompressed: H.264 at CRF 40"},
}

// VariantsOf parses a comma-separated list of variant names.
func VariantsOf(list string) ([]Variant, error) {
	var out []Variant
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		i := slices.IndexFunc(Variants, func(v Variant) bool { return v.Name == n })
		if i < 0 {
			var names []string
			for _, v := range Variants {
				names = append(names, v.Name)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("unknown variant %q (known: %s)", n, strings.Join(names, ", "))
		}
		out = append(out, Variants[i])
	}
	return out, nil
}

// Of returns the truth of the variant v of t, whose clip is file.
func (t Truth) Of(v Variant, file string) Truth {
	t.Clip, t.Variant = file, v.Name
	return t
}
