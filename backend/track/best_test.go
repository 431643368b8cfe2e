package track

import "testing"

func TestBestDetectionSkipsSmallFaces(t *testing.T) {
	tr := Track{
		Boxes:       [][4]float32{{0, 0, 10, 100}, {0, 0, 10, 50}, {0, 0, 10, 95}, {0, 0, 10, 100}},
		Scores:      []float32{0.7, 0.99, 0.8, 0.75},
		MedianFaceH: 100,
	}
	if got := tr.BestDetection(); got != 2 {
		t.Errorf("BestDetection = %d, want 2 (the 50 px face scores higher but is too small)", got)
	}
	if got := (Track{}).BestDetection(); got != 0 {
		t.Errorf("BestDetection of no detections = %d", got)
	}
}
