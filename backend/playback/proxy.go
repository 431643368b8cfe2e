package playback

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"castscope/backend/errs"
	"castscope/backend/harvest"
)

// ProxyHeight is the proxy's frame height; a smaller source keeps its own.
const ProxyHeight = 540

// recipe names the proxy's encoding settings inside its fingerprint: a
// change of ProxyArgs bumps it, and every proxy is made again.
const recipe = "castscope-proxy/1"

// proxyHeight is the proxy's frame height for a source h pixels high: 540,
// or h (made even) when the source is smaller.
func proxyHeight(h int) int {
	if h <= 0 || h > ProxyHeight {
		return ProxyHeight
	}
	return h &^ 1
}

// fingerprint identifies the source version a proxy was made from: the
// recipe, the source's size and modification time (ns). A replaced or
// edited source changes it.
func fingerprint(st os.FileInfo) string {
	return fmt.Sprintf("%s size=%d mtime=%d", recipe, st.Size(), st.ModTime().UnixNano())
}

// ProxyArgs is ffmpeg's command line (less "ffmpeg" itself) that turns src
// into the proxy at dst (see the package doc for the choices).
func ProxyArgs(src, dst string, m Media, fp string) []string {
	h := proxyHeight(m.Height)
	args := []string{"-nostdin", "-v", "error", "-y", "-i", "file:" + src,
		"-map", "0:V:0", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
		"-vf", fmt.Sprintf("yadif=mode=send_frame:deint=interlaced,scale=w='trunc(oh*dar/2)*2':h=%d,setsar=1", h),
		"-fps_mode", "passthrough",
		"-c:v", "libx264", "-preset", "fast", "-crf", "23", "-pix_fmt", "yuv420p",
	}
	if m.Audio != "" {
		args = append(args, "-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2")
	}
	return append(args, "-movflags", "+faststart", "-metadata", "comment="+fp,
		"-progress", "pipe:1", "-nostats", "-f", "mp4", "file:"+dst)
}

// build is one making (or check) of a proxy that requests wait on.
type build struct {
	done     chan struct{}
	err      error
	progress atomic.Uint64 // math.Float64bits of 0…1
}

// failure is a build's error, for the source version (fp) it was made from.
type failure struct {
	fp  string
	err *errs.Error
}

// proxyOK is a cached check of a proxy file version.
type proxyOK struct {
	size  int64
	mtime time.Time
	fp    string
}

// proxyValid reports whether the proxy at path exists and was made from
// the source version fp (its comment tag; checked with ffprobe once per
// proxy version).
func (s *Server) proxyValid(ctx context.Context, path, fp string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	s.mu.Lock()
	c, ok := s.proxies[path]
	s.mu.Unlock()
	if ok && c.size == st.Size() && c.mtime.Equal(st.ModTime()) {
		return c.fp == fp
	}
	out, err := ffprobe(ctx, path, "-show_entries", "format_tags=comment:format=format_name")
	if err != nil {
		return false
	}
	var p probeJSON
	if json.Unmarshal(out, &p) != nil {
		return false
	}
	got := p.Format.Tags["comment"]
	s.mu.Lock()
	s.proxies[path] = proxyOK{size: st.Size(), mtime: st.ModTime(), fp: got}
	s.mu.Unlock()
	return got == fp
}

// ensureProxy returns the path of src's proxy in dir, made first when it
// is missing or was made from another version of src. Concurrent callers
// for one proxy share one check and one ffmpeg. A build, once started,
// runs until it is done or the Server is closed: a caller that goes away
// (the viewer closed, another tab chosen) returns ERR_CANCELED at once,
// but the proxy goes on being made, so coming back finds it further on
// or ready instead of starting over.
func (s *Server) ensureProxy(ctx context.Context, src string, st os.FileInfo, m Media, dir string) (string, error) {
	path := filepath.Join(dir, harvest.ProxyFile)
	fp := fingerprint(st)
	if s.proxyValid(ctx, path, fp) {
		return path, nil
	}
	s.mu.Lock()
	b := s.builds[path]
	if b == nil {
		bctx, cancel := context.WithCancel(s.base)
		b = &build{done: make(chan struct{})}
		s.builds[path] = b
		go func() {
			defer cancel()
			if !s.proxyValid(bctx, path, fp) {
				b.err = s.makeProxy(bctx, src, m, path, fp, &b.progress)
			}
			s.mu.Lock()
			if s.builds[path] == b {
				delete(s.builds, path)
			}
			if b.err != nil && errs.CodeOf(b.err) != errs.Canceled {
				s.failed[path] = failure{fp: fp, err: errs.As(b.err)}
			} else {
				delete(s.failed, path)
			}
			s.mu.Unlock()
			close(b.done)
		}()
	}
	s.mu.Unlock()
	select {
	case <-b.done:
		return path, b.err
	case <-ctx.Done():
		return "", canceled(src, ctx.Err())
	}
}

func canceled(src string, cause error) error {
	return errs.Wrap(errs.Canceled, cause, fmt.Sprintf("Stopped waiting for the playback copy of %s.", filepath.Base(src)),
		"It is still being made: open the viewer again to play it.")
}

// progress returns how far the proxy at dir is made (0…1) and whether it
// is being made now.
func (s *Server) progress(dir string) (float64, bool) {
	s.mu.Lock()
	b := s.builds[filepath.Join(dir, harvest.ProxyFile)]
	s.mu.Unlock()
	if b == nil {
		return 0, false
	}
	return math.Float64frombits(b.progress.Load()), true
}

// staleTemp is the age after which a temporary proxy no ffmpeg writes any
// more (the app was killed mid-way) is removed.
const staleTemp = time.Hour

// makeProxy runs ffmpeg from src into a temporary file beside path, syncs
// it and renames it over path. The temporary file is removed on any
// failure. ffmpeg needs a seekable file to move the index to the front
// (+faststart), so it writes the temporary file itself rather than through
// atomicfile's writer; the rename is atomicfile's, done here.
func (s *Server) makeProxy(ctx context.Context, src string, m Media, path, fp string, prog *atomic.Uint64) error {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return errs.Wrap(errs.VideoUnsupported, err, fmt.Sprintf("%s needs converting to play in the window, and ffmpeg is not installed.", filepath.Base(src)),
			"Install ffmpeg (sudo apt install ffmpeg) and open the episode again.")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errs.FS(err, dir)
	}
	if old, _ := filepath.Glob(filepath.Join(dir, ".tmp-"+harvest.ProxyFile+"-*")); len(old) > 0 {
		for _, o := range old {
			if st, err := os.Stat(o); err == nil && time.Since(st.ModTime()) > staleTemp {
				os.Remove(o)
			}
		}
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+harvest.ProxyFile+"-*")
	if err != nil {
		return errs.FS(err, path)
	}
	tmpName := tmp.Name()
	tmp.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmpName)
		}
	}()

	s.ffmpegRuns.Add(1)
	cmd := exec.CommandContext(ctx, bin, ProxyArgs(src, tmpName, m, fp)...)
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return errs.Wrap(errs.Internal, err, "ffmpeg could not be started.", "See the log for the cause.")
	}
	if err := cmd.Start(); err != nil {
		return errs.Wrap(errs.VideoUnsupported, err, "ffmpeg could not be started.", "Check that ffmpeg is installed and runs.")
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		// -progress prints key=value lines; out_time_us is the
		// output's time so far.
		if v, found := strings.CutPrefix(sc.Text(), "out_time_us="); found && m.DurationS > 0 {
			if us, err := strconv.ParseInt(v, 10, 64); err == nil && us > 0 {
				prog.Store(math.Float64bits(math.Min(1, float64(us)/1e6/m.DurationS)))
			}
		}
	}
	// A scanner that stopped early (an overlong line) must not leave
	// ffmpeg blocked on a full pipe.
	io.Copy(io.Discard, stdout) //nolint:errcheck
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return canceled(src, ctx.Err())
		}
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "No space left on device") {
			return errs.FS(fmt.Errorf("%w: %s", syscall.ENOSPC, msg), path)
		}
		return errs.Wrap(errs.VideoUnreadable, fmt.Errorf("ffmpeg: %w: %s", err, tail(msg, 2000)),
			fmt.Sprintf("%s could not be converted to play in the window.", filepath.Base(src)),
			"Check that the file plays in a media player; re-export it as H.264 MP4 if not.")
	}
	f, err := os.OpenFile(tmpName, os.O_RDWR, 0)
	if err != nil {
		return errs.FS(err, path)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return errs.FS(err, path)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return errs.FS(err, path)
	}
	if err := f.Close(); err != nil {
		return errs.FS(err, path)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return errs.FS(err, path)
	}
	ok = true
	if st, err := os.Stat(path); err == nil {
		s.mu.Lock()
		s.proxies[path] = proxyOK{size: st.Size(), mtime: st.ModTime(), fp: fp}
		s.mu.Unlock()
	}
	prog.Store(math.Float64bits(1))
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
