package screentime

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"castscope/backend/errs"
)

// Logged is one hand-logged screen time.
type Logged struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// ParseLogged reads hand-logged timings, one person a line: "NAME 19.12"
// (the last field is the time; the name may hold spaces) or CSV
// "name,seconds" (a header line is skipped). A time is seconds or
// [H:]M:SS[.ff]. Blank lines and lines starting with # are ignored; a
// name seen twice is summed. A bad line is a typed error naming it.
func ParseLogged(rd io.Reader) ([]Logged, error) {
	sc := bufio.NewScanner(rd)
	var out []Logged
	idx := map[string]int{}
	line, seen := 0, false
	for sc.Scan() {
		line++
		s := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		var name, val string
		if i := strings.LastIndexAny(s, ",;\t"); i >= 0 {
			name, val = s[:i], s[i+1:]
		} else if i := strings.LastIndexAny(s, " "); i >= 0 {
			name, val = s[:i], s[i+1:]
		} else {
			return nil, badLine(line, s)
		}
		name = strings.Trim(strings.TrimSpace(name), `"`)
		v, err := parseSeconds(strings.Trim(strings.TrimSpace(val), `"`))
		if err != nil {
			if !seen {
				seen = true
				continue // a header may only come first
			}
			return nil, badLine(line, s)
		}
		seen = true
		if name == "" {
			return nil, badLine(line, s)
		}
		key := strings.ToLower(name)
		if i, ok := idx[key]; ok {
			out[i].Seconds += v
			continue
		}
		idx[key] = len(out)
		out = append(out, Logged{Name: name, Seconds: v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("screentime: read logged timings: %w", err)
	}
	return out, nil
}

func badLine(n int, s string) error {
	return errs.New(errs.Usage, fmt.Sprintf("Line %d of the logged timings is not \"NAME seconds\": %q.", n, s),
		"Write one person per line, e.g. \"Kyle 19.12\" or \"Kyle,1:02.5\".")
}

func parseSeconds(s string) (float64, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, fmt.Errorf("too many fields")
	}
	var v float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(p, 64)
		if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			return 0, fmt.Errorf("not a time: %q", s)
		}
		if i < len(parts)-1 && x != math.Trunc(x) {
			return 0, fmt.Errorf("not a time: %q", s)
		}
		v = v*60 + x
	}
	return v, nil
}

// Comparison is computed vs. logged time for one name.
type Comparison struct {
	Name       string  `json:"name"`
	IdentityID int64   `json:"identity_id,omitempty"` // 0: no person of that label
	Found      bool    `json:"found"`
	ComputedS  float64 `json:"computed_s"`
	LoggedS    float64 `json:"logged_s"`
	DiffS      float64 `json:"diff_s"`   // computed − logged
	DiffPct    float64 `json:"diff_pct"` // of logged (0 when logged is 0)
	MarginS    float64 `json:"margin_s"`
	Within     bool    `json:"within"` // |diff| ≤ max(margin, 2 % of logged, 0.5 s)
}

// Compare lines the report up with hand-logged timings by label (case
// ignored), largest difference first.
func Compare(r Report, logged []Logged) []Comparison {
	var out []Comparison
	for _, l := range logged {
		c := Comparison{Name: l.Name, LoggedS: l.Seconds}
		if p, ok := r.Person(l.Name); ok {
			c.Found, c.IdentityID, c.ComputedS, c.MarginS = true, p.IdentityID, p.ScreenTimeS, p.MarginS
		}
		c.DiffS = math.Round((c.ComputedS-c.LoggedS)*1000) / 1000
		if c.LoggedS > 0 {
			c.DiffPct = math.Round(c.DiffS/c.LoggedS*10000) / 100
		}
		c.Within = c.Found && math.Abs(c.DiffS) <= max(c.MarginS, 0.02*c.LoggedS, 0.5)
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Comparison) int {
		return cmp.Compare(math.Abs(b.DiffS), math.Abs(a.DiffS))
	})
	return out
}
