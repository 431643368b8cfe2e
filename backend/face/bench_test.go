package face

import (
	"fmt"
	"image"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"
)

// Run with e.g. go test ./backend/face -run '^$' -bench . -benchtime 5x

func benchDetector(b *testing.B, preset string, batch int) *Detector {
	b.Helper()
	d, err := NewDetector(testRuntime(b), testModel(b, "retinaface_mnet025_640.onnx"), DetectorConfig{Preset: preset, BatchSize: batch}, SessionConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

func benchFrames(b *testing.B, n, height int) []gocv.Mat {
	b.Helper()
	srcs := sourceFaces(b)
	var frames []gocv.Mat
	for i := range n {
		f, _ := syntheticFrame(srcs, height, uint64(i))
		frames = append(frames, f)
		b.Cleanup(func() { f.Close() })
	}
	return frames
}

// BenchmarkDetect is the whole Detect call (preprocessing, inference,
// decoding) per 1080p frame with the one-pass preset, 4 frames per call.
func BenchmarkDetect(b *testing.B) {
	for _, batch := range []int{1, 4} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			d := benchDetector(b, PresetFast, batch)
			frames := benchFrames(b, 4, 96)
			if _, err := d.Detect(frames); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := d.Detect(frames); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*len(frames)), "ms/frame")
		})
	}
}

// BenchmarkDetectInference is the model run alone per 640×640 input.
func BenchmarkDetectInference(b *testing.B) {
	for _, batch := range []int{1, 4} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			d := benchDetector(b, PresetFast, batch)
			io, err := d.tensors(batch)
			if err != nil {
				b.Fatal(err)
			}
			run := func() {
				if err := d.sess.s.Run([]ort.Value{io.in}, d.outputs(io)); err != nil {
					b.Fatal(err)
				}
			}
			run()
			b.ResetTimer()
			for range b.N {
				run()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*batch), "ms/input")
		})
	}
}

// BenchmarkEmbed is the Embed call per aligned face.
func BenchmarkEmbed(b *testing.B) {
	srcs := sourceFaces(b)
	var crops []gocv.Mat
	for i := range 16 {
		c := gocv.NewMat()
		gocv.Resize(srcs[i%len(srcs)].crop, &c, image.Pt(AlignSize, AlignSize), 0, 0, gocv.InterpolationLinear)
		crops = append(crops, c)
	}
	b.Cleanup(func() {
		for _, c := range crops {
			c.Close()
		}
	})
	for _, batch := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			e, err := NewEmbedder(testRuntime(b), testModel(b, "mobilefacenet_arcface_128.onnx"), SessionConfig{}, batch)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			if _, err := e.Embed(crops); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := e.Embed(crops); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(crops)), "ms/face")
		})
	}
}

// BenchmarkPreset is each preset's cost per 1920×1080 frame.
func BenchmarkPreset(b *testing.B) {
	for _, p := range []string{PresetFast, PresetDefault, PresetDetail} {
		b.Run(p, func(b *testing.B) {
			d := benchDetector(b, p, DefaultDetectBatch)
			frames := benchFrames(b, 1, 48)
			if _, err := d.Detect(frames); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := d.Detect(frames); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/frame")
			b.ReportMetric(float64(d.Passes(1920, 1080)), "passes")
		})
	}
}
