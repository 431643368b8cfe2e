package video

import (
	"encoding/json"
	"image"

	"gocv.io/x/gocv"
)

// Shot cuts (package track's CutDetector) compare a joint colour
// histogram of each sampled frame, downscaled first to HistWidth pixels
// wide (the aspect kept), HistBins levels per channel (HistBins³ bins).
//
// Cost, measured on the demo episode (Castscope_Demo_S01_E01.mp4: 640×360,
// 15 fps, 244 frames, 82 sampled at 5 fps) on the shared 2-core build
// machine: decoding again at the job's sampling plus the histograms took
// 0.28 s (about 3.5 ms per sampled frame, the skipped frames between
// samples grabbed but not converted), against 22.5 s for detect on the
// same frames (CPU provider); the track stage reports cut_decode_s on every
// run. Decoding is the cost, the 64 px downscale and histogram are noise
// next to it, so storing histograms during detect would save little. It
// found the demo's 5 cuts (frames 39, 78, 123, 162, 198: two photo changes
// per loop of the source clip and the loop point).
const (
	HistWidth = 64
	HistBins  = 8
)

// ColourHist downscales a BGR frame into small (a buffer the caller keeps
// between frames) and returns its joint colour histogram (HistBins³ bins,
// blue major); a grey frame counts on the diagonal. An empty frame is an
// all-zero histogram.
func ColourHist(m gocv.Mat, small *gocv.Mat) []float32 {
	hist := make([]float32, HistBins*HistBins*HistBins)
	if m.Empty() || m.Cols() == 0 {
		return hist
	}
	h := max(1, m.Rows()*HistWidth/m.Cols())
	gocv.Resize(m, small, image.Pt(HistWidth, h), 0, 0, gocv.InterpolationArea)
	b, err := small.DataPtrUint8()
	if err != nil {
		return hist
	}
	const shift = 8 - 3 // 256 levels → HistBins (8) levels
	ch := small.Channels()
	if ch < 3 {
		for _, v := range b {
			k := int(v >> shift)
			hist[k*HistBins*HistBins+k*HistBins+k]++
		}
		return hist
	}
	for i := 0; i+2 < len(b); i += ch {
		hist[int(b[i]>>shift)*HistBins*HistBins+int(b[i+1]>>shift)*HistBins+int(b[i+2]>>shift)]++
	}
	return hist
}

// StoredInfo decodes a probe result stored as JSON (the registry keeps
// the validate stage's); ok is false when there is none or it names no
// frames.
func StoredInfo(b []byte) (info Info, ok bool) {
	if len(b) == 0 || json.Unmarshal(b, &info) != nil || info.Frames <= 0 {
		return info, false
	}
	return info, true
}
