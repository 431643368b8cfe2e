package track

// Suppression of boxes that are not a face of their own. Within one
// sampled frame the detector's own non-maximum suppression keeps boxes
// that overlap little, so two things survive it: a box that straddles two
// neighbouring faces (half of each, on a crowded shot) and a box inside
// another face's box (an eye, a mouth, a printed face on a badge). Either
// can live for seconds across frames and become a person. (Two real faces
// overlap only when one hides the other, so neither rule drops a face.) They are dropped
// before tracking, against every other box of the frame.

const (
	// straddleCover is the share of a neighbour's box a straddling box
	// covers, for two neighbours at once.
	straddleCover = 0.25
	// insideCover is the share of a box inside a larger one that makes it
	// part of that face (an eye, a mouth, a badge); the larger box must be
	// at least insideRatio times its area.
	insideCover = 0.8
	insideRatio = 4
)

func area(b [4]float32) float32 { return max(0, b[2]-b[0]) * max(0, b[3]-b[1]) }

func interArea(a, b [4]float32) float32 {
	w := min(a[2], b[2]) - max(a[0], b[0])
	h := min(a[3], b[3]) - max(a[1], b[1])
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// suppress returns the detections of one frame that are faces of their own
// (in their order) and how many it dropped: a box covering at least
// straddleCover of each of two others that score higher, or a box with
// insideCover of its area inside another insideRatio times as large.
func suppress(ds []Detection) ([]Detection, int) {
	if len(ds) < 2 {
		return ds, 0
	}
	drop := make([]bool, len(ds))
	for i, d := range ds {
		ad := area(d.Box)
		if ad <= 0 {
			continue
		}
		straddled := 0
		for j, o := range ds {
			if j == i {
				continue
			}
			ao, in := area(o.Box), interArea(d.Box, o.Box)
			if ao <= 0 || in <= 0 {
				continue
			}
			if in/ad >= insideCover && ao >= insideRatio*ad {
				drop[i] = true
				break
			}
			if o.Score > d.Score && in/ao >= straddleCover {
				straddled++
			}
		}
		if straddled >= 2 {
			drop[i] = true
		}
	}
	out := make([]Detection, 0, len(ds))
	for i, d := range ds {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return out, len(ds) - len(out)
}
