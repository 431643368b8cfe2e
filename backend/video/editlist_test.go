package video

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	trimOnce sync.Once
	trimDir  string
)

// longGOPSource returns a 320×240 25 fps 24 s H.264 MP4 with a keyframe
// every 10 s, generated once per test binary in dir (several tests trim
// it; none writes it). openGOP adds 3 B-frames and open GOPs.
func longGOPSource(tb testing.TB, openGOP bool) string {
	tb.Helper()
	needFFmpeg(tb)
	trimOnce.Do(func() {
		d, err := os.MkdirTemp("", "castscope-video-trim")
		if err != nil {
			tb.Fatal(err)
		}
		trimDir = d
		ffmpeg(tb, filepath.Join(trimDir, "long_gop.mp4"), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "24",
			"-c:v", "libx264", "-g", "250", "-bf", "2", "-pix_fmt", "yuv420p")
		ffmpeg(tb, filepath.Join(trimDir, "open_gop.mp4"), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "24",
			"-c:v", "libx264", "-g", "250", "-bf", "3", "-x264-params", "open-gop=1", "-pix_fmt", "yuv420p")
	})
	if openGOP {
		return filepath.Join(trimDir, "open_gop.mp4")
	}
	return filepath.Join(trimDir, "long_gop.mp4")
}

// trimmedClip stream-copies src from ss seconds on into dir/name: the
// container keeps the frames from the keyframe before ss and its edit
// list hides them.
func trimmedClip(tb testing.TB, dir, name, src, ss string) string {
	tb.Helper()
	return ffmpeg(tb, filepath.Join(dir, name), "-ss", ss, "-i", src, "-c", "copy")
}

// shownFrameTimes returns the presentation time, in seconds, of every
// frame ffprobe decodes from path's first video stream (edit list
// applied, as a player shows them), and the header's frame count.
func shownFrameTimes(tb testing.TB, path string) (times []float64, header int64) {
	tb.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time",
		"-of", "csv=p=0", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("ffprobe frames: %v: %s", err, stderr.String())
	}
	for _, l := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.Trim(l, ","), 64)
		if err != nil {
			tb.Fatalf("ffprobe frame time %q: %v", l, err)
		}
		times = append(times, v)
	}
	out, err = exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=nb_frames", "-of", "csv=p=0", path).Output()
	if err != nil {
		tb.Fatal(err)
	}
	header, _ = strconv.ParseInt(strings.Trim(strings.TrimSpace(string(out)), ","), 10, 64)
	return times, header
}

// An MP4 whose edit list hides its first frames (a stream-copy trim)
// reads to its end without error: Probe's frame count is what a player
// shows (not the header's sample count), every frame decodes, frame 0 is
// the first frame shown at time 0, and each frame's time is the player's.
func TestEditListTrim(t *testing.T) {
	t.Parallel()
	needFFmpeg(t)
	dir := t.TempDir()
	tests := []struct {
		name    string
		openGOP bool
		ss      string
		ext     string
		hidden  bool // the trim hides frames (not a cut on a keyframe)
	}{
		{"cut 3 s into a 10 s GOP", false, "3", "mp4", true},
		{"cut 3.6 s in, open GOPs and 3 B-frames", true, "3.6", "mp4", true},
		{"cut 10.2 s in, just after an open-GOP keyframe", true, "10.2", "mp4", true},
		{"cut 3 s in, MOV", false, "3", "mov", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := longGOPSource(t, tc.openGOP)
			path := trimmedClip(t, dir, strings.NewReplacer(" ", "_", ",", "").Replace(tc.name)+"."+tc.ext, src, tc.ss)
			shown, header := shownFrameTimes(t, path)
			if tc.hidden && header <= int64(len(shown))+1 {
				t.Fatalf("the header counts %d frames and ffprobe decodes %d: the clip has no hidden frames to test", header, len(shown))
			}
			info, err := Probe(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Frames != int64(len(shown)) {
				t.Errorf("Probe frames = %d, want the %d frames ffprobe decodes (header %d)", info.Frames, len(shown), header)
			}
			if info.HiddenFrames != header-int64(len(shown)) {
				t.Errorf("hidden frames = %d, want %d", info.HiddenFrames, header-int64(len(shown)))
			}
			if info.FPS != 25 {
				t.Errorf("fps = %v, want 25", info.FPS)
			}
			frames, _ := readAll(t, path, info, Sampling{}, 0, nil)
			if len(frames) != len(shown) {
				t.Fatalf("reader delivered %d frames, want %d", len(frames), len(shown))
			}
			if shown[0] != 0 || frames[0].PTSms != 0 {
				t.Errorf("first frame at %.3f s (ffprobe) and %d ms (reader), want 0", shown[0], frames[0].PTSms)
			}
			for i, f := range frames {
				if f.Index != int64(i) {
					t.Fatalf("frame %d has index %d", i, f.Index)
				}
				if want := int64(math.Round(shown[i] * 1000)); f.PTSms != want {
					t.Errorf("frame %d at %d ms, a player shows it at %d ms", i, f.PTSms, want)
				}
				if i > 0 && f.PTSms-frames[i-1].PTSms != 40 {
					t.Errorf("frame %d is %d ms after the one before, want 40", i, f.PTSms-frames[i-1].PTSms)
				}
			}
			// Sampled at 5 fps, the last sample lies in the last 200 ms.
			sampled, _ := readAll(t, path, info, Sampling{FPS: 5}, 0, nil)
			if n := len(sampled); n != (len(shown)+4)/5 || sampled[n-1].Index < int64(len(shown))-5 {
				t.Errorf("5 fps: %d samples ending at frame %d, want %d ending in the last 5 of %d", n, sampled[n-1].Index, (len(shown)+4)/5, len(shown))
			}
		})
	}
}
