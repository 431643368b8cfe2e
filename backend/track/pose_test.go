package track_test

import (
	"context"
	"math"
	"testing"

	"castscope/backend/track"
)

// face places five landmarks in the 100 px box at (0, 0): eyes at x 27
// and 73, y 40 (a frontal face's eye span, 0.46 box widths), the nose at
// x nose, y 55, the mouth corners at y mouthY.
func face(nose, mouthY float32) []float32 {
	return []float32{27, 40, 73, 40, nose, 55, 35, mouthY, 65, mouthY}
}

var box100 = [4]float32{0, 0, 100, 100}

func TestPoseOf(t *testing.T) {
	for _, c := range []struct {
		name      string
		lm        []float32
		yaw       float32
		plausible bool
	}{
		{"frontal", face(50, 75), 0, true},
		{"three-quarter", face(38.5, 75), 0.5, true},
		{"profile: nose at an eye", face(27, 75), 1, true},
		{"profile: eyes together, nose beyond them", []float32{70, 39, 84, 39, 94, 66, 56, 76, 69, 77}, 1, true},
		{"mouth above the eyes", face(50, 20), 0, false},
		{"mouth above the nose", face(50, 52), 0, false},
		{"mouth below the box (a mask's chin)", face(50, 160), 0, false},
		{"nose outside the box", face(140, 75), 1, false},
		{"unknown", nil, -1, true},
	} {
		yaw, ok := track.PoseOf(box100, c.lm)
		if math.Abs(float64(yaw-c.yaw)) > 1e-4 || ok != c.plausible {
			t.Errorf("%s: yaw %.3f plausible %v, want %.3f %v", c.name, yaw, ok, c.yaw, c.plausible)
		}
	}
	// A head tilted 15° stays a frontal face.
	lm := face(50, 75)
	sin, cos := float32(math.Sin(math.Pi/12)), float32(math.Cos(math.Pi/12))
	for i := 0; i < len(lm); i += 2 {
		x, y := lm[i]-50, lm[i+1]-50
		lm[i], lm[i+1] = 50+x*cos-y*sin, 50+x*sin+y*cos
	}
	if yaw, ok := track.PoseOf(box100, lm); !ok || yaw > 0.05 {
		t.Errorf("tilted frontal: yaw %.3f plausible %v", yaw, ok)
	}
}

func TestFaceQualityWeighsTheEmbedding(t *testing.T) {
	box := box100
	frontal := track.Detection{Box: box, Score: 0.99, Landmarks: face(50, 75), Blur: 40}
	profile := track.Detection{Box: box, Score: 0.99, Landmarks: face(27, 75), Blur: 40}
	blurred := track.Detection{Box: box, Score: 0.99, Landmarks: face(50, 75), Blur: 2}
	odd := track.Detection{Box: box, Score: 0.99, Landmarks: face(50, 20), Blur: 40}
	qf, qp, qb, qo := track.FaceQuality(frontal, 64), track.FaceQuality(profile, 64), track.FaceQuality(blurred, 64), track.FaceQuality(odd, 64)
	if !(qf > qp && qp > 0 && qf > qb && qb > 0 && qo == 0) {
		t.Fatalf("qualities frontal %.2f profile %.2f blurred %.2f odd %.2f", qf, qp, qb, qo)
	}
	// One track: three frontal faces with embedding a, three profile faces
	// with embedding b. The track's embedding leans to a.
	a, b := unit(1, 0), unit(0, 1)
	var dets []track.Detection
	for i := range int64(6) {
		d := frontal
		d.Embedding = a
		if i%2 == 1 {
			d = profile
			d.Embedding = b
		}
		d.DetID, d.FrameIndex, d.PTSms = i+1, i, i*200
		d.Box = [4]float32{float32(i), 0, 100 + float32(i), 100}
		// same person: the gate compares with the running mean, so keep b near a
		if i%2 == 1 {
			d.Embedding = unit(1, 0.8)
		}
		dets = append(dets, d)
	}
	res, err := track.Build(context.Background(), nil, dets, nil, track.Config{})
	if err != nil || len(res.Tracks) != 1 {
		t.Fatalf("%v %d tracks", err, len(res.Tracks))
	}
	tr := res.Tracks[0]
	plain := track.Cosine(unit(3, 3*0.8/float32(math.Hypot(1, 0.8))), tr.Embedding)
	if c := track.Cosine(a, tr.Embedding); c <= plain {
		t.Fatalf("weighted embedding %.3f to the frontal face, the plain mean %.3f", c, plain)
	}
	if len(tr.Yaws) != 6 || tr.Yaws[0] != 0 || tr.Yaws[1] != 1 || tr.NonFace != 0 {
		t.Fatalf("yaws %v non-face %.2f", tr.Yaws, tr.NonFace)
	}
}

func unit(x, y float32) []float32 {
	v := make([]float32, 8)
	n := float32(math.Hypot(float64(x), float64(y)))
	v[0], v[1] = x/n, y/n
	return v
}

func TestStraddlingAndInnerBoxesNeverFoundATrack(t *testing.T) {
	// Two faces side by side for ten frames; a lower-scoring box across
	// both, and a small box on one face's eye, on every frame.
	var dets []track.Detection
	id := int64(0)
	for f := range int64(10) {
		for _, d := range []track.Detection{
			{Box: [4]float32{100, 100, 200, 220}, Score: 0.99, Embedding: unit(1, 0)},
			{Box: [4]float32{210, 100, 310, 220}, Score: 0.98, Embedding: unit(0, 1)},
			{Box: [4]float32{150, 100, 260, 220}, Score: 0.80, Embedding: unit(1, 1)},
			{Box: [4]float32{120, 130, 150, 160}, Score: 0.75, Embedding: unit(1, 0.2)},
		} {
			id++
			d.DetID, d.FrameIndex, d.PTSms = id, f, f*200
			dets = append(dets, d)
		}
	}
	res, err := track.Build(context.Background(), nil, dets, nil, track.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tracks) != 2 || res.Metrics.Suppressed != 20 {
		t.Fatalf("%d tracks, %d suppressed; want the two faces only, 20 boxes dropped", len(res.Tracks), res.Metrics.Suppressed)
	}
	for _, tr := range res.Tracks {
		if tr.Len() != 10 {
			t.Fatalf("track %d has %d faces, want 10", tr.ID, tr.Len())
		}
	}
}

// Two people one after the other in the same place, alike enough (cosine
// 0.35) to pass the embedding gate against the track's mean: the change
// gate still ends the first track where the face changes, as a cut would.
func TestChangeGateSplitsOnePlaceTwoPeople(t *testing.T) {
	a := unit(1, 0)
	b := unit(0.35, float32(math.Sqrt(1-0.35*0.35)))
	var dets []track.Detection
	for i := range int64(20) {
		emb := a
		if i >= 10 {
			emb = b
		}
		dets = append(dets, track.Detection{DetID: i + 1, FrameIndex: i, PTSms: i * 200, Box: [4]float32{100, 100, 180, 200}, Score: 0.9, Embedding: emb})
	}
	res, err := track.Build(context.Background(), nil, dets, nil, track.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tracks) != 2 || res.Tracks[0].Len() != 10 || res.Tracks[1].Len() != 10 {
		t.Fatalf("%d tracks; want two of 10", len(res.Tracks))
	}
	res, err = track.Build(context.Background(), nil, dets, nil, track.Config{ChangeCosine: -1})
	if err != nil || len(res.Tracks) != 1 {
		t.Fatalf("without the change gate: %d tracks, want 1 (%v)", len(res.Tracks), err)
	}
}
