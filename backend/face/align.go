package face

import (
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// AlignSize is the side of an aligned face crop.
const AlignSize = 112

// ArcFaceTemplate is where the 5 landmarks go in a 112×112 crop, in the
// detector's landmark order.
var ArcFaceTemplate = [5][2]float32{
	{38.2946, 51.6963}, {73.5318, 51.5014}, {56.0252, 71.7366}, {41.5493, 92.3655}, {70.7299, 92.2041},
}

// alignShrink scales the template down before the fit. OpenCV's
// estimateAffinePartial2D runs RANSAC with a 3 px threshold in target
// units and then refines on the inliers; in units 1000× larger every
// landmark is an inlier, so the refinement is the least-squares similarity
// over all five points (the ArcFace convention). The fitted matrix is then
// scaled back up.
const alignShrink = 1000

// AlignTransform returns the 2×3 similarity matrix (row-major) that maps
// the face's landmarks onto ArcFaceTemplate, and false if no transform
// could be fitted (degenerate landmarks).
func AlignTransform(f Face) ([6]float64, bool) {
	src := make([]gocv.Point2f, 5)
	dst := make([]gocv.Point2f, 5)
	for i := range 5 {
		src[i] = gocv.Point2f{X: f.Landmarks[i][0], Y: f.Landmarks[i][1]}
		dst[i] = gocv.Point2f{X: ArcFaceTemplate[i][0] / alignShrink, Y: ArcFaceTemplate[i][1] / alignShrink}
	}
	sv := gocv.NewPoint2fVectorFromPoints(src)
	defer sv.Close()
	dv := gocv.NewPoint2fVectorFromPoints(dst)
	defer dv.Close()
	m := gocv.EstimateAffinePartial2D(sv, dv)
	defer m.Close()
	var out [6]float64
	if m.Empty() || m.Rows() != 2 || m.Cols() != 3 {
		return out, false
	}
	for r := range 2 {
		for c := range 3 {
			v := m.GetDoubleAt(r, c) * alignShrink
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return out, false
			}
			out[r*3+c] = v
		}
	}
	return out, true
}

// Align returns the 112×112 BGR crop of f, warped so its landmarks sit on
// the ArcFace template (bilinear, black outside the frame). When the
// landmarks are degenerate it falls back to the box resized to 112×112.
// The caller closes the result.
func Align(frame gocv.Mat, f Face) gocv.Mat {
	out := gocv.NewMat()
	t, ok := AlignTransform(f)
	if !ok {
		r := image.Rect(int(f.Box[0]), int(f.Box[1]), int(math.Ceil(float64(f.Box[2]))), int(math.Ceil(float64(f.Box[3])))).
			Intersect(image.Rect(0, 0, frame.Cols(), frame.Rows()))
		if r.Empty() {
			out.Close()
			return gocv.NewMatWithSize(AlignSize, AlignSize, frame.Type())
		}
		reg := frame.Region(r)
		gocv.Resize(reg, &out, image.Pt(AlignSize, AlignSize), 0, 0, gocv.InterpolationLinear)
		reg.Close()
		return out
	}
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	for i, v := range t {
		m.SetDoubleAt(i/3, i%3, v)
	}
	gocv.WarpAffineWithParams(frame, &out, m, image.Pt(AlignSize, AlignSize), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{})
	return out
}

// BlurScore is the variance of the Laplacian of the crop's gray image:
// higher is sharper (a crisp 112×112 face is typically in the hundreds,
// a blurred one below ~50). It is 0 for an empty crop.
func BlurScore(crop gocv.Mat) float32 {
	if crop.Empty() {
		return 0
	}
	gray := gocv.NewMat()
	defer gray.Close()
	switch crop.Channels() {
	case 3:
		gocv.CvtColor(crop, &gray, gocv.ColorBGRToGray)
	case 4:
		gocv.CvtColor(crop, &gray, gocv.ColorBGRAToGray)
	default:
		crop.CopyTo(&gray)
	}
	lap := gocv.NewMat()
	defer lap.Close()
	gocv.Laplacian(gray, &lap, gocv.MatTypeCV64F, 1, 1, 0, gocv.BorderDefault)
	mean, std := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer std.Close()
	gocv.MeanStdDev(lap, &mean, &std)
	s := std.GetDoubleAt(0, 0)
	return float32(s * s)
}
