package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"castscope/backend/harvest"
	"castscope/backend/testmedia"
)

// TestWindowOpensUnderXvfb starts the production binary (built by `make
// test`, named by $CASTSCOPE_BIN) in a virtual X display, waits for the
// window, takes a screenshot with ImageMagick and checks that the window is
// up, the process stays alive and the picture is not blank. The screenshot
// is kept in .cache/test-artifacts/window.png.
func TestWindowOpensUnderXvfb(t *testing.T) {
	bin := os.Getenv("CASTSCOPE_BIN")
	if bin == "" {
		if os.Getenv("CI") != "" || os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
			t.Fatal("CASTSCOPE_BIN is not set: run the tests with `make test`, which builds the binary")
		}
		t.Skip("CASTSCOPE_BIN not set (run `make test`)")
	}
	for _, tool := range []string{"Xvfb", "import", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make deps installs it): %v", tool, err)
		}
	}
	display := startXvfb(t)
	waitFor(t, 10*time.Second, "X display", func() bool {
		return exec.Command("xdotool", "getdisplaygeometry").Run() == nil
	}, "DISPLAY="+display)

	data := t.TempDir()
	// A video named on the command line (a file manager's "Open with")
	// is added when the window opens.
	video := filepath.Join(t.TempDir(), "Opened With_S01E01.mp4")
	if b, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=1",
		"-pix_fmt", "yuv420p", video).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	// Two more for the viewer's playback check: MPEG-4 Part 2 in AVI,
	// which the window cannot play (it gets a proxy), and an hour of
	// H.264 (a seek to its middle).
	avi := filepath.Join(t.TempDir(), "Old Format_S01E03.avi")
	hour := filepath.Join(t.TempDir(), "One Hour_S01E04.mp4")
	for _, c := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=176x144:rate=25:duration=2", "-c:v", "mpeg4", "-q:v", "5", avi},
		{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=1:duration=3600", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", hour},
	} {
		if b, err := exec.Command("ffmpeg", append([]string{"-loglevel", "error"}, c...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v\n%s", c, err, b)
		}
	}
	var logs bytes.Buffer
	check := filepath.Join(t.TempDir(), "window-check.json")
	app := exec.Command(bin, video, avi, hour)
	app.Env = append(os.Environ(), "DISPLAY="+display, "CASTSCOPE_DATA="+data, "CASTSCOPE_WINDOW_CHECK="+check)
	app.Stdout, app.Stderr = &logs, &logs
	if err := app.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	t.Cleanup(func() {
		app.Process.Kill()
		<-exited
	})

	find := exec.Command("xdotool", "search", "--sync", "--onlyvisible", "--name", "Castscope")
	find.Env = append(os.Environ(), "DISPLAY="+display)
	found := make(chan error, 1)
	go func() { found <- find.Run() }()
	select {
	case err := <-found:
		if err != nil {
			t.Fatalf("no visible Castscope window: %v\n%s", err, logs.String())
		}
	case err := <-exited:
		t.Fatalf("app exited before its window appeared: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		find.Process.Kill()
		t.Fatalf("no Castscope window after 60 s\n%s", logs.String())
	}
	// The window's engine plays each episode's video from the URL the
	// viewer uses (the window check of app_windowcheck.go): WebKitGTK
	// decodes H.264 with GStreamer's libav plugin, which make deps and
	// the package bring; the AVI plays through its proxy.
	var played []WindowCheckResult
	waitFor(t, 120*time.Second, "the window's playback check", func() bool {
		b, err := os.ReadFile(check)
		return err == nil && json.Unmarshal(b, &played) == nil
	})
	want := map[string]struct {
		w     int
		proxy bool
	}{"opened_with_s01_e01": {160, false}, "old_format_s01_e03": {176, true}, "one_hour_s01_e04": {320, false}}
	for _, p := range played {
		t.Logf("window playback: %s readyState %d, %dx%d, %.2f s, seeks shown in %.0f ms (median; %.0f)", p.Key, p.ReadyState, p.VideoWidth, p.VideoHeight, p.DurationS, p.SeekMs, p.SeeksMs)
		w, ok := want[p.Key]
		if !ok {
			continue
		}
		delete(want, p.Key)
		// The proxy is 540p at most and never upscaled: the source's size.
		if p.Error != "" || p.ReadyState < 2 || p.VideoWidth != w.w {
			t.Errorf("the window did not play %s: %+v", p.Key, p)
		}
		_, err := os.Stat(filepath.Join(harvest.Dir(data, p.Key), harvest.ProxyFile))
		if made := err == nil; made != w.proxy {
			t.Errorf("%s: proxy made %v, want %v", p.Key, made, w.proxy)
		}
	}
	if len(want) > 0 {
		t.Errorf("not played: %v\n%s", want, logs.String())
	}

	// The page has rendered (it ran the check); the app still runs.
	select {
	case err := <-exited:
		t.Fatalf("app exited after opening its window: %v\n%s", err, logs.String())
	default:
	}

	out := filepath.Join(".cache", "test-artifacts", "window.png")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	shot := exec.Command("import", "-window", "root", out)
	shot.Env = append(os.Environ(), "DISPLAY="+display)
	if b, err := shot.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	colours := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 12, g >> 12, bl >> 12}] = true
		}
	}
	// A blank or single-colour window has a handful of colours; the
	// workspace (text, cards, icons) has many.
	if len(colours) < 12 {
		t.Fatalf("screenshot looks blank: %d distinct colours (kept in %s)\n%s", len(colours), out, logs.String())
	}
	if strings.Contains(logs.String(), "panic:") {
		t.Fatalf("app logged a panic:\n%s", logs.String())
	}
	if _, err := os.Stat(filepath.Join(data, "episodes", "opened_with_s01_e01", "state.json")); err != nil {
		t.Errorf("the video named on the command line was not added: %v\n%s", err, logs.String())
	}

	// A second launch on the same data folder (another "Open with") hands
	// its video to this window and exits instead of opening a second one.
	second := filepath.Join(t.TempDir(), "Second Launch_S01E02.mp4")
	if b, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5:duration=2",
		"-pix_fmt", "yuv420p", second).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	relaunch := exec.Command(bin, second)
	relaunch.Env = app.Env
	b2, err := relaunch.CombinedOutput()
	if err != nil || !strings.Contains(string(b2), "opened 1 file(s) in the running Castscope window") {
		t.Fatalf("second launch: %v\n%s", err, b2)
	}
	waitFor(t, 20*time.Second, "the handed-over episode", func() bool {
		_, err := os.Stat(filepath.Join(data, "episodes", "second_launch_s01_e02", "state.json"))
		return err == nil
	})
	select {
	case err := <-exited:
		t.Fatalf("the first window exited after the second launch: %v\n%s", err, logs.String())
	default:
	}
	t.Logf("window up; screenshot %s with %d colours; a second launch handed its file over", out, len(colours))
}

// TestViewerInTheWindow runs the viewer as an editor does, in the real
// window (WebKitGTK) rather than Chromium: after a full run of the test
// clip the episode opens on the viewer, whose video decodes; a click on a
// person's timeline segment moves the playhead there and that person's
// name is drawn on a face; renaming them from that face's box changes the
// name in the overlay and in the Cast view. The page drives itself (the
// window check's viewer mode, app_windowcheck.go) and writes what happened.
func TestViewerInTheWindow(t *testing.T) {
	bin := os.Getenv("CASTSCOPE_BIN")
	if bin == "" {
		if os.Getenv("CI") != "" || os.Getenv("CASTSCOPE_REQUIRE_MODELS") == "1" {
			t.Fatal("CASTSCOPE_BIN is not set: run the tests with `make test`, which builds the binary")
		}
		t.Skip("CASTSCOPE_BIN not set (run `make test`)")
	}
	media, _ := testmedia.Fixtures(t)
	display := startXvfb(t)
	clip := filepath.Join(t.TempDir(), "Window Viewer_S01E01.mp4")
	b, err := os.ReadFile(filepath.Join(media, "faces_synthetic.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(clip, b, 0o644); err != nil {
		t.Fatal(err)
	}
	check := filepath.Join(t.TempDir(), "viewer-check.json")
	var logs bytes.Buffer
	app := exec.Command(bin, clip)
	app.Env = append(os.Environ(), "DISPLAY="+display, "CASTSCOPE_DATA="+t.TempDir(),
		"CASTSCOPE_WINDOW_CHECK="+check, "CASTSCOPE_WINDOW_CHECK_MODE=viewer")
	app.Stdout, app.Stderr = &logs, &logs
	if err := app.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	t.Cleanup(func() {
		app.Process.Kill()
		<-exited
	})
	var r ViewerFlowResult
	deadline := time.Now().Add(6 * time.Minute)
	for {
		if raw, err := os.ReadFile(check); err == nil && json.Unmarshal(raw, &r) == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("app exited: %v\n%s", err, logs.String())
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no viewer check after 6 min\n%s", logs.String())
		}
	}
	t.Logf("viewer in the window: %+v", r)
	if r.Error != "" || r.ReadyState < 2 || !r.LabelDrawn || !r.RenamedInOverlay || !r.RenamedInCast {
		t.Fatalf("the viewer flow failed in the window: %+v", r)
	}
	if d := r.CurrentTime - r.SegmentStart; d < -0.5 || d > 0.5 {
		t.Errorf("segment at %.3f s, playhead at %.3f s", r.SegmentStart, r.CurrentTime)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool, env ...string) {
	t.Helper()
	old := os.Getenv("DISPLAY")
	for _, e := range env {
		if k, v, found := strings.Cut(e, "="); found {
			os.Setenv(k, v)
		}
	}
	defer os.Setenv("DISPLAY", old)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s", what, d)
}

// startXvfb starts a virtual X display on a number Xvfb finds free itself
// (-displayfd: it takes the first display from 1 up whose socket and lock
// file are free, and writes its number to the pipe once it listens), so
// that a test run beside another X server or another test run never
// shares or fails on a display; it returns ":N".
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	xvfb := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	xvfb.ExtraFiles = []*os.File{w} // fd 3 in Xvfb
	var logs bytes.Buffer
	xvfb.Stderr = &logs
	if err := xvfb.Start(); err != nil {
		w.Close()
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() { xvfb.Process.Kill(); xvfb.Wait() })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n') // "N\n"; "" if Xvfb exits first
		got <- strings.TrimSpace(line)
	}()
	var n string
	select {
	case n = <-got:
	case <-time.After(20 * time.Second):
		t.Fatalf("Xvfb gave no display number in 20 s\n%s", logs.String())
	}
	if _, err := strconv.Atoi(n); err != nil {
		t.Fatalf("Xvfb gave no display number (%q)\n%s", n, logs.String())
	}
	return ":" + n
}
