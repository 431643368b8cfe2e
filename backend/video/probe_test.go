package video

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"castscope/backend/errs"
)

func TestProbeSyntheticClip(t *testing.T) {
	t.Parallel()
	p := mediaPath(t, "faces_synthetic.mp4")
	needFFmpeg(t)
	info, err := Probe(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Path: p, Container: "mp4", Codec: "h264", Width: 640, Height: 360, FPS: 15, Frames: 122}
	if info.Container != want.Container || info.Codec != want.Codec || info.Width != want.Width ||
		info.Height != want.Height || info.FPS != want.FPS || info.Frames != want.Frames {
		t.Errorf("Probe = %+v, want %+v", info, want)
	}
	if info.HasAudio || info.VariableFrameRate || info.Rotation != 0 {
		t.Errorf("audio/vfr/rotation = %v/%v/%d, want false/false/0", info.HasAudio, info.VariableFrameRate, info.Rotation)
	}
	if info.DurationS < 8.0 || info.DurationS > 8.2 {
		t.Errorf("duration = %.3f s, want ≈ 8.13", info.DurationS)
	}
}

func TestProbeGenerated(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir := t.TempDir()
	lavfi := func(size, rate string) []string {
		return []string{"-f", "lavfi", "-i", "testsrc=size=" + size + ":rate=" + rate}
	}
	tests := []struct {
		name  string
		file  string
		args  []string
		check func(t *testing.T, info Info)
	}{
		{"audio", "audio.mp4", append(append(lavfi("320x240", "25"), "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"),
			"-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"),
			func(t *testing.T, info Info) {
				if !info.HasAudio || info.Frames != 50 || info.FPS != 25 {
					t.Errorf("audio=%v frames=%d fps=%v, want true 50 25", info.HasAudio, info.Frames, info.FPS)
				}
			}},
		{"vfr", "vfr.mp4", append(lavfi("320x240", "30"), "-t", "4", "-vf", `select='lt(n\,30)+not(mod(n\,3))'`, "-fps_mode", "vfr",
			"-c:v", "libx264", "-pix_fmt", "yuv420p"),
			func(t *testing.T, info Info) {
				// 30 frames at 30 fps, then 30 at 10 fps: 60 frames in 4 s.
				if !info.VariableFrameRate || info.Frames != 60 {
					t.Errorf("vfr=%v frames=%d, want true 60", info.VariableFrameRate, info.Frames)
				}
				if info.FPS < 14 || info.FPS > 16 {
					t.Errorf("fps = %.2f, want the average ≈ 15", info.FPS)
				}
				// Every frame decodes, in order, and none is invented.
				frames, _ := readAll(t, info.Path, info, Sampling{}, 0, nil)
				if len(frames) != 60 {
					t.Errorf("reader delivered %d frames of the VFR clip, want 60", len(frames))
				}
			}},
		{"rotation", "rot.mp4", []string{"-i", generatedClip(t), "-c", "copy", "-metadata:s:v:0", "rotate=90"},
			func(t *testing.T, info Info) {
				if info.Rotation != 90 {
					t.Errorf("rotation = %d, want 90", info.Rotation)
				}
				// OpenCV applies the display matrix: frames arrive portrait.
				if info.Width != 240 || info.Height != 320 {
					t.Errorf("size = %d×%d, want the rotated 240×320", info.Width, info.Height)
				}
			}},
		{"unicode path", "épisode 3 – 東京 copy.mkv", append(lavfi("320x240", "24"), "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p"),
			func(t *testing.T, info Info) {
				if info.Container != "mkv" || info.Frames != 24 || info.Width != 320 {
					t.Errorf("container=%q frames=%d width=%d, want mkv 24 320", info.Container, info.Frames, info.Width)
				}
			}},
		{"timecode", "tc.mov", append(lavfi("320x240", "25"), "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-timecode", "01:00:00:00"),
			func(t *testing.T, info Info) {
				if info.Container != "mov" || info.Frames != 25 {
					t.Errorf("container=%q frames=%d, want mov 25", info.Container, info.Frames)
				}
				if info.StartTimecode != "01:00:00:00" {
					t.Errorf("timecode = %q, want 01:00:00:00", info.StartTimecode)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ffmpeg(t, filepath.Join(dir, tc.file), tc.args...)
			info, err := Probe(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			if info.Path != p {
				t.Errorf("path = %q, want %q", info.Path, p)
			}
			tc.check(t, info)
		})
	}
}

func TestProbeBadInputs(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir := t.TempDir()
	good := generatedClip(t)
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	faststart := ffmpeg(t, filepath.Join(dir, "faststart.mp4"), "-i", good, "-c", "copy", "-movflags", "+faststart")
	fsRaw, err := os.ReadFile(faststart)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		code errs.Code
		says string
	}{
		{"missing", filepath.Join(dir, "nope.mp4"), errs.InputNotFound, "does not exist"},
		{"directory", dir, errs.InputNotFound, "folder"},
		{"zero bytes", write("empty.mp4", nil), errs.VideoUnreadable, "empty"},
		{"text named mp4", write("notes.mp4", []byte("these are my notes, not a video\n")), errs.VideoUnreadable, "notes.mp4"},
		{"truncated mid-file", write("cut.mp4", raw[:len(raw)/2]), errs.VideoUnreadable, "cut.mp4"},
		{"truncated faststart to a header", write("cuthead.mp4", fsRaw[:4096]), errs.VideoUnreadable, "cuthead.mp4"},
		{"audio only", ffmpeg(t, filepath.Join(dir, "audio.m4a"), "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "aac"), errs.VideoUnreadable, "audio only"},
		{"1x1", ffmpeg(t, filepath.Join(dir, "tiny.mkv"), "-f", "lavfi", "-i", "testsrc=size=32x32:rate=25", "-t", "1", "-vf", "scale=1:1", "-c:v", "ffv1"), errs.VideoUnsupported, "too small"},
		{"9K", ffmpeg(t, filepath.Join(dir, "huge.mkv"), "-f", "lavfi", "-i", "color=c=red:size=9216x512:rate=1", "-t", "1", "-c:v", "ffv1"), errs.VideoUnsupported, "8K"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Probe(context.Background(), tc.path)
			if got := errs.CodeOf(err); got != tc.code {
				t.Fatalf("code = %s (%v), want %s", got, err, tc.code)
			}
			if msg := errs.As(err).Message; !strings.Contains(msg, tc.says) {
				t.Errorf("message %q does not say %q", msg, tc.says)
			}
		})
	}
}

func TestProbeCanceled(t *testing.T) {
	t.Parallel()
	p := generatedClip(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Probe(ctx, p); err == nil {
		t.Fatal("Probe with a canceled context succeeded")
	}
}

func TestNormRotation(t *testing.T) {
	t.Parallel()
	for in, want := range map[int]int{0: 0, 90: 90, -90: 270, 180: 180, -180: 180, 270: 270, 360: 0, 89: 90} {
		if got := normRotation(in); got != want {
			t.Errorf("normRotation(%d) = %d, want %d", in, got, want)
		}
	}
}

// Without ffprobe on PATH, Probe relies on OpenCV alone.
func TestProbeWithoutFFprobe(t *testing.T) {
	clip := generatedClip(t)
	audio := ffmpeg(t, filepath.Join(t.TempDir(), "audio.m4a"), "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "aac")
	jpg := ffmpeg(t, filepath.Join(t.TempDir(), "frame.jpg"), "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1")
	png := mediaPath(t, "noface_coffee.png")
	t.Setenv("PATH", t.TempDir())
	checkStillImage(t, png)
	checkStillImage(t, jpg)
	info, err := Probe(context.Background(), clip)
	if err != nil {
		t.Fatal(err)
	}
	if info.Frames != 100 || info.FPS != 25 || info.Width != 320 || info.Height != 240 || info.Codec == "" || info.Container != "mp4" {
		t.Errorf("Probe without ffprobe = %+v", info)
	}
	if _, err := Probe(context.Background(), audio); errs.CodeOf(err) != errs.VideoUnreadable {
		t.Errorf("audio-only without ffprobe: code %s (%v), want ERR_VIDEO_UNREADABLE", errs.CodeOf(err), err)
	}
}

// A picture is not an episode: PNG, JPEG (also under a video's name) and a
// one-frame video are refused at probe with ERR_VIDEO_UNSUPPORTED saying
// so (TestProbeWithoutFFprobe: also without ffprobe); two frames are a (very short) video.
func TestProbeStillImage(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir := t.TempDir()
	png := mediaPath(t, "noface_coffee.png")
	jpg := ffmpeg(t, filepath.Join(dir, "frame.jpg"), "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1")
	raw, err := os.ReadFile(jpg)
	if err != nil {
		t.Fatal(err)
	}
	jpgAsMP4 := filepath.Join(dir, "renamed.mp4")
	if err := os.WriteFile(jpgAsMP4, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	oneFrame := ffmpeg(t, filepath.Join(dir, "one_frame.mp4"), "-i", png, "-frames:v", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p")
	twoFrames := ffmpeg(t, filepath.Join(dir, "two_frames.mp4"), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-frames:v", "2",
		"-c:v", "libx264", "-pix_fmt", "yuv420p")
	for _, p := range []string{png, jpg, jpgAsMP4, oneFrame} {
		checkStillImage(t, p)
	}
	if info, err := Probe(context.Background(), twoFrames); err != nil || info.Frames != 2 {
		t.Errorf("two-frame video: frames %d, %v; want 2 and no error", info.Frames, err)
	}
}

// checkStillImage asserts that Probe refuses path as a still image.
func checkStillImage(t *testing.T, path string) {
	t.Helper()
	_, err := Probe(context.Background(), path)
	if got := errs.CodeOf(err); got != errs.VideoUnsupported {
		t.Fatalf("%s: code = %s (%v), want ERR_VIDEO_UNSUPPORTED", filepath.Base(path), got, err)
	}
	e := errs.As(err)
	if want := filepath.Base(path) + " is a still image, not a video."; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	if !strings.Contains(e.Hint, "video file") {
		t.Errorf("hint %q does not say to choose the video file", e.Hint)
	}
}
