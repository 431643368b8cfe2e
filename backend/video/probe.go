package video

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"gocv.io/x/gocv"

	"castscope/backend/errs"
)

// Limits of what the pipeline accepts. Frames beyond 8K UHD in either
// direction or below MinSide pixels, and frame rates outside (0, MaxFPS],
// are refused as unsupported.
const (
	MaxWidth  = 7680
	MaxHeight = 7680 // portrait 8K is 4320×7680
	MaxPixels = 7680 * 4320
	MinSide   = 16
	MaxFPS    = 1000
)

// probeFrames is how many frames Probe tries to decode before it calls a
// file undecodable (a stream may open with a few broken frames).
const probeFrames = 10

// Info is what validate records about a video. Frames is the number of
// frames a player shows (a header's count, see the package doc on edit
// lists); frame i is shown at PTSms(info, i). Width and Height are those
// of the frames the Reader delivers (after rotation by the stream's display
// matrix, which OpenCV applies); Rotation is that matrix's angle as the
// legacy "rotate" tag gives it (0, 90, 180 or 270), for information only:
// the frames are already upright.
type Info struct {
	Path              string  `json:"path"`
	Container         string  `json:"container"`
	Codec             string  `json:"codec"`
	Width             int     `json:"width"`
	Height            int     `json:"height"`
	FPS               float64 `json:"fps"`
	Frames            int64   `json:"frames"`
	DurationS         float64 `json:"duration_s"`
	Rotation          int     `json:"rotation"`
	HasAudio          bool    `json:"has_audio"`
	VariableFrameRate bool    `json:"vfr"`
	StartTimecode     string  `json:"start_timecode,omitempty"`
	// HiddenFrames is how many frames the container stores but its edit
	// list hides (a stream-copy trim keeps the frames from the keyframe
	// before the cut); Frames does not count them.
	HiddenFrames int64 `json:"hidden_frames,omitempty"`
}

// shownFrames is the number of frames an edit-list-aware stream duration
// holds at fps (0 when either is unknown).
func shownFrames(durationS, fps float64) int64 {
	if durationS <= 0 || fps <= 0 {
		return 0
	}
	return int64(math.Round(durationS * fps))
}

// imageExts are still-image file types, refused by extension when ffprobe
// is not on PATH to name the format.
var imageExts = map[string]bool{"png": true, "jpg": true, "jpeg": true, "bmp": true, "tif": true, "tiff": true,
	"webp": true, "heic": true, "heif": true, "avif": true, "jxl": true, "dng": true, "psd": true}

// stillImageFormat reports whether ffprobe's format name is one of
// FFmpeg's image readers: image2 (a picture file or numbered sequence) and
// the single-picture demuxers (png_pipe, jpeg_pipe, webp_pipe…).
func stillImageFormat(formats string) bool {
	for _, f := range strings.Split(formats, ",") {
		if f == "image2" || strings.HasSuffix(f, "_pipe") {
			return true
		}
	}
	return false
}

func stillImage(path string) error {
	return errs.New(errs.VideoUnsupported, fmt.Sprintf("%s is a still image, not a video.", filepath.Base(path)),
		"Choose the episode's video file (MP4, MOV, MKV…). A photo of a cast member belongs on the show's cast list as a headshot.")
}

// ffprobe's JSON, the parts we read.
type ffStream struct {
	CodecType    string            `json:"codec_type"`
	CodecName    string            `json:"codec_name"`
	Width        int               `json:"width"`
	Height       int               `json:"height"`
	RFrameRate   string            `json:"r_frame_rate"`
	AvgFrameRate string            `json:"avg_frame_rate"`
	NbFrames     string            `json:"nb_frames"`
	Duration     string            `json:"duration"`
	Tags         map[string]string `json:"tags"`
	SideData     []struct {
		Type     string `json:"side_data_type"`
		Rotation *int   `json:"rotation"`
	} `json:"side_data_list"`
	Disposition map[string]int `json:"disposition"`
}

type ffProbe struct {
	Streams []ffStream `json:"streams"`
	Format  struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
}

// errNoFFprobe means ffprobe is not on PATH: Probe then relies on OpenCV
// alone (no audio, rotation, timecode or VFR facts).
var errNoFFprobe = errors.New("video: ffprobe not found")

func runFFprobe(ctx context.Context, path string, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		return nil, errNoFFprobe
	}
	full := append([]string{"-v", "error", "-print_format", "json"}, args...)
	// The file: protocol keeps a name starting with "-" or holding ":"
	// from being read as an option or a protocol.
	full = append(full, "file:"+path)
	cmd := exec.CommandContext(ctx, bin, full...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("video: ffprobe %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func ffprobe(ctx context.Context, path string) (ffProbe, error) {
	var p ffProbe
	out, err := runFFprobe(ctx, path, "-show_format", "-show_streams")
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return p, fmt.Errorf("video: decode ffprobe output for %s: %w", path, err)
	}
	return p, nil
}

// countPackets counts the first video stream's packets (a demux pass, no
// decoding) for containers that do not store a frame count.
func countPackets(ctx context.Context, path string) int64 {
	out, err := runFFprobe(ctx, path, "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets")
	if err != nil {
		return 0
	}
	var p struct {
		Streams []struct {
			N string `json:"nb_read_packets"`
		} `json:"streams"`
	}
	if json.Unmarshal(out, &p) != nil || len(p.Streams) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(p.Streams[0].N, 10, 64)
	return n
}

// rate parses ffprobe's "num/den".
func rate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		f, _ := strconv.ParseFloat(s, 64)
		return f
	}
	n, err1 := strconv.ParseFloat(num, 64)
	d, err2 := strconv.ParseFloat(den, 64)
	if err1 != nil || err2 != nil || d == 0 {
		return 0
	}
	return n / d
}

func unreadable(path, what string, cause error) error {
	return errs.Wrap(errs.VideoUnreadable, cause, fmt.Sprintf("%s %s.", filepath.Base(path), what),
		"Check that the file is a complete video (MP4, MOV, MKV…) that plays in a media player; re-export or re-download it if not.")
}

func unsupported(path, what string) error {
	return errs.New(errs.VideoUnsupported, fmt.Sprintf("%s %s.", filepath.Base(path), what),
		"Convert the video to a common format (for example H.264 MP4 at its native frame rate) and try again.")
}

// Probe opens the video at path and returns its properties, or a typed
// error saying why it cannot be processed: ERR_INPUT_NOT_FOUND (missing
// path, a folder), ERR_VIDEO_UNREADABLE (empty, not a video, no video
// stream, nothing decodes) or ERR_VIDEO_UNSUPPORTED (a still image or a
// one-frame video, 0 fps, 0 frames, larger than 8K, smaller than MinSide
// pixels).
//
// OpenCV decides what is decodable and the frame size delivered; ffprobe,
// when on PATH, adds codec and container names, audio, rotation, timecode,
// the frame count (less the frames an edit list hides) and whether the
// frame rate is variable.
func Probe(ctx context.Context, path string) (Info, error) {
	info := Info{Path: path}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return info, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("The video %s does not exist.", path), "Check the path, or drop the file on the window again.")
	case err != nil:
		return info, errs.Wrap(errs.InputNotFound, err, fmt.Sprintf("The video %s cannot be opened.", path), "Check that the file exists and that you may read it.")
	case st.IsDir():
		return info, errs.New(errs.InputNotFound, fmt.Sprintf("%s is a folder, not a video file.", path), "Choose the video file inside the folder.")
	case st.Size() == 0:
		return info, unreadable(path, "is empty (0 bytes)", nil)
	}

	ff, ffErr := ffprobe(ctx, path)
	if err := ctx.Err(); err != nil {
		return info, err
	}
	haveFF := ffErr == nil
	if ffErr != nil && !errors.Is(ffErr, errNoFFprobe) {
		return info, unreadable(path, "is not a video file that can be read", ffErr)
	}
	var vs *ffStream
	if haveFF {
		for i := range ff.Streams {
			s := &ff.Streams[i]
			switch s.CodecType {
			case "video":
				// Cover art is a one-frame "video" stream; skip it.
				if vs == nil && s.Disposition["attached_pic"] == 0 {
					vs = s
				}
			case "audio":
				info.HasAudio = true
			}
		}
		if vs != nil && stillImageFormat(ff.Format.FormatName) {
			return info, stillImage(path)
		}
		if vs == nil {
			what := "has no video stream"
			if info.HasAudio {
				what = "has no video stream (it holds audio only)"
			}
			return info, unreadable(path, what, nil)
		}
		info.Codec = vs.CodecName
		info.Container = containerName(ff.Format.FormatName, path)
		if err := checkSize(path, vs.Width, vs.Height); err != nil {
			return info, err
		}
	}

	if !haveFF && imageExts[strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")] {
		return info, stillImage(path)
	}

	c := openCapture(path)
	if c == nil {
		return info, unreadable(path, "could not be opened by the video decoder", nil)
	}
	defer c.close()
	info.FPS = c.get(gocv.VideoCaptureFPS)
	info.Frames = int64(math.Round(c.get(gocv.VideoCaptureFrameCount)))
	info.Rotation = normRotation(int(c.get(48))) // CAP_PROP_ORIENTATION_META
	if !haveFF {
		info.Codec = fourcc(c.get(gocv.VideoCaptureFOURCC))
		info.Container = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	}

	m := gocv.NewMat()
	defer m.Close()
	decoded := false
	for i := 0; i < probeFrames && !decoded; i++ {
		if !c.grab() {
			break
		}
		decoded = c.retrieve(&m)
	}
	if !decoded {
		return info, unreadable(path, "has no frame that can be decoded", nil)
	}
	info.Width, info.Height = m.Cols(), m.Rows()

	if haveFF {
		r, avg := rate(vs.RFrameRate), rate(vs.AvgFrameRate)
		if r > 0 && avg > 0 && math.Abs(r-avg)/r > 0.001 {
			info.VariableFrameRate = true
		}
		if avg > 0 {
			// The average rate maps frame index to time best for VFR
			// and equals the nominal rate for CFR.
			info.FPS = avg
		}
		streamDur, _ := strconv.ParseFloat(vs.Duration, 64)
		if n, err := strconv.ParseInt(vs.NbFrames, 10, 64); err == nil && n > 0 {
			info.Frames = n
			if shown := shownFrames(streamDur, avg); shown > 0 && shown < n-1 {
				info.Frames, info.HiddenFrames = shown, n-shown
			}
		} else if n := countPackets(ctx, path); n > 0 {
			info.Frames = n
		}
		for _, sd := range vs.SideData {
			if sd.Rotation != nil {
				info.Rotation = normRotation(*sd.Rotation)
			}
		}
		if r, err := strconv.Atoi(vs.Tags["rotate"]); err == nil {
			info.Rotation = normRotation(r)
		}
		info.StartTimecode = timecode(ff)
		if streamDur > 0 {
			info.DurationS = streamDur
		} else if d, err := strconv.ParseFloat(ff.Format.Duration, 64); err == nil && d > 0 {
			info.DurationS = d
		}
	}
	if err := ctx.Err(); err != nil {
		return info, err
	}
	switch {
	case info.FPS <= 0 || math.IsNaN(info.FPS):
		return info, unsupported(path, "has no frame rate (0 fps)")
	case info.FPS > MaxFPS:
		return info, unsupported(path, fmt.Sprintf("has an implausible frame rate (%.0f fps)", info.FPS))
	case info.Frames <= 0:
		return info, unsupported(path, "reports no frames")
	case info.Frames == 1:
		// One frame is a picture whatever its container: nothing
		// moves, nobody has screen time.
		return info, stillImage(path)
	}
	if err := checkSize(path, info.Width, info.Height); err != nil {
		return info, err
	}
	if info.DurationS <= 0 {
		info.DurationS = float64(info.Frames) / info.FPS
	}
	return info, nil
}

func checkSize(path string, w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return unreadable(path, "has a video stream without a frame size", nil)
	case w < MinSide || h < MinSide:
		return unsupported(path, fmt.Sprintf("is too small (%d×%d pixels; at least %d×%d needed)", w, h, MinSide, MinSide))
	case w > MaxWidth || h > MaxHeight || w*h > MaxPixels:
		return unsupported(path, fmt.Sprintf("is larger than 8K (%d×%d pixels)", w, h))
	}
	return nil
}

// containerName picks the name in ffprobe's format list that matches the
// file's extension ("mov,mp4,m4a,…" and .mp4 → "mp4"), else the first.
func containerName(formats, path string) string {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	names := strings.Split(formats, ",")
	for _, n := range names {
		if n == ext {
			return n
		}
	}
	if ext == "mkv" && strings.Contains(formats, "matroska") {
		return "mkv"
	}
	return names[0]
}

func timecode(ff ffProbe) string {
	if tc := ff.Format.Tags["timecode"]; tc != "" {
		return tc
	}
	for _, s := range ff.Streams {
		if tc := s.Tags["timecode"]; tc != "" {
			return tc
		}
	}
	return ""
}

// normRotation maps any angle to 0, 90, 180 or 270 (clockwise).
func normRotation(deg int) int {
	r := ((deg % 360) + 360) % 360
	return (r + 45) / 90 * 90 % 360
}

func fourcc(v float64) string {
	n := uint32(v)
	if n == 0 {
		return ""
	}
	b := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}
	return strings.ToLower(strings.TrimRight(string(b), "\x00 "))
}
