package playback

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"castscope/backend/errs"
	"castscope/backend/harvest"
)

func needFFmpeg(tb testing.TB) {
	tb.Helper()
	for _, b := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
				tb.Fatalf("%s is not installed", b)
			}
			tb.Skipf("%s is not installed", b)
		}
	}
}

// makeVideo writes a test-pattern video (with a tone when audio is true)
// encoded by args to path.
func makeVideo(tb testing.TB, path, size string, seconds float64, fps int, audio bool, args ...string) {
	tb.Helper()
	in := []string{"-v", "error", "-y", "-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=%s:rate=%d", size, fps)}
	if audio {
		in = append(in, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000")
	}
	in = append(in, "-t", strconv.FormatFloat(seconds, 'f', -1, 64))
	out, err := exec.Command("ffmpeg", append(append(in, args...), path)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffmpeg %s: %v\n%s", path, err, out)
	}
}

// episodes is a registry of test episodes: key → video file; artifact
// folders live under root. It counts lookups.
type episodes struct {
	root    string
	videos  map[string]string
	lookups atomic.Int64
}

func (e *episodes) lookup(_ context.Context, key string) (string, string, error) {
	e.lookups.Add(1)
	v, ok := e.videos[key]
	if !ok {
		return "", "", errs.New(errs.EpisodeNotRegistered, fmt.Sprintf("No episode %q is registered.", key), "")
	}
	return v, harvest.Dir(e.root, key), nil
}

func newServer(t *testing.T, videos map[string]string) (*Server, *episodes) {
	eps := &episodes{root: t.TempDir(), videos: videos}
	s := New(eps.lookup)
	t.Cleanup(s.Close)
	return s, eps
}

func get(t *testing.T, h http.Handler, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://wails.localhost"+target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

type streamFacts struct {
	Codec    string  `json:"codec_name"`
	Height   int     `json:"height"`
	Width    int     `json:"width"`
	Frames   string  `json:"nb_read_frames"`
	Start    string  `json:"start_time"`
	Duration float64 `json:"-"`
}

// probeVideo counts the decoded frames of path's first video stream and
// returns its codec, size, start and the file's duration.
func probeVideo(t *testing.T, path string) streamFacts {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "V:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames,start_time:format=duration", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p struct {
		Streams []streamFacts `json:"streams"`
		Format  struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &p); err != nil || len(p.Streams) != 1 {
		t.Fatalf("ffprobe %s: %v %s", path, err, out)
	}
	p.Streams[0].Duration, _ = strconv.ParseFloat(p.Format.Duration, 64)
	return p.Streams[0]
}

// An H.264 MP4 is served as it is, a byte range as 206 with exactly those
// bytes; no proxy is made.
func TestDirectFileServedWithRange(t *testing.T) {
	needFFmpeg(t)
	src := filepath.Join(t.TempDir(), "show_s01_e01.mp4")
	makeVideo(t, src, "320x240", 2, 25, true, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac")
	s, eps := newServer(t, map[string]string{"show_s01_e01": src})

	want, _ := os.ReadFile(src)
	res := get(t, s, "/media/show_s01_e01", "Range", "bytes=100-199")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, want[100:200]) {
		t.Fatalf("status %d, %d bytes; want 206 and bytes 100-199 of the file", res.StatusCode, len(body))
	}
	if got := res.Header.Get("Content-Range"); got != fmt.Sprintf("bytes 100-199/%d", len(want)) {
		t.Errorf("Content-Range %q", got)
	}
	if got := res.Header.Get("Content-Type"); got != "video/mp4" {
		t.Errorf("Content-Type %q", got)
	}
	res = get(t, s, "/media/show_s01_e01")
	body, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, want) || res.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("whole file: status %d, %d of %d bytes, Accept-Ranges %q", res.StatusCode, len(body), len(want), res.Header.Get("Accept-Ranges"))
	}
	// A second request after a modification time check is 304.
	res = get(t, s, "/media/show_s01_e01", "If-Modified-Since", res.Header.Get("Last-Modified"))
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: status %d, want 304", res.StatusCode)
	}

	st, err := s.Status(context.Background(), "show_s01_e01")
	if err != nil || !st.Direct || st.URL != "/media/show_s01_e01" || st.ProxyReady || st.Reason != "H.264 in MP4: the window plays it directly" {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if n := s.ffmpegRuns.Load(); n != 0 {
		t.Errorf("ffmpeg ran %d times for a direct file", n)
	}
	if _, err := os.Stat(filepath.Join(harvest.Dir(eps.root, "show_s01_e01"), harvest.ProxyFile)); !os.IsNotExist(err) {
		t.Errorf("a proxy was made for a direct file: %v", err)
	}
}

// Unknown keys are 404; malformed ones 400 without a lookup (so nothing
// of theirs reaches the file system); other paths 404, other methods 405;
// an episode whose file is gone 410.
func TestKeysAndMissingFiles(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "gone.mp4")
	s, eps := newServer(t, map[string]string{"gone_s01_e01": gone})

	if res := get(t, s, "/media/nobody_s01_e01"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown key: status %d, want 404", res.StatusCode)
	}
	res := get(t, s, "/media/gone_s01_e01")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusGone || !bytes.Contains(body, []byte("ERR_INPUT_NOT_FOUND")) {
		t.Errorf("missing file: status %d %q, want 410", res.StatusCode, body)
	}
	if _, err := s.Status(context.Background(), "gone_s01_e01"); errs.CodeOf(err) != errs.InputNotFound {
		t.Errorf("Status of a missing file: %v", err)
	}
	before := eps.lookups.Load()
	for _, target := range []string{"/media/..", "/media/..%2F..%2Fetc%2Fpasswd", "/media/a%2Fb", "/media/%2Fetc%2Fpasswd",
		"/media/", "/media/Show_S01", "/media/a%00b", "/media/a.mp4", "/media/" + string(bytes.Repeat([]byte("a"), 81))} {
		if res := get(t, s, target); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", target, res.StatusCode)
		}
	}
	if n := eps.lookups.Load() - before; n != 0 {
		t.Errorf("malformed keys reached the lookup %d times", n)
	}
	if res := get(t, s, "/other/gone_s01_e01"); res.StatusCode != http.StatusNotFound {
		t.Errorf("another path: status %d, want 404", res.StatusCode)
	}
	req := httptest.NewRequest(http.MethodPost, "/media/gone_s01_e01", nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", w.Code)
	}
}

// An MPEG-2 program stream plays through a proxy: made once by ffmpeg, an
// H.264 file 540 lines high with the source's frames and duration, reused
// by later requests and by a new Server, made again when the source
// changes.
func TestProxyMadeOnceAndReused(t *testing.T) {
	needFFmpeg(t)
	src := filepath.Join(t.TempDir(), "old_s01_e02.mpg")
	makeVideo(t, src, "320x576", 3, 25, true, "-c:v", "mpeg2video", "-q:v", "4", "-c:a", "mp2")
	videos := map[string]string{"old_s01_e02": src}
	s, eps := newServer(t, videos)
	ctx := context.Background()

	st, err := s.Status(ctx, "old_s01_e02")
	if err != nil || st.Direct || st.ProxyReady || st.Reason != "MPEG-2 in MPEG-PS: the window cannot play it; playing a 540p H.264 proxy" {
		t.Fatalf("Status before = %+v, %v", st, err)
	}
	res := get(t, s, "/media/old_s01_e02", "Range", "bytes=0-1023")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusPartialContent || len(body) != 1024 || res.Header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("status %d, %d bytes, %q", res.StatusCode, len(body), res.Header.Get("Content-Type"))
	}
	proxy := filepath.Join(harvest.Dir(eps.root, "old_s01_e02"), harvest.ProxyFile)
	pst, err := os.Stat(proxy)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(proxy)
	if !bytes.Equal(body, data[:1024]) {
		t.Error("the response is not the proxy's bytes")
	}
	if !bytes.Equal(data[4:8], []byte("ftyp")) || !bytes.Contains(data[:4096], []byte("moov")) {
		t.Error("the proxy's index is not at the front (+faststart)")
	}
	if n := s.ffmpegRuns.Load(); n != 1 {
		t.Fatalf("ffmpeg ran %d times, want 1", n)
	}
	srcFacts, proxyFacts := probeVideo(t, src), probeVideo(t, proxy)
	if proxyFacts.Codec != "h264" || proxyFacts.Height != 540 || proxyFacts.Width != 300 {
		t.Errorf("proxy is %s %dx%d, want h264 300x540", proxyFacts.Codec, proxyFacts.Width, proxyFacts.Height)
	}
	if proxyFacts.Frames != srcFacts.Frames || srcFacts.Frames != "75" {
		t.Errorf("proxy has %s frames, source %s (want 75)", proxyFacts.Frames, srcFacts.Frames)
	}
	if math.Abs(proxyFacts.Duration-srcFacts.Duration) > 0.1 {
		t.Errorf("proxy lasts %.3f s, source %.3f s", proxyFacts.Duration, srcFacts.Duration)
	}
	if start, _ := strconv.ParseFloat(proxyFacts.Start, 64); math.Abs(start) > 0.02 {
		t.Errorf("proxy's video starts at %s s, want 0 (source %s)", proxyFacts.Start, srcFacts.Start)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(proxy), ".tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// Reused: no ffmpeg, the file untouched; Status says ready.
	time.Sleep(20 * time.Millisecond)
	if res := get(t, s, "/media/old_s01_e02"); res.StatusCode != http.StatusOK {
		t.Fatalf("second request: status %d", res.StatusCode)
	}
	if st2, _ := os.Stat(proxy); s.ffmpegRuns.Load() != 1 || !st2.ModTime().Equal(pst.ModTime()) {
		t.Fatalf("second request: ffmpeg runs %d, mtime %v → %v", s.ffmpegRuns.Load(), pst.ModTime(), st2.ModTime())
	}
	if st, err := s.Status(ctx, "old_s01_e02"); err != nil || !st.ProxyReady || st.ProxyProgress != 1 {
		t.Fatalf("Status after = %+v, %v", st, err)
	}
	// A new Server (the app restarted) reads the proxy's fingerprint.
	s2 := New(eps.lookup)
	defer s2.Close()
	if err := s2.Prepare(ctx, "old_s01_e02"); err != nil || s2.ffmpegRuns.Load() != 0 {
		t.Fatalf("after a restart: %v, ffmpeg ran %d times", err, s2.ffmpegRuns.Load())
	}
	// The source changes: its proxy is stale and is made again.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(src, later, later); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Status(ctx, "old_s01_e02"); st.ProxyReady {
		t.Error("a proxy of an older source version is reported ready")
	}
	if err := s.Prepare(ctx, "old_s01_e02"); err != nil || s.ffmpegRuns.Load() != 2 {
		t.Fatalf("after the source changed: %v, ffmpeg ran %d times, want 2", err, s.ffmpegRuns.Load())
	}
}

// Two requests at once for a proxy not made yet wait on one ffmpeg and
// get the same file.
func TestConcurrentRequestsShareOneFFmpeg(t *testing.T) {
	needFFmpeg(t)
	src := filepath.Join(t.TempDir(), "clip.avi")
	makeVideo(t, src, "320x240", 4, 25, true, "-c:v", "mpeg4", "-q:v", "5", "-c:a", "libmp3lame")
	s, _ := newServer(t, map[string]string{"clip": src})
	if st, err := s.Status(context.Background(), "clip"); err != nil || st.Direct ||
		st.Reason != "MPEG-4 Part 2 in AVI: the window cannot play it; playing a 240p H.264 proxy" {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	var wg sync.WaitGroup
	bodies := make([][]byte, 3)
	codes := make([]int, 3)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := get(t, s, "/media/clip")
			codes[i] = res.StatusCode
			bodies[i], _ = io.ReadAll(res.Body)
		}()
	}
	wg.Wait()
	if n := s.ffmpegRuns.Load(); n != 1 {
		t.Errorf("ffmpeg ran %d times for concurrent requests, want 1", n)
	}
	for i := range bodies {
		if codes[i] != http.StatusOK || len(bodies[i]) == 0 || !bytes.Equal(bodies[i], bodies[0]) {
			t.Errorf("request %d: status %d, %d bytes", i, codes[i], len(bodies[i]))
		}
	}
}

// A request that goes away while the proxy is made gets ERR_CANCELED at
// once, but the making goes on (the viewer closed for a moment must not
// start an hour's conversion over): the next request finds it made, with
// one ffmpeg run in all. Close stops a making and leaves nothing behind.
func TestProxyOutlivesItsRequests(t *testing.T) {
	needFFmpeg(t)
	src := filepath.Join(t.TempDir(), "long.avi")
	makeVideo(t, src, "640x480", 30, 25, false, "-c:v", "mpeg4", "-q:v", "8")
	s, _ := newServer(t, map[string]string{"long": src})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for s.ffmpegRuns.Load() == 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if err := s.Prepare(ctx, "long"); errs.CodeOf(err) != errs.Canceled {
		t.Fatalf("Prepare = %v, want ERR_CANCELED once its caller went away", err)
	}
	if st, err := s.Status(context.Background(), "long"); err != nil || !st.ProxyMaking {
		t.Fatalf("status after the caller left: %+v %v; want the proxy still being made", st, err)
	}
	if err := s.Prepare(context.Background(), "long"); err != nil {
		t.Fatalf("second Prepare: %v", err)
	}
	if st, _ := s.Status(context.Background(), "long"); !st.ProxyReady || s.ffmpegRuns.Load() != 1 {
		t.Fatalf("ready=%v after %d ffmpeg runs; want ready after one", st.ProxyReady, s.ffmpegRuns.Load())
	}

	// Close mid-way: ffmpeg stops, its temporary file goes.
	src2 := filepath.Join(t.TempDir(), "long2.avi")
	makeVideo(t, src2, "640x480", 30, 25, false, "-c:v", "mpeg4", "-q:v", "8")
	s2, eps2 := newServer(t, map[string]string{"long2": src2})
	go func() {
		for s2.ffmpegRuns.Load() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		s2.Close()
	}()
	if err := s2.Prepare(context.Background(), "long2"); errs.CodeOf(err) != errs.Canceled {
		t.Fatalf("Prepare during Close = %v, want ERR_CANCELED", err)
	}
	dir := harvest.Dir(eps2.root, "long2")
	deadline := time.Now().Add(10 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(dir, "*"))
		hidden, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
		if len(left)+len(hidden) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("left in the artifact folder after Close: %v %v", left, hidden)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A source that ffmpeg cannot convert (replaced by garbage behind the
// probe's back) is ERR_VIDEO_UNREADABLE, and no file is left.
func TestFailedFFmpegIsTyped(t *testing.T) {
	needFFmpeg(t)
	src := filepath.Join(t.TempDir(), "bad.avi")
	makeVideo(t, src, "160x120", 1, 10, false, "-c:v", "mpeg4")
	s, eps := newServer(t, map[string]string{"bad": src})
	ctx := context.Background()
	if _, err := s.Status(ctx, "bad"); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(src)
	if err := os.WriteFile(src, bytes.Repeat([]byte{0xAB}, int(st.Size())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(src, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	err := s.Prepare(ctx, "bad")
	if errs.CodeOf(err) != errs.VideoUnreadable {
		t.Fatalf("Prepare = %v, want ERR_VIDEO_UNREADABLE", err)
	}
	if st, err := s.Status(ctx, "bad"); err != nil || st.ProxyError == "" || st.ProxyReady || st.ProxyMaking {
		t.Errorf("status after a failed making: %+v %v; want the failure reported", st, err)
	}
	res := get(t, s, "/media/bad")
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", res.StatusCode)
	}
	dir := harvest.Dir(eps.root, "bad")
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if len(left)+len(hidden) != 0 {
		t.Errorf("left in the artifact folder: %v %v", left, hidden)
	}
}
