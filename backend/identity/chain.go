package identity

import (
	"cmp"
	"math"
	"slices"

	"castscope/backend/track"
)

// Within one shot the tracker loses a face it cannot see well for a
// moment (a profile the detector misses, motion blur, a hand) and starts a
// new track when it comes back. Those tracks are one person far more often
// than their embeddings alone say: the pieces of a profile shot are as
// unlike each other as they are unlike anyone (0.3–0.5 on the real set,
// under the clustering's 0.5). So before clustering, tracks of one shot
// that follow each other closely are chained into one unit when they are
// alike enough (ChainMinCos) and nothing else competes for the link:
//   - same shot (track.Track.Shot, known), the later starting after the
//     earlier ends, within ChainGapMs;
//   - the later starts near where the earlier ended: within 3 face
//     heights, plus 3 more per second of the gap (a tracking shot moves a
//     face across the frame; a crowd puts another face there);
//   - the earlier did not end because another face took its place
//     (track.Track.Changed: the tracker saw the person change);
//   - nobody else is on screen from the earlier's start to the later's end
//     (in a crowd a lost face is as likely to come back as anyone's);
//   - the best candidate is clearly better than the next (ChainMargin);
//   - one of the two is seen mostly in profile (track.ProfileYaw): frontal
//     faces embed well, and two frontal tracks less alike than the
//     clustering asks are two people (on the real set different people
//     seen frontally in one place, one after the other, were up to 0.49
//     alike), while the pieces of one profile shot were 0.28–0.47 alike.
// The units are clustered as one track each (their tracks' embeddings,
// weighted by detections); a unit keeps apart from anything on screen
// during its span.

// Defaults of the chaining (Config).
const (
	DefaultChainMinCos = 0.35
	DefaultChainGapMs  = 2500
	DefaultChainMargin = 0.1
)

// unit is one chain of tracks and the track that stands for it.
type unit struct {
	members []*track.Track
	as      track.Track // span and embedding of the chain
	dets    int         // detections of its tracks
	sum     []float64
}

func (u *unit) add(t *track.Track) {
	u.members = append(u.members, t)
	if len(u.members) == 1 {
		u.as = track.Track{ID: t.ID, StartPTSms: t.StartPTSms, MedianFaceH: t.MedianFaceH, Shot: t.Shot}
	}
	u.as.EndPTSms = max(u.as.EndPTSms, t.EndPTSms)
	u.as.Changed = t.Changed
	u.dets += t.Len()
	if len(t.Embedding) > 0 {
		if u.sum == nil {
			u.sum = make([]float64, len(t.Embedding))
		}
		w := float64(max(t.Len(), 1))
		for i, v := range t.Embedding {
			u.sum[i] += w * float64(v)
		}
		u.as.Embedding = unit64(u.sum)
	}
}

// chainTracks groups ts (any order) into units, in order of start.
func chainTracks(ts []*track.Track, cfg Config) []*unit {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b *track.Track) int {
		return cmp.Or(cmp.Compare(a.StartPTSms, b.StartPTSms), cmp.Compare(a.ID, b.ID))
	})
	profile := make(map[*track.Track]bool, len(ts)) // seen mostly in profile
	for _, t := range ts {
		profile[t] = t.MedianYaw() >= track.ProfileYaw
	}
	var us []*unit
	for _, t := range ts {
		best, second, bi := float32(-2), float32(-2), -1
		if t.Shot > 0 && !cfg.KeepShotsApart && len(t.Embedding) > 0 {
			for i, u := range us {
				tail := u.members[len(u.members)-1]
				if u.as.Shot != t.Shot || u.as.Changed || tail.EndPTSms >= t.StartPTSms ||
					t.StartPTSms-tail.EndPTSms > cfg.ChainGapMs || len(u.as.Embedding) != len(t.Embedding) ||
					!within(tail, t) || (!profile[tail] && !profile[t]) ||
					crowded(ts, tail, t) {
					continue
				}
				switch c := track.Cosine(u.as.Embedding, t.Embedding); {
				case c > best:
					best, second, bi = c, best, i
				case c > second:
					second = c
				}
			}
		}
		if bi >= 0 && best >= float32(cfg.ChainMinCos) && best-second >= float32(cfg.ChainMargin) {
			us[bi].add(t)
			continue
		}
		u := &unit{}
		u.add(t)
		us = append(us, u)
	}
	return us
}

// within reports whether b's first box is near a's last: centres at most
// 3 face heights apart, plus 3 per second between them. Tracks without
// boxes are near (nothing says otherwise).
func within(a, b *track.Track) bool {
	if len(a.Boxes) == 0 || len(b.Boxes) == 0 {
		return true
	}
	p, q := a.Boxes[len(a.Boxes)-1], b.Boxes[0]
	h := float64(max(p[3]-p[1], q[3]-q[1]))
	dx := float64((p[0]+p[2])/2 - (q[0]+q[2])/2)
	dy := float64((p[1]+p[3])/2 - (q[1]+q[3])/2)
	gapS := float64(b.StartPTSms-a.EndPTSms) / 1000
	return math.Hypot(dx, dy) <= h*(3+3*gapS)
}

// crowded reports whether a track other than a and b (ts sorted by start)
// is on screen in a's shot between a's start and b's end.
func crowded(ts []*track.Track, a, b *track.Track) bool {
	for _, o := range ts {
		if o.StartPTSms > b.EndPTSms {
			break
		}
		if o != a && o != b && o.Shot == a.Shot && o.EndPTSms >= a.StartPTSms {
			return true
		}
	}
	return false
}
