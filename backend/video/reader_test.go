package video

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"castscope/backend/errs"
)

func TestSampleIndices(t *testing.T) {
	t.Parallel()
	ntsc := 30000.0 / 1001
	tests := []struct {
		name   string
		info   Info
		s      Sampling
		n      int
		head   []int64
		headMS []int64
	}{
		{"15→5 fps", Info{FPS: 15, Frames: 122}, Sampling{FPS: 5}, 41, []int64{0, 3, 6, 9, 120}, []int64{0, 200, 400, 600, 8000}},
		{"every frame", Info{FPS: 15, Frames: 122}, Sampling{}, 122, []int64{0, 1, 2, 3, 121}, []int64{0, 67, 133, 200, 8067}},
		{"fps above the video's", Info{FPS: 15, Frames: 10}, Sampling{FPS: 30}, 10, []int64{0, 1, 2, 3, 9}, []int64{0, 67, 133, 200, 600}},
		// 29.97 → 5: 5.994 frames per sample; 1001/6 s per 5 samples.
		{"29.97→5 fps", Info{FPS: ntsc, Frames: 300}, Sampling{FPS: 5}, 50, []int64{0, 6, 12, 18, 294}, []int64{0, 200, 400, 601, 9810}},
		{"25→2 fps", Info{FPS: 25, Frames: 100}, Sampling{FPS: 2}, 8, []int64{0, 13, 25, 38, 88}, []int64{0, 520, 1000, 1520, 3520}},
		{"no frames", Info{FPS: 25}, Sampling{FPS: 5}, 0, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SampleIndices(tc.info, tc.s)
			if len(got) != tc.n {
				t.Fatalf("%d indices, want %d: %v", len(got), tc.n, got)
			}
			if tc.n == 0 {
				return
			}
			if !slices.IsSorted(got) || slices.Compact(slices.Clone(got)) == nil {
				t.Fatalf("indices not ascending: %v", got)
			}
			head := append(slices.Clone(got[:4]), got[len(got)-1])
			if !slices.Equal(head, tc.head) {
				t.Errorf("first four and last = %v, want %v", head, tc.head)
			}
			var ms []int64
			for _, i := range head {
				ms = append(ms, PTSms(tc.info, i))
			}
			if !slices.Equal(ms, tc.headMS) {
				t.Errorf("PTS ms = %v, want %v", ms, tc.headMS)
			}
		})
	}
}

// ffmpegFrames decodes the given indices of path with ffmpeg to BGR.
func ffmpegFrames(t *testing.T, path string, w, h int, idx []int64) [][]byte {
	t.Helper()
	var terms []string
	for _, i := range idx {
		terms = append(terms, fmt.Sprintf(`eq(n\,%d)`, i))
	}
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-vf", "select='"+strings.Join(terms, "+")+"'",
		"-fps_mode", "passthrough", "-pix_fmt", "bgr24", "-f", "rawvideo", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	size := w * h * 3
	if len(out) != size*len(idx) {
		t.Fatalf("ffmpeg gave %d bytes, want %d frames of %d", len(out), len(idx), size)
	}
	var frames [][]byte
	for i := range idx {
		frames = append(frames, out[i*size:(i+1)*size])
	}
	return frames
}

func meanAbsDiff(a, b []byte) float64 {
	var sum int64
	for i := range a {
		d := int64(a[i]) - int64(b[i])
		sum += max(d, -d)
	}
	return float64(sum) / float64(len(a))
}

// readAll reads every sampled frame, keeping copies of the pixels of want.
func readAll(t *testing.T, path string, info Info, s Sampling, startAt int64, want map[int64]bool) ([]Frame, map[int64][]byte) {
	t.Helper()
	r, err := OpenReader(path, info, s, startAt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var frames []Frame
	pix := map[int64][]byte{}
	for {
		f, ok, err := r.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if f.Mat.Cols() != info.Width || f.Mat.Rows() != info.Height || f.Mat.Channels() != 3 {
			t.Fatalf("frame %d is %d×%d×%d, want %d×%d×3", f.Index, f.Mat.Cols(), f.Mat.Rows(), f.Mat.Channels(), info.Width, info.Height)
		}
		if want[f.Index] {
			pix[f.Index] = slices.Clone(f.Mat.ToBytes())
		}
		frames = append(frames, Frame{Index: f.Index, PTSms: f.PTSms})
	}
	return frames, pix
}

func TestReaderParityAndResume(t *testing.T) {
	t.Parallel()
	clips := map[string]func(t *testing.T) string{
		"synthetic": func(t *testing.T) string { return mediaPath(t, "faces_synthetic.mp4") },
		"generated": func(t *testing.T) string { return generatedClip(t) },
		// A stream-copy trim whose edit list hides 90 frames: seeks
		// (resume) land on the same shown frames as reading forward.
		"edit list": func(t *testing.T) string {
			return trimmedClip(t, t.TempDir(), "trim.mp4", longGOPSource(t, true), "3.6")
		},
	}
	for name, clip := range clips {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			needFFmpeg(t)
			path := clip(t)
			info, err := Probe(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			s := Sampling{FPS: 5}
			idx := SampleIndices(info, s)
			check := []int64{idx[0], idx[1], idx[len(idx)/2], idx[len(idx)-1]}
			want := map[int64]bool{}
			for _, i := range check {
				want[i] = true
			}
			frames, pix := readAll(t, path, info, s, 0, want)
			var got []int64
			for _, f := range frames {
				got = append(got, f.Index)
				if f.PTSms != PTSms(info, f.Index) {
					t.Errorf("frame %d PTS %d, want %d", f.Index, f.PTSms, PTSms(info, f.Index))
				}
			}
			if !slices.Equal(got, idx) {
				t.Fatalf("reader delivered %v, want %v", got, idx)
			}
			ref := ffmpegFrames(t, path, info.Width, info.Height, check)
			for k, i := range check {
				if d := meanAbsDiff(pix[i], ref[k]); d > 1 {
					t.Errorf("frame %d: mean abs diff to ffmpeg %.3f > 1", i, d)
				}
			}

			// Resume: the tail from startAt, exactly, with the same pixels
			// (the last ones lie beyond seekMin and exercise the seek).
			for _, startAt := range []int64{idx[len(idx)/2], idx[len(idx)/2] + 1, idx[len(idx)-3], idx[len(idx)-2] - 1, info.Frames} {
				tail, tpix := readAll(t, path, info, s, startAt, want)
				var tgot []int64
				for _, f := range tail {
					tgot = append(tgot, f.Index)
				}
				var wantTail []int64
				for _, i := range idx {
					if i >= startAt {
						wantTail = append(wantTail, i)
					}
				}
				if !slices.Equal(tgot, wantTail) {
					t.Errorf("startAt %d: got %v, want %v", startAt, tgot, wantTail)
				}
				for i, b := range tpix {
					if d := meanAbsDiff(b, pix[i]); d > 0 {
						t.Errorf("startAt %d: frame %d differs from the full read (mad %.3f)", startAt, i, d)
					}
				}
			}
		})
	}
}

func TestReaderEveryFrameCount(t *testing.T) {
	t.Parallel()
	path := generatedClip(t)
	info, err := Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	frames, _ := readAll(t, path, info, Sampling{}, 0, nil)
	if int64(len(frames)) != info.Frames || info.Frames != 100 {
		t.Fatalf("read %d frames, probe says %d, want 100", len(frames), info.Frames)
	}
}

func TestReaderCanceled(t *testing.T) {
	t.Parallel()
	path := generatedClip(t)
	info, err := Probe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(path, info, Sampling{FPS: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if _, ok, err := r.Next(ctx); !ok || err != nil {
		t.Fatalf("first Next = %v, %v", ok, err)
	}
	cancel()
	if _, _, err := r.Next(ctx); err != context.Canceled {
		t.Fatalf("Next after cancel = %v, want context.Canceled", err)
	}
}

// A faststart MP4 cut in the middle probes fine (index and first frames
// are intact) but the Reader must fail where the data stops, not end
// quietly with half the frames — also when an edit list hides frames (the
// displayed count, not the header's, is what a cut falls short of).
func TestReaderTruncatedStream(t *testing.T) {
	t.Parallel()
	clips := map[string]func(t *testing.T) string{
		"generated": func(t *testing.T) string { return generatedClip(t) },
		"edit list": func(t *testing.T) string {
			return trimmedClip(t, t.TempDir(), "trim.mp4", longGOPSource(t, false), "3")
		},
	}
	for name, clip := range clips {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fs := ffmpeg(t, filepath.Join(dir, "fs.mp4"), "-i", clip(t), "-c", "copy", "-movflags", "+faststart")
			raw, err := os.ReadFile(fs)
			if err != nil {
				t.Fatal(err)
			}
			cut := filepath.Join(dir, "cut.mp4")
			if err := os.WriteFile(cut, raw[:len(raw)/2], 0o644); err != nil {
				t.Fatal(err)
			}
			info, err := Probe(context.Background(), cut)
			if err != nil {
				t.Skipf("this cut already fails at probe (%v): nothing for the reader to do", err)
			}
			r, err := OpenReader(cut, info, Sampling{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n := 0
			for {
				_, ok, err := r.Next(context.Background())
				if err != nil {
					if errs.CodeOf(err) != errs.VideoUnreadable {
						t.Fatalf("code %s, want ERR_VIDEO_UNREADABLE", errs.CodeOf(err))
					}
					break
				}
				if !ok {
					t.Fatalf("reader ended quietly after %d of %d frames", n, info.Frames)
				}
				n++
			}
			if n == 0 || int64(n) >= info.Frames {
				t.Errorf("decoded %d frames before the cut, want some but not all %d", n, info.Frames)
			}
		})
	}
}

func TestThumbnail(t *testing.T) {
	t.Parallel()
	path := generatedClip(t)
	for _, tc := range []struct {
		index int64
		width int
		w, h  int
	}{{0, 160, 160, 120}, {57, 0, 320, 240}, {99, 1000, 320, 240}} {
		b, err := Thumbnail(path, tc.index, tc.width)
		if err != nil {
			t.Fatalf("Thumbnail(%d): %v", tc.index, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("Thumbnail(%d) is not a JPEG: %v", tc.index, err)
		}
		if sz := img.Bounds().Size(); sz.X != tc.w || sz.Y != tc.h {
			t.Errorf("Thumbnail(%d, %d) is %v, want %d×%d", tc.index, tc.width, sz, tc.w, tc.h)
		}
	}
	if _, err := Thumbnail(filepath.Join(t.TempDir(), "none.mp4"), 0, 0); errs.CodeOf(err) != errs.VideoUnreadable {
		t.Errorf("missing file: code %s, want ERR_VIDEO_UNREADABLE", errs.CodeOf(err))
	}
}

func TestCrops(t *testing.T) {
	t.Parallel()
	path := generatedClip(t)
	box := [4]float32{100, 60, 220, 180} // 120 px square in the middle of 320×240
	asked := []Crop{{57, box}, {3, box}, {57, box}, {99, box}, {10, [4]float32{-50, -50, 10, 10}}, {500, box}}
	got, err := Crops(path, asked, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(asked) {
		t.Fatalf("%d crops for %d asked", len(got), len(asked))
	}
	if got[5] != nil {
		t.Error("a crop of frame 500 of a 100-frame clip")
	}
	// Each crop is its own frame's: closer to that frame's crop than to
	// one 12 frames away.
	ref := func(index int64) gocv.Mat {
		b, err := Thumbnail(path, index, 320)
		if err != nil {
			t.Fatal(err)
		}
		full, err := gocv.IMDecode(b, gocv.IMReadColor)
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		roi := full.Region(squareAround(box, full.Cols(), full.Rows()))
		defer roi.Close()
		out := gocv.NewMat()
		gocv.Resize(roi, &out, image.Pt(64, 64), 0, 0, gocv.InterpolationArea)
		return out
	}
	diff := func(a, b gocv.Mat) float64 {
		d := gocv.NewMat()
		defer d.Close()
		gocv.AbsDiff(a, b, &d)
		m := d.Mean()
		return (m.Val1 + m.Val2 + m.Val3) / 3
	}
	for i, c := range asked[:4] {
		img, err := gocv.IMDecode(got[i], gocv.IMReadColor)
		if err != nil || img.Cols() != 64 || img.Rows() != 64 {
			t.Fatalf("crop %d: %v, %dx%d", i, err, img.Cols(), img.Rows())
		}
		otherIndex := c.Index + 12
		if otherIndex >= 100 {
			otherIndex = c.Index - 12
		}
		own, other := ref(c.Index), ref(otherIndex)
		dOwn, dOther := diff(img, own), diff(img, other)
		if dOwn >= dOther || dOwn > 8 {
			t.Errorf("crop %d (frame %d): differs %.1f from its frame, %.1f from another", i, c.Index, dOwn, dOther)
		}
		img.Close()
		own.Close()
		other.Close()
	}
	// A box partly outside the frame is clipped, not an error.
	if img, err := gocv.IMDecode(got[4], gocv.IMReadColor); err != nil || img.Empty() {
		t.Errorf("clipped crop: %v", err)
	}
	if _, err := Crops(filepath.Join(t.TempDir(), "none.mp4"), asked, 64); errs.CodeOf(err) != errs.VideoUnreadable {
		t.Errorf("missing file: code %s", errs.CodeOf(err))
	}
}
