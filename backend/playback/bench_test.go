package playback

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// benchHour returns a one-hour H.264 MP4 (testsrc, 320×240 at 1 fps, a
// keyframe every 10 s), made once and kept in the temporary folder for
// later runs.
func benchHour(b *testing.B) string {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("ffmpeg is not installed")
	}
	path := filepath.Join(os.TempDir(), "castscope-playback-bench-1h.mp4")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".part.mp4"
	out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=1",
		"-t", "3600", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", tmp).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkSeek serves the first 64 KiB after a seek to the middle of a
// one-hour file: what a jump on the timeline costs the Go side.
func BenchmarkSeek(b *testing.B) {
	src := benchHour(b)
	st, err := os.Stat(src)
	if err != nil {
		b.Fatal(err)
	}
	eps := &episodes{root: b.TempDir(), videos: map[string]string{"hour_s01_e01": src}}
	s := New(eps.lookup)
	defer s.Close()
	mid := st.Size() / 2
	rng := fmt.Sprintf("bytes=%d-%d", mid, mid+64<<10-1)
	b.ReportMetric(float64(st.Size())/(1<<20), "file_MiB")
	serve := func() {
		req := httptest.NewRequest(http.MethodGet, "/media/hour_s01_e01", nil)
		req.Header.Set("Range", rng)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusPartialContent || w.Body.Len() != 64<<10 {
			b.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
		}
	}
	serve() // the first request probes the file; later ones use the cache
	b.SetBytes(64 << 10)
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
}
