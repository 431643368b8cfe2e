package video

import "math"

// DefaultSampleFPS is the extract preset: 5 sampled frames per second.
const DefaultSampleFPS = 5.0

// Sampling says which frames the pipeline looks at. FPS 0 (the zero value)
// or an FPS at or above the video's rate means every frame.
type Sampling struct {
	FPS float64 `json:"fps"`
}

// SampleIndices returns the sampled frame indices, ascending. Sample k is
// the first frame at or after k/FPS seconds: index ceil(k·fps_video/FPS),
// so 15 → 5 fps gives 0, 3, 6, … and 29.97 → 5 fps gives 0, 6, 12, …, 30,
// 36, …. (ffmpeg's fps filter picks the same frames on CFR video up to
// rounding at exact ties.)
func SampleIndices(info Info, s Sampling) []int64 {
	if info.Frames <= 0 || info.FPS <= 0 {
		return nil
	}
	if s.FPS <= 0 || s.FPS >= info.FPS {
		out := make([]int64, info.Frames)
		for i := range out {
			out[i] = int64(i)
		}
		return out
	}
	step := info.FPS / s.FPS
	out := make([]int64, 0, int(float64(info.Frames)/step)+2)
	for k := int64(0); ; k++ {
		// The small epsilon keeps k·step exact at integer boundaries
		// despite float error (30000/1001 · 1001/6 must be 5000 exactly).
		idx := int64(math.Ceil(float64(k)*step - 1e-6))
		if idx >= info.Frames {
			return out
		}
		out = append(out, idx)
	}
}

// PTSms is frame index's presentation time in milliseconds from the start
// of the stream: round(index·1000/fps). For variable-frame-rate video it
// uses the average rate, so it is approximate there.
func PTSms(info Info, index int64) int64 {
	if info.FPS <= 0 {
		return 0
	}
	return int64(math.Round(float64(index) * 1000 / info.FPS))
}
