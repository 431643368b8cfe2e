package screentime

import (
	"fmt"
	"strings"

	"castscope/backend/errs"
)

// RateOf is the timecode rate of a video: its frame rate snapped to a
// common rate, drop-frame when its start timecode says so (";").
func RateOf(fps float64, startTC string) Rate {
	return RateFromFPS(fps, strings.Contains(startTC, ";"))
}

// OnlyPerson keeps the report's rows labelled name (case ignored: two
// identities the user gave one name are one person to an editor) and drops
// the unidentified faces; an unknown name is ERR_USAGE.
func OnlyPerson(rep Report, name string) (Report, error) {
	var keep []Person
	for _, p := range rep.People {
		if strings.EqualFold(strings.TrimSpace(p.Label), strings.TrimSpace(name)) {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return rep, errs.New(errs.Usage, fmt.Sprintf("No person is labelled %q in this episode.", name), "Check the names in the Cast view or in screentime.csv.")
	}
	at := map[int64]int{}
	for i, id := range rep.CoAppearance.IdentityIDs {
		at[id] = i
	}
	co := CoAppearance{IdentityIDs: make([]int64, len(keep)), Seconds: make([][]float64, len(keep))}
	for i, p := range keep {
		co.IdentityIDs[i] = p.IdentityID
		co.Seconds[i] = make([]float64, len(keep))
		for j, q := range keep {
			a, aok := at[p.IdentityID]
			b, bok := at[q.IdentityID]
			if aok && bok && a < len(rep.CoAppearance.Seconds) && b < len(rep.CoAppearance.Seconds[a]) {
				co.Seconds[i][j] = rep.CoAppearance.Seconds[a][b]
			}
		}
	}
	rep.People = keep
	rep.Unidentified = Unidentified{Segments: []Segment{}}
	rep.CoAppearance = co
	return rep, nil
}
