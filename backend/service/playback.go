package service

import (
	"context"
	"net/http"
	"slices"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
	"castscope/backend/playback"
	"castscope/backend/screentime"
)

// PlaybackView is what the viewer loads once per episode: where to play
// the video, its picture size and timecode rate, the shot cuts, and every
// face track's sampled boxes with the identity it belongs to. The viewer
// draws each frame's boxes from these arrays (no call per frame).
type PlaybackView struct {
	Key    string          `json:"key"`
	Source playback.Source `json:"source"`
	// Width and Height are the source picture's: the boxes' pixels (a
	// proxy is smaller; the viewer scales).
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	DurationS float64 `json:"duration_s"`
	Rate      Rate    `json:"rate"`
	// TCStart is the start timecode in frames (0 for 00:00:00:00).
	TCStart  int64           `json:"tc_start"`
	SampleMs float64         `json:"sample_ms"`
	CutsMs   []int64         `json:"cuts_ms"`
	Tracks   []PlaybackTrack `json:"tracks"`
}

// Rate is a timecode rate: frames per second as Num/Den, drop-frame labels or not.
type Rate struct {
	Num  int64 `json:"num"`
	Den  int64 `json:"den"`
	Drop bool  `json:"drop"`
}

// PlaybackTrack is one face track: sample times (ms) and boxes (x1, y1,
// x2, y2 per sample, source pixels). IdentityID 0: in no identity.
type PlaybackTrack struct {
	TrackID    int64     `json:"track_id"`
	IdentityID int64     `json:"identity_id"`
	TMs        []int64   `json:"t_ms"`
	Boxes      []float32 `json:"boxes"`
}

// MediaHandler serves registered episodes' videos at /media/{key} (HTTP
// Range, a proxy where the window cannot play the file): the window's
// asset server hands it what the embedded assets do not answer.
func (b *Backend) MediaHandler() http.Handler { return b.media }

// MediaStatus says how key's video plays (directly, or through a proxy
// ready, being made or failed) without reading the tracks: what the
// viewer asks while a proxy is made.
func (b *Backend) MediaStatus(ctx context.Context, key string) (playback.Source, error) {
	return b.media.Status(ctx, key)
}

// mediaLookup is the media server's view of the registry.
func (b *Backend) mediaLookup(ctx context.Context, key string) (string, string, error) {
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return "", "", err
	}
	return ep.VideoPath, harvest.Dir(b.DataDir, key), nil
}

// Playback returns the viewer's data for an episode once tracking has run
// (ERR_ARTIFACT_MISSING before); tracks cluster has not yet placed, or
// placed in a run on other tracks, are IdentityID 0.
func (b *Backend) Playback(ctx context.Context, key string) (PlaybackView, error) {
	if err := episode.ValidateKey(key); err != nil {
		return PlaybackView{}, err
	}
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return PlaybackView{}, err
	}
	info, err := videoInfoOf(ep)
	if err != nil {
		return PlaybackView{}, err
	}
	src, err := b.media.Status(ctx, key)
	if err != nil {
		return PlaybackView{}, err
	}
	dir := harvest.Dir(b.DataDir, key)
	tracks, err := harvest.ReadTracks(dir)
	if err != nil {
		return PlaybackView{}, err
	}
	// Identities name tracks by id: those of a cluster run on tracks that
	// track has since replaced would put names on the wrong faces, so the
	// faces stay unnamed until cluster has run on these tracks.
	owner := map[int64]int64{}
	m, merr := harvest.ReadIdentitiesMetrics(dir)
	current := merr == nil && (m.Tracks == "" || m.Tracks == harvest.TracksDigest(tracks))
	ids, err := harvest.ReadIdentities(dir, tracks)
	switch {
	case err == nil && current:
		for _, id := range ids.Identities {
			for _, t := range id.TrackIDs {
				owner[t] = id.ID
			}
		}
	case err != nil && errs.CodeOf(err) != errs.ArtifactMissing:
		return PlaybackView{}, err
	}
	rate := screentime.RateOf(info.FPS, info.StartTimecode)
	v := PlaybackView{
		Key: key, Source: src, Width: info.Width, Height: info.Height, DurationS: info.DurationS,
		Rate:   Rate{Num: rate.Num, Den: rate.Den, Drop: rate.Drop},
		CutsMs: []int64{}, Tracks: make([]PlaybackTrack, 0, len(tracks)),
	}
	if info.StartTimecode != "" {
		if f, err := rate.ParseTimecode(info.StartTimecode); err == nil {
			v.TCStart = f
		}
	}
	var steps []int64
	for _, t := range tracks {
		pt := PlaybackTrack{TrackID: t.ID, IdentityID: owner[t.ID], TMs: t.PTSms, Boxes: make([]float32, 0, 4*len(t.Boxes))}
		for _, bx := range t.Boxes {
			pt.Boxes = append(pt.Boxes, bx[0], bx[1], bx[2], bx[3])
		}
		for i := 1; i < len(t.PTSms); i++ {
			steps = append(steps, t.PTSms[i]-t.PTSms[i-1])
		}
		v.Tracks = append(v.Tracks, pt)
	}
	v.SampleMs = sampleInterval(steps, info.FPS)
	if c, err := harvest.ReadCuts(dir); err == nil && c.PTSms != nil {
		v.CutsMs = c.PTSms
	}
	return v, nil
}

// sampleInterval is the sampling interval the tracks show: the smallest
// step between a track's samples that is common (a track's samples are
// consecutive sampled frames unless a face was missed). Without tracks it
// is one frame.
func sampleInterval(steps []int64, fps float64) float64 {
	if len(steps) == 0 {
		if fps > 0 {
			return 1000 / fps
		}
		return 200
	}
	slices.Sort(steps)
	return float64(steps[len(steps)/4]) // the lower quartile: missed samples only lengthen steps
}
