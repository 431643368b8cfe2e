//go:build matprofile

package face

import (
	"testing"

	"gocv.io/x/gocv"
)

// TestNoMatLeak runs detection, alignment, blur scoring and embedding on
// gray, BGR and BGRA input and checks every Mat made inside was closed.
// Run with: go test -tags matprofile -run NoMatLeak ./backend/face
func TestNoMatLeak(t *testing.T) {
	d, e := testDetector(t, PresetDetail), testEmbedder(t)
	color := readImage(t, "obama_biden_two_faces.jpg")
	gray := gocv.NewMat()
	defer gray.Close()
	gocv.CvtColor(color, &gray, gocv.ColorBGRToGray)
	bgra := gocv.NewMat()
	defer bgra.Close()
	gocv.CvtColor(color, &bgra, gocv.ColorBGRToBGRA)
	frames := []gocv.Mat{color, gray, bgra}
	run := func() {
		res, err := d.Detect(frames)
		if err != nil {
			t.Fatal(err)
		}
		var crops []gocv.Mat
		for i, fs := range res {
			for _, f := range fs {
				c := Align(frames[i], f)
				BlurScore(c)
				crops = append(crops, c)
			}
		}
		if _, err := e.Embed(crops); err != nil {
			t.Fatal(err)
		}
		for _, c := range crops {
			c.Close()
		}
	}
	run() // first run allocates the detector's and embedder's reused Mats
	before := gocv.MatProfile.Count()
	for range 3 {
		run()
	}
	if after := gocv.MatProfile.Count(); after != before {
		t.Errorf("open Mats went from %d to %d", before, after)
	}
}
