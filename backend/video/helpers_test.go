package video

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"castscope/backend/testmedia"
)

// mediaPath returns a file of the repository's testdata/media (or of
// $CASTSCOPE_MEDIA); it skips when absent, or fails under
// CASTSCOPE_REQUIRE_MODELS=1.
func mediaPath(tb testing.TB, file string) string {
	tb.Helper()
	return testmedia.Path(tb, file)
}

func needFFmpeg(tb testing.TB) {
	tb.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
				tb.Fatalf("%s not on PATH", b)
			}
			tb.Skipf("%s not on PATH", b)
		}
	}
}

// ffmpeg runs ffmpeg with args and writes out (in dir), returning its path.
func ffmpeg(tb testing.TB, out string, args ...string) string {
	tb.Helper()
	full := append([]string{"-v", "error", "-y"}, args...)
	full = append(full, out)
	cmd := exec.Command("ffmpeg", full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

var (
	clipOnce sync.Once
	clipDir  string
)

// generatedClip returns a 320×240 25 fps 4 s H.264 MP4 generated once per
// test binary (several tests read it; none writes it).
func generatedClip(tb testing.TB) string {
	tb.Helper()
	needFFmpeg(tb)
	clipOnce.Do(func() {
		d, err := os.MkdirTemp("", "castscope-video-test")
		if err != nil {
			tb.Fatal(err)
		}
		clipDir = d
		ffmpeg(tb, filepath.Join(d, "clip.mp4"), "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4",
			"-c:v", "libx264", "-g", "25", "-bf", "2", "-pix_fmt", "yuv420p")
	})
	return filepath.Join(clipDir, "clip.mp4")
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{clipDir, trimDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}
