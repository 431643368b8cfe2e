package playback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// errNoFFprobe means ffprobe is not on PATH: the file is then served as it
// is (nothing can make a proxy without ffmpeg either).
var errNoFFprobe = errors.New("playback: ffprobe not found")

// ffprobe runs ffprobe's JSON output on path; the file: protocol keeps a
// name starting with "-" or holding ":" from being read as an option or a
// protocol.
func ffprobe(ctx context.Context, path string, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		return nil, errNoFFprobe
	}
	full := append([]string{"-v", "error", "-print_format", "json"}, args...)
	cmd := exec.CommandContext(ctx, bin, append(full, "file:"+path)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("playback: ffprobe %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

type probeJSON struct {
	Streams []struct {
		CodecType   string         `json:"codec_type"`
		CodecName   string         `json:"codec_name"`
		PixFmt      string         `json:"pix_fmt"`
		Height      int            `json:"height"`
		Disposition map[string]int `json:"disposition"`
	} `json:"streams"`
	Format struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
}

// probeMedia reads the facts Decide needs from the file at path.
func probeMedia(ctx context.Context, path string) (Media, error) {
	out, err := ffprobe(ctx, path, "-show_format", "-show_streams")
	if err != nil {
		return Media{}, err
	}
	var p probeJSON
	if err := json.Unmarshal(out, &p); err != nil {
		return Media{}, fmt.Errorf("playback: decode ffprobe output for %s: %w", path, err)
	}
	m := Media{Container: Container(p.Format.FormatName, path)}
	m.DurationS, _ = strconv.ParseFloat(p.Format.Duration, 64)
	haveVideo, haveAudio := false, false
	for _, s := range p.Streams {
		switch {
		case s.CodecType == "video" && !haveVideo && s.Disposition["attached_pic"] == 0:
			haveVideo = true
			m.Video, m.PixFmt, m.Height = s.CodecName, s.PixFmt, s.Height
		case s.CodecType == "audio" && !haveAudio:
			haveAudio = true
			m.Audio = s.CodecName
		}
	}
	if !haveVideo {
		return m, fmt.Errorf("playback: %s has no video stream", path)
	}
	return m, nil
}

// probed is a cached probe of one file version.
type probed struct {
	size  int64
	mtime time.Time
	media Media
}

// media returns the probe of the file at path whose stat is st, from the
// cache while the file keeps its size and modification time.
func (s *Server) media(ctx context.Context, path string, st os.FileInfo) (Media, error) {
	s.mu.Lock()
	c, ok := s.probes[path]
	s.mu.Unlock()
	if ok && c.size == st.Size() && c.mtime.Equal(st.ModTime()) {
		return c.media, nil
	}
	m, err := probeMedia(ctx, path)
	if err != nil {
		return m, err
	}
	s.mu.Lock()
	s.probes[path] = probed{size: st.Size(), mtime: st.ModTime(), media: m}
	s.mu.Unlock()
	return m, nil
}
