package video

import (
	"image"
	"testing"

	"gocv.io/x/gocv"
)

func TestColourHist(t *testing.T) {
	small := gocv.NewMat()
	defer small.Close()
	// A 128×72 frame, left half pure blue, right half mid grey.
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(255, 0, 0, 0), 72, 128, gocv.MatTypeCV8UC3)
	defer m.Close()
	right := m.Region(image.Rect(64, 0, 128, 72))
	right.SetTo(gocv.NewScalar(128, 128, 128, 0))
	right.Close()
	h := ColourHist(m, &small)
	if len(h) != HistBins*HistBins*HistBins {
		t.Fatalf("bins = %d", len(h))
	}
	blue := 7 * HistBins * HistBins // b=7, g=0, r=0
	grey := 4*HistBins*HistBins + 4*HistBins + 4
	pixels := float32(HistWidth * 36) // downscaled to 64×36
	var sum float32
	for _, v := range h {
		sum += v
	}
	if sum != pixels || h[blue] != pixels/2 || h[grey] != pixels/2 {
		t.Fatalf("sum=%v blue=%v grey=%v, want %v, %v, %v", sum, h[blue], h[grey], pixels, pixels/2, pixels/2)
	}
	empty := gocv.NewMat()
	defer empty.Close()
	for _, v := range ColourHist(empty, &small) {
		if v != 0 {
			t.Fatal("an empty frame has a non-zero histogram")
		}
	}
}

func TestStoredInfo(t *testing.T) {
	if _, ok := StoredInfo(nil); ok {
		t.Fatal("no probe result is ok")
	}
	if _, ok := StoredInfo([]byte(`{"frames":0}`)); ok {
		t.Fatal("a probe result of no frames is ok")
	}
	if info, ok := StoredInfo([]byte(`{"frames":12,"fps":25}`)); !ok || info.Frames != 12 || info.FPS != 25 {
		t.Fatalf("StoredInfo = %+v %v", info, ok)
	}
}
