package service

import (
	"cmp"
	"context"
	"encoding/json"

	"castscope/backend/evalset"
	"castscope/backend/video"
)

// Observe returns what the last run found in episode key, in the shape the
// real-footage scorer reads: every identity with its name, its screen-time
// segments and the boxes of its faces.
func (b *Backend) Observe(ctx context.Context, key string) (evalset.Observed, error) {
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return evalset.Observed{}, err
	}
	var info video.Info
	_ = json.Unmarshal(ep.Video, &info) // validate wrote it; a zero size scores every face as none
	d, err := b.castData(key)
	if err != nil {
		return evalset.Observed{}, err
	}
	rep, err := b.ScreenTime(ctx, key)
	if err != nil {
		return evalset.Observed{}, err
	}
	segs := map[int64][][2]float64{}
	for _, p := range rep.People {
		for _, s := range p.Segments {
			segs[p.IdentityID] = append(segs[p.IdentityID], [2]float64{s.StartS, s.EndS})
		}
	}
	byTrack := d.trackIndex()
	o := evalset.Observed{Width: float64(info.Width), Height: float64(info.Height)}
	for _, id := range d.ids.Identities {
		oi := evalset.Identity{ID: id.ID, Label: id.Label, Name: cmp.Or(id.Name, id.FacebankName), Segments: segs[id.ID]}
		for _, tid := range id.TrackIDs {
			t := byTrack[tid]
			if t == nil {
				continue
			}
			for i, b := range t.Boxes {
				oi.Faces = append(oi.Faces, evalset.Detection{T: float64(t.PTSms[i]) / 1000,
					Box: [4]float64{float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])}})
			}
		}
		o.Identities = append(o.Identities, oi)
	}
	return o, nil
}
