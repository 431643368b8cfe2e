package track

import (
	"math"
	"slices"
)

// Face quality from what the detector gives for each face: the five
// landmarks (left eye, right eye, nose, left and right mouth corner), the
// box and the sharpness of the aligned crop.
//
// The landmarks tell the pose: along the line from the left to the right
// eye, the nose sits halfway on a frontal face and at an eye or beyond in
// profile, where the eyes also draw together (their span shrinks against
// the box's width). They also tell a face from what the detector only
// takes for one when the points fall where no face has them: outside the
// box, the mouth above the eyes, the nose not between them vertically, or
// the mouth too near or too far below the eyes for the box. Profiles keep
// that order (on the real set every profile had eyes, nose and mouth from
// top to bottom, the mouth 0.3–0.4 box heights below the eyes), so the
// checks are in box units, not eye spans, which vanish in profile.

// Bounds of a plausible face's landmark layout, in box units.
const (
	landmarkSlack = 0.15 // points may lie this far outside the box
	mouthDownMin  = 0.15 // mouth centre below the eye centre
	mouthDownMax  = 0.7
	frontalSpan   = 0.33 // eye span of a frontal face, in box widths
)

// PoseOf returns the yaw of a face in box (x1, y1, x2, y2) from its
// landmarks (x0,y0,…,x4,y4): 0 frontal, 1 profile; and whether the points
// are laid out as on a face. Without landmarks the yaw is −1 and the face
// is taken as plausible (nothing says otherwise).
func PoseOf(box [4]float32, lm []float32) (yaw float32, plausible bool) {
	w, h := float64(box[2]-box[0]), float64(box[3]-box[1])
	if len(lm) < 10 || w <= 0 || h <= 0 {
		return -1, true
	}
	var x, y [5]float64
	plausible = true
	for i := range 5 {
		x[i], y[i] = (float64(lm[2*i])-float64(box[0]))/w, (float64(lm[2*i+1])-float64(box[1]))/h
		if x[i] < -landmarkSlack || x[i] > 1+landmarkSlack || y[i] < -landmarkSlack || y[i] > 1+landmarkSlack {
			plausible = false
		}
	}
	eyeY, mouthY := (y[0]+y[1])/2, (y[3]+y[4])/2
	down := mouthY - eyeY
	if !(eyeY < y[2] && y[2] < mouthY) || down < mouthDownMin || down > mouthDownMax {
		plausible = false
	}
	// Yaw: the nose's place along the eye line, and how close the eyes are.
	ux, uy := (x[1]-x[0])*w, (y[1]-y[0])*h
	span := math.Hypot(ux, uy)
	a := 1.0
	if span > 1e-6 {
		along := ((x[2]-x[0])*w*ux + (y[2]-y[0])*h*uy) / (span * span)
		a = min(1, math.Abs(along-0.5)*2)
	}
	b := min(1, max(0, 1-span/w/frontalSpan))
	return float32(max(a, b)), plausible
}

// FaceQuality weighs one detection's face for the track's embedding, in
// [0, 1]: the detector's score, times the size (full from goodFaceH
// pixels), times the pose (a profile counts half a frontal face), times
// the sharpness (full from a Laplacian variance of 10 on the aligned
// crop; 0 means unknown). A face whose landmarks do not look like a face
// weighs 0.
func FaceQuality(d Detection, goodFaceH float32) float32 {
	yaw, ok := PoseOf(d.Box, d.Landmarks)
	return faceQuality(d, yaw, ok, goodFaceH)
}

// faceQuality is FaceQuality given the detection's pose.
func faceQuality(d Detection, yaw float32, plausible bool, goodFaceH float32) float32 {
	if !plausible {
		return 0
	}
	q := d.Score * min(1, max(d.height(), 0)/goodFaceH)
	if yaw >= 0 {
		q *= 1 - 0.5*min(1, yaw)
	}
	if d.Blur > 0 {
		q *= max(0.25, min(1, d.Blur/10))
	}
	return q
}

// height is the face's height in pixels: FaceH, else the box's.
func (d Detection) height() float32 {
	if d.FaceH > 0 {
		return d.FaceH
	}
	return d.Box[3] - d.Box[1]
}

// ProfileYaw is the yaw (PoseOf) from which a face counts as seen in
// profile.
const ProfileYaw = 0.6

// MedianYaw is the median of the track's known yaws; −1 when none is
// known.
func (t Track) MedianYaw() float32 {
	var known []float32
	for _, y := range t.Yaws {
		if y >= 0 {
			known = append(known, y)
		}
	}
	if len(known) == 0 {
		return -1
	}
	slices.Sort(known)
	return known[len(known)/2]
}
