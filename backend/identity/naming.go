package identity

import (
	"cmp"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"castscope/backend/track"
)

// Naming from the cast list is an open-set assignment: most faces in an
// episode belong to nobody on the list, and a photo of someone who never
// appears must name nobody. An identity takes a name when its best photo
// match is clearly better than
//   - its match with every other name (the margin over the next name), and
//   - that name's match with every other identity (a photo names the face
//     it matches best; a second face of the person, kept apart by the
//     clustering, is offered instead),
//
// and clears a floor. From StrongCos on, only the margin over the next
// name counts: one person split into two identities gets the name twice.
// Below the bar but plausible, the name is offered as
// a suggestion for one-click confirmation.
//
// An identity is compared with a photo through several prototypes: its
// centroid and each of its tracks' embeddings (tracks are quality-weighted
// means), taking the best. Frontal and profile faces of one person are far
// apart for one mean; the photo is usually frontal, and so is one of the
// tracks.
//
// The bars are calibrated on the real set (testdata/real and footage
// measured by hand, castscope eval): a track's embedding against a cast
// photo scored 0.51–0.96 for the same person seen frontally, 0.25–0.73 in
// profile, at most 0.44 for another cast member and at most 0.26 for a
// stranger. Profiles and other people overlap: no bar tells them apart,
// which is why a profile is named through the frontal tracks of its
// identity, or offered, rather than by a lower bar.
const (
	DefaultNameMinCos    = 0.32 // the best photo must reach this
	DefaultNameMargin    = 0.08 // over the next name and over the name's rival on screen
	DefaultStrongCos     = 0.5  // from here the rival margin may be small: the face is the photo's
	DefaultSuggestMinCos = 0.22 // from here a name is offered
)

// NameConfig tunes Name. Every zero field takes its Default.
type NameConfig struct {
	MinCos, Margin, StrongCos, SuggestMinCos float32
}

func (c NameConfig) withDefaults() NameConfig {
	c.MinCos = cmp.Or(c.MinCos, DefaultNameMinCos)
	c.Margin = cmp.Or(c.Margin, DefaultNameMargin)
	c.StrongCos = cmp.Or(c.StrongCos, DefaultStrongCos)
	c.SuggestMinCos = cmp.Or(c.SuggestMinCos, DefaultSuggestMinCos)
	return c
}

// Candidate is a name for an identity with the evidence for it.
type Candidate struct {
	Name   string  `json:"name"`
	File   string  `json:"file"`   // the photo that matched best
	Score  float32 `json:"score"`  // its cosine with the identity
	Margin float32 `json:"margin"` // over the next name and the name's rival (the smaller; for an offer, rivals on screen with it)
	Next   string  `json:"next,omitempty"`
	Rival  int64   `json:"rival,omitempty"` // the other identity that matched the name best
}

// Reason says in words why a name was given or offered.
func (c Candidate) Reason() string {
	why := fmt.Sprintf("photo %s matches %.2f", filepath.Base(c.File), c.Score)
	if c.Next != "" {
		why += fmt.Sprintf(", next name %s", c.Next)
	}
	return why + fmt.Sprintf(", margin %.2f", c.Margin)
}

// Name gives identities names from the cast list (refs) and offers the
// names it cannot give (see the rules above). tracks supply the identities'
// per-track prototypes and their times; an identity the user named keeps
// its name as Label.
func Name(res Result, tracks []track.Track, refs []Reference, cfg NameConfig) Result {
	cfg = cfg.withDefaults()
	res.Identities = slices.Clone(res.Identities)
	byID := make(map[int64]*track.Track, len(tracks))
	for i := range tracks {
		byID[tracks[i].ID] = &tracks[i]
	}
	names := namesOf(refs)
	nameOf := make([]int, len(refs)) // index in names of each ref's name
	for j, r := range refs {
		nameOf[j] = slices.Index(names, r.Name)
	}
	ids := res.Identities
	// score[i][k]: identity i against name k, and the photo.
	score := make([][]float32, len(ids))
	file := make([][]string, len(ids))
	for i := range ids {
		id := &ids[i]
		id.FacebankName, id.FacebankScore, id.FacebankMargin, id.FacebankFile, id.Suggestion = "", 0, 0, "", nil
		id.Label = cmp.Or(id.Name, fmt.Sprintf("Person %d", id.ID))
		protos := prototypes(*id, byID)
		score[i] = make([]float32, len(names))
		file[i] = make([]string, len(names))
		for k := range names {
			score[i][k] = float32(math.Inf(-1))
		}
		for j, r := range refs {
			k := nameOf[j]
			for _, p := range protos {
				if len(p) != len(r.Embedding) {
					continue
				}
				if c := track.Cosine(p, r.Embedding); c > score[i][k] {
					score[i][k], file[i][k] = c, r.File
				}
			}
		}
	}
	for i := range ids {
		id := &ids[i]
		best, next := -1, -1
		for k := range names {
			switch {
			case best < 0 || score[i][k] > score[i][best]:
				best, next = k, best
			case next < 0 || score[i][k] > score[i][next]:
				next = k
			}
		}
		if best < 0 || math.IsInf(float64(score[i][best]), -1) {
			continue
		}
		c := Candidate{Name: names[best], File: file[i][best], Score: score[i][best], Margin: float32(math.Inf(1))}
		if next >= 0 && !math.IsInf(float64(score[i][next]), -1) {
			c.Next, c.Margin = names[next], c.Score-score[i][next]
		}
		// The rival: the other identity that matched the name best. For an
		// offer only faces on screen at the same time compete: one a
		// little less like the photo than a named identity may be that
		// person's other side.
		nameMargin := c.Margin
		rivalMargin, offerMargin := float32(math.Inf(1)), float32(math.Inf(1))
		for j := range ids {
			if j == i {
				continue
			}
			m := c.Score - score[j][best]
			if m < rivalMargin {
				rivalMargin, c.Rival = m, ids[j].ID
			}
			if m < offerMargin && together(ids[i].TrackIDs, ids[j].TrackIDs, byID) {
				offerMargin = m
			}
		}
		c.Margin = min(nameMargin, rivalMargin)
		named := c.Score >= cfg.MinCos && c.Margin >= cfg.Margin
		if !named && c.Score >= cfg.StrongCos && (c.Next == "" || c.Score-score[i][next] >= cfg.Margin) {
			named = true // a match this close is the photo's person, even split in two identities
			c.Margin = nameMargin
		}
		finite := func(m float32) float32 {
			if math.IsInf(float64(m), 1) {
				return c.Score // no other name and nobody beside it
			}
			return m
		}
		switch {
		case named:
			c.Margin = finite(c.Margin)
			id.FacebankName, id.FacebankScore, id.FacebankMargin, id.FacebankFile = c.Name, c.Score, c.Margin, c.File
			if id.Name == "" {
				id.Label = c.Name
			}
		case id.Name == "" && c.Score >= cfg.SuggestMinCos && min(nameMargin, offerMargin) > 0:
			c.Margin = finite(min(nameMargin, offerMargin))
			id.Suggestion = &c
		}
	}
	return res
}

// namesOf lists the distinct names of refs, in order.
func namesOf(refs []Reference) []string {
	var out []string
	for _, r := range refs {
		if !slices.Contains(out, r.Name) {
			out = append(out, r.Name)
		}
	}
	return out
}

// prototypes are the embeddings an identity is compared through: its
// centroid and the embedding of each of its tracks.
func prototypes(id Identity, byID map[int64]*track.Track) [][]float32 {
	out := [][]float32{}
	if len(id.Centroid) > 0 {
		out = append(out, id.Centroid)
	}
	for _, tid := range id.TrackIDs {
		if t := byID[tid]; t != nil && len(t.Embedding) > 0 {
			out = append(out, t.Embedding)
		}
	}
	return out
}
