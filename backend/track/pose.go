package track

import "math"

// Face quality from what the detector gives for each face: the five
// landmarks (left eye, right eye, nose, left and right mouth corner), the
// box and the sharpness of the aligned crop.
//
// The landmarks tell the pose: along the line from the left to the right
// eye, the nose sits halfway on a frontal face and at an eye (or beyond)
// in profile. They also tell a face from what only looks like one to the
// detector (a robot's mask, a microphone's head, a cat, a pattern): there
// the five points land anywhere, the mouth far from the eyes or beside
// them. On the real set every true face, profiles included, had the nose
// at −0.3…1.3 eye spans along the eye line and the mouth 0.8…1.8 eye
// spans below it; the non-faces put the nose at −3…+2 and the mouth at
// 2.5…7 (see testdata/real).

// Bounds of a plausible face's landmark geometry, in eye spans.
const (
	noseAlongMin = -0.45 // nose position along the eye line: 0 left eye, 1 right eye
	noseAlongMax = 1.45
	mouthDownMin = 0.55 // mouth centre below the eye line
	mouthDownMax = 2.3
)

// PoseOf returns the yaw of a face from its landmarks (x0,y0,…,x4,y4):
// 0 frontal, 1 full profile (nose at an eye), more beyond; and whether the
// points look like a face at all. Without landmarks the yaw is −1 and the
// face is taken as plausible (nothing says otherwise).
func PoseOf(lm []float32) (yaw float32, plausible bool) {
	if len(lm) < 10 {
		return -1, true
	}
	lex, ley, rex, rey := float64(lm[0]), float64(lm[1]), float64(lm[2]), float64(lm[3])
	nx, ny := float64(lm[4]), float64(lm[5])
	mcx, mcy := float64(lm[6]+lm[8])/2, float64(lm[7]+lm[9])/2
	ux, uy := rex-lex, rey-ley
	span := math.Hypot(ux, uy)
	if span < 1e-3 {
		return 1, false
	}
	ux, uy = ux/span, uy/span
	along := ((nx-lex)*ux + (ny-ley)*uy) / span
	ecx, ecy := (lex+rex)/2, (ley+rey)/2
	down := ((mcx-ecx)*-uy + (mcy-ecy)*ux) / span
	yaw = float32(math.Abs(along-0.5) * 2)
	plausible = along >= noseAlongMin && along <= noseAlongMax && down >= mouthDownMin && down <= mouthDownMax
	return yaw, plausible
}

// FaceQuality weighs one detection's face for the track's embedding, in
// [0, 1]: the detector's score, times the size (full from goodFaceH
// pixels), times the pose (a profile counts half a frontal face), times
// the sharpness (full from a Laplacian variance of 10 on the aligned
// crop; 0 means unknown). A face whose landmarks do not look like a face
// weighs 0.
func FaceQuality(d Detection, goodFaceH float32) float32 {
	yaw, ok := PoseOf(d.Landmarks)
	if !ok {
		return 0
	}
	h := d.FaceH
	if h <= 0 {
		h = d.Box[3] - d.Box[1]
	}
	q := d.Score * min(1, max(h, 0)/goodFaceH)
	if yaw >= 0 {
		q *= 1 - 0.5*min(1, yaw)
	}
	if d.Blur > 0 {
		q *= max(0.25, min(1, d.Blur/10))
	}
	return q
}
