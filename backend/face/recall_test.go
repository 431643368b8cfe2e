package face

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// recallHeights are the face heights (px, in a 1920×1080 frame) measured.
var recallHeights = []int{24, 32, 40, 48, 64, 96, 160}

// sourceFace is a crop around one fixture face and its box in the crop.
type sourceFace struct {
	crop gocv.Mat
	box  [4]float32
}

// sourceFaces cuts a square of twice the face height around the face of
// each single-person fixture photo.
func sourceFaces(t testing.TB) []sourceFace {
	t.Helper()
	d := testDetector(t, PresetFast)
	var out []sourceFace
	for _, f := range []string{"astronaut_eileen_collins.png", "grace_hopper.jpg", "obama_portrait_2012.jpg",
		"obama_address_2009.jpg", "obama_blue_room_2010.jpg", "biden_blue_room_2010.jpg"} {
		img := readImage(t, f)
		res, err := d.Detect([]gocv.Mat{img})
		if err != nil || len(res[0]) != 1 {
			t.Fatalf("%s: %v faces, %v", f, len(res[0]), err)
		}
		b := res[0][0].Box
		side := 2 * (b[3] - b[1])
		cx, cy := (b[0]+b[2])/2, (b[1]+b[3])/2
		r := image.Rect(int(cx-side/2), int(cy-side/2), int(cx+side/2), int(cy+side/2)).
			Intersect(image.Rect(0, 0, img.Cols(), img.Rows()))
		reg := img.Region(r)
		crop := reg.Clone()
		reg.Close()
		t.Cleanup(func() { crop.Close() })
		ox, oy := float32(r.Min.X), float32(r.Min.Y)
		out = append(out, sourceFace{crop: crop, box: [4]float32{b[0] - ox, b[1] - oy, b[2] - ox, b[3] - oy}})
	}
	return out
}

// syntheticFrame pastes the source faces, scaled to height px, in a grid
// spread over a noisy 1920×1080 canvas (offset so faces also fall on
// tile seams), and returns it with the true boxes.
func syntheticFrame(srcs []sourceFace, height int, seed uint64) (gocv.Mat, [][4]float32) {
	const w, h = 1920, 1080
	rng := rand.New(rand.NewPCG(seed, 11))
	buf := make([]byte, w*h*3)
	for i := range buf {
		buf[i] = byte(85 + rng.IntN(50))
	}
	canvas, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, buf)
	if err != nil {
		panic(err)
	}
	cell := 2*height + 12
	cols, rows := min(w/cell, 8), min(h/cell, 5)
	var truth [][4]float32
	scaled := gocv.NewMat()
	defer scaled.Close()
	k := 0
	for r := range rows {
		for c := range cols {
			s := srcs[k%len(srcs)]
			k++
			scale := float64(height) / float64(s.box[3]-s.box[1])
			sw, sh := int(math.Round(float64(s.crop.Cols())*scale)), int(math.Round(float64(s.crop.Rows())*scale))
			gocv.Resize(s.crop, &scaled, image.Pt(sw, sh), 0, 0, gocv.InterpolationArea)
			x := 20 + c*(w-40-cell)/max(cols-1, 1) + rng.IntN(9)
			y := 20 + r*(h-40-cell)/max(rows-1, 1) + rng.IntN(9)
			dst := canvas.Region(image.Rect(x, y, x+sw, y+sh))
			scaled.CopyTo(&dst)
			dst.Close()
			f := float32(scale)
			truth = append(truth, [4]float32{
				float32(x) + s.box[0]*f, float32(y) + s.box[1]*f, float32(x) + s.box[2]*f, float32(y) + s.box[3]*f,
			})
		}
	}
	return canvas, truth
}

// matchFaces counts true boxes found (IoU ≥ 0.3 with a detection, each
// detection used once) and detections that match nothing.
func matchFaces(truth [][4]float32, faces []Face) (found, falsePos int) {
	used := make([]bool, len(faces))
	for _, tb := range truth {
		best, bi := float32(0.3), -1
		for i, f := range faces {
			if iou := IoU(tb, f.Box); !used[i] && iou >= best {
				best, bi = iou, i
			}
		}
		if bi >= 0 {
			used[bi] = true
			found++
		}
	}
	for _, u := range used {
		if !u {
			falsePos++
		}
	}
	return found, falsePos
}

// TestRecallBySize measures recall by face height at 1080p for every
// preset on generated frames, and holds the default preset to finding
// faces ≥ 48 px high.
func TestRecallBySize(t *testing.T) {
	srcs := sourceFaces(t)
	presets := []string{PresetFast, PresetDefault, PresetDetail}
	recall := map[string]map[int]float64{}
	var table strings.Builder
	fmt.Fprintf(&table, "\nrecall by face height at 1920×1080 (false positives in brackets)\n%-8s", "preset")
	for _, hgt := range recallHeights {
		fmt.Fprintf(&table, " %9dpx", hgt)
	}
	for _, p := range presets {
		d := testDetector(t, p)
		recall[p] = map[int]float64{}
		fmt.Fprintf(&table, "\n%-8s", p)
		for _, hgt := range recallHeights {
			found, total, fps := 0, 0, 0
			for seed := range uint64(2) {
				frame, truth := syntheticFrame(srcs, hgt, seed)
				res, err := d.Detect([]gocv.Mat{frame})
				frame.Close()
				if err != nil {
					t.Fatal(err)
				}
				f, fp := matchFaces(truth, res[0])
				found, total, fps = found+f, total+len(truth), fps+fp
			}
			recall[p][hgt] = float64(found) / float64(total)
			fmt.Fprintf(&table, " %5.2f (%2d)", recall[p][hgt], fps)
		}
	}
	t.Log(table.String())
	for _, hgt := range recallHeights {
		if hgt >= 48 && recall[PresetDefault][hgt] < 0.95 {
			t.Errorf("default preset: recall %.2f for %d px faces, want ≥ 0.95", recall[PresetDefault][hgt], hgt)
		}
		if hgt >= 96 && recall[PresetFast][hgt] < 0.95 {
			t.Errorf("fast preset: recall %.2f for %d px faces, want ≥ 0.95", recall[PresetFast][hgt], hgt)
		}
		if recall[PresetDetail][hgt] < recall[PresetDefault][hgt]-0.05 {
			t.Errorf("detail preset recall %.2f below default %.2f at %d px", recall[PresetDetail][hgt], recall[PresetDefault][hgt], hgt)
		}
	}
}
