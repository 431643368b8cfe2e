package video

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// TestDecodeBenchSmall checks DecodeBench's bookkeeping on a small clip:
// both sides deliver the same sampled frames.
func TestDecodeBenchSmall(t *testing.T) {
	t.Parallel()
	path := generatedClip(t)
	res, err := DecodeBench(context.Background(), path, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 20 || res.FFmpegFrames < 19 || res.FFmpegFrames > 21 {
		t.Errorf("frames reader=%d ffmpeg=%d, want 20 and 20±1", res.Frames, res.FFmpegFrames)
	}
	if res.Ratio <= 0 || res.ReaderFPS <= 0 || res.FFmpegFPS <= 0 {
		t.Errorf("rates not measured: %+v", res)
	}
}

// BenchmarkDecode is bench (a) on a generated 1080p H.264 clip (20 s at
// 25 fps unless CASTSCOPE_BENCH_SECONDS says otherwise) or on
// $CASTSCOPE_BENCH_VIDEO; sampling from CASTSCOPE_BENCH_FPS (default 5).
// Run with -benchtime=1x.
func BenchmarkDecode(b *testing.B) {
	needFFmpeg(b)
	path := os.Getenv("CASTSCOPE_BENCH_VIDEO")
	if path == "" {
		secs := "20"
		if s := os.Getenv("CASTSCOPE_BENCH_SECONDS"); s != "" {
			secs = s
		}
		path = ffmpeg(b, filepath.Join(b.TempDir(), "bench1080.mp4"), "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
			"-t", secs, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "50", "-pix_fmt", "yuv420p")
	}
	fps := 5.0
	if s := os.Getenv("CASTSCOPE_BENCH_FPS"); s != "" {
		fps, _ = strconv.ParseFloat(s, 64)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, threads := range []int{0, 2} {
			res, err := decodeBench(context.Background(), path, fps, threads, true)
			if err != nil {
				b.Fatal(err)
			}
			b.Log(res)
			b.ReportMetric(res.Ratio, "ratio_t"+strconv.Itoa(threads))
		}
	}
}

// BenchmarkStoreFrames measures the alternative to decoding again in
// detect: extract storing each sampled 1080p frame as a JPEG (q95) and
// detect reading it back. Compare its per-frame cost and size with
// BenchmarkDecode's per-sampled-frame reader time.
func BenchmarkStoreFrames(b *testing.B) {
	needFFmpeg(b)
	dir := b.TempDir()
	path := ffmpeg(b, filepath.Join(dir, "store1080.mp4"), "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
		"-t", "4", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p")
	info, err := Probe(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := OpenReader(path, info, Sampling{FPS: 5}, 0)
		if err != nil {
			b.Fatal(err)
		}
		var enc, dec, write time.Duration
		var bytes, n int64
		for {
			f, ok, err := r.Next(context.Background())
			if err != nil || !ok {
				break
			}
			t0 := time.Now()
			buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, f.Mat, []int{gocv.IMWriteJpegQuality, 95})
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			p := filepath.Join(dir, "f.jpg")
			if err := os.WriteFile(p, buf.GetBytes(), 0o644); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			bytes += int64(buf.Len())
			buf.Close()
			raw, _ := os.ReadFile(p)
			m, err := gocv.IMDecode(raw, gocv.IMReadColor)
			if err != nil {
				b.Fatal(err)
			}
			m.Close()
			dec += time.Since(t2)
			enc += t1.Sub(t0)
			write += t2.Sub(t1)
			n++
		}
		r.Close()
		b.Logf("1080p JPEG q95 per sampled frame: encode %.1f ms, write %.1f ms, read+decode %.1f ms, %.0f KiB",
			ms(enc)/float64(n), ms(write)/float64(n), ms(dec)/float64(n), float64(bytes)/float64(n)/1024)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
