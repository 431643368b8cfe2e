package service

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"castscope/backend/episode"
	"castscope/backend/errs"
	"castscope/backend/harvest"
	"castscope/backend/screentime"
	"castscope/backend/video"
)

// ScreenTime returns episode key's screen-time report (screentime.json).
func (b *Backend) ScreenTime(ctx context.Context, key string) (screentime.Report, error) {
	if _, err := b.store.Episode(ctx, key); err != nil {
		return screentime.Report{}, err
	}
	return harvest.ReadReport(b.DataDir, key)
}

// CompareLogged lines the report up with hand-logged timings ("NAME 19.12"
// per line, or CSV name,seconds).
func (b *Backend) CompareLogged(ctx context.Context, key, text string) ([]screentime.Comparison, error) {
	rep, err := b.ScreenTime(ctx, key)
	if err != nil {
		return nil, err
	}
	logged, err := screentime.ParseLogged(strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	if len(logged) == 0 {
		return nil, errs.New(errs.Usage, "No timings were pasted.", "Paste one person a line, e.g. \"Kyle 19.12\" or \"Kyle,1:05\".")
	}
	return nonNilSlice(screentime.Compare(rep, logged)), nil
}

// OnScreen answers "who is on screen at this moment", with the frame.
type OnScreen struct {
	Ms       int64                 `json:"ms"`
	Clock    string                `json:"clock"`    // H:MM:SS.mmm
	Timecode string                `json:"timecode"` // source timecode of the frame
	People   []screentime.Presence `json:"people"`
	Frame    string                `json:"frame"` // JPEG data URL, "" if the frame cannot be decoded
	// FrameIndex is the video frame shown (0-based): the nearest to Ms.
	FrameIndex int64 `json:"frame_index"`
}

// OnScreen answers for episode key at `at`: seconds, [H:]MM:SS[.fff] or a
// source timecode HH:MM:SS:FF (";" for drop-frame).
func (b *Backend) OnScreen(ctx context.Context, key, at string) (OnScreen, error) {
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return OnScreen{}, err
	}
	rep, err := harvest.ReadReport(b.DataDir, key)
	if err != nil {
		return OnScreen{}, err
	}
	opts, err := exportOptionsOf(ep)
	if err != nil {
		return OnScreen{}, err
	}
	ms, err := momentOf(at, opts)
	if err != nil {
		return OnScreen{}, err
	}
	if ms < 0 {
		return OnScreen{}, errs.New(errs.Usage, fmt.Sprintf("%s is before the start of the episode (timecode %s).", strings.TrimSpace(at), cmp.Or(opts.StartTC, "00:00:00:00")),
			"Give a time within the episode.")
	}
	if float64(ms) > rep.DurationS*1000 {
		return OnScreen{}, errs.New(errs.Usage, fmt.Sprintf("%s is past the end of the episode (%s).", strings.TrimSpace(at), clock(int64(rep.DurationS*1000))),
			"Give a time within the episode.")
	}
	o := OnScreen{Ms: ms, Clock: clock(ms), People: nonNilSlice(rep.At(ms))}
	start := int64(0)
	if opts.StartTC != "" {
		start, _ = opts.Rate.ParseTimecode(opts.StartTC)
	}
	o.Timecode = opts.Rate.Timecode(start + opts.Rate.FramesFromMs(ms))
	info, err := videoInfoOf(ep)
	if err == nil && info.FPS > 0 {
		// The nearest frame at the file's own rate: the one a typed
		// timecode names (rounding down showed the one before), and right
		// for rates the timecode rounds (a phone's 29.87 fps).
		idx := min(int64(math.Round(float64(ms)*info.FPS/1000)), max(info.Frames-1, 0))
		o.FrameIndex = idx
		if jpg, err := video.Thumbnail(ep.VideoPath, idx, 640); err == nil {
			o.Frame = dataURL(jpg)
		} else {
			b.Log.Slog().Warn("on-screen frame", "episode", key, "frame", idx, "error", err)
		}
	}
	return o, nil
}

// momentOf reads a moment typed by the user: a timecode (four fields) is
// taken relative to the source's start timecode.
func momentOf(at string, o screentime.ExportOptions) (int64, error) {
	at = strings.TrimSpace(at)
	if strings.Count(at, ":")+strings.Count(at, ";") == 3 {
		f, err := o.Rate.ParseTimecode(at)
		if err != nil {
			return 0, errs.New(errs.Usage, fmt.Sprintf("%q is not a timecode at %s.", at, o.Rate), "Write HH:MM:SS:FF, or a time as MM:SS.")
		}
		if o.StartTC != "" {
			s, _ := o.Rate.ParseTimecode(o.StartTC)
			f -= s
		}
		return o.Rate.MsFromFrames(f), nil
	}
	return screentime.ParseClock(at)
}

func clock(ms int64) string {
	return fmt.Sprintf("%d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// ExportFormats are the formats of ExportScreenTime ("html" is the
// printable run report the analytics stage wrote).
var ExportFormats = []string{"csv", "json", "edl", "fcpxml", "otio", "html"}

// ExportScreenTime renders episode key's screen time in format, for one
// person (label, case ignored) or everyone, checked by the offline
// validators before it is returned: what goes to an editing system must
// load there.
func (b *Backend) ExportScreenTime(ctx context.Context, key, format, person string, unidentified bool) ([]byte, error) {
	ep, err := b.store.Episode(ctx, key)
	if err != nil {
		return nil, err
	}
	f := screentime.Format(strings.ToLower(strings.TrimSpace(format)))
	if f == "html" {
		p := b.ReportPath(key)
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			return nil, errs.New(errs.ArtifactMissing, fmt.Sprintf("Episode %s has no run report yet.", key), "Run the analytics stage first.")
		}
		return data, errs.FS(err, p)
	}
	rep, err := harvest.ReadReport(b.DataDir, key)
	if err != nil {
		return nil, err
	}
	opts, err := exportOptionsOf(ep)
	if err != nil {
		return nil, err
	}
	opts.IncludeUnidentified = unidentified
	if strings.TrimSpace(person) != "" {
		if rep, err = screentime.OnlyPerson(rep, person); err != nil {
			return nil, err
		}
		opts.Person = person
	}
	var buf bytes.Buffer
	if err := screentime.Export(&buf, f, rep, opts); err != nil {
		return nil, err
	}
	switch f {
	case screentime.FormatEDL:
		err = screentime.ValidateEDL(buf.Bytes(), opts.Rate)
	case screentime.FormatFCPXML:
		err = screentime.ValidateFCPXML(buf.Bytes())
	}
	return buf.Bytes(), err
}

// ReportPath is the printable run report of episode key.
func (b *Backend) ReportPath(key string) string {
	if episode.ValidateKey(key) != nil {
		return ""
	}
	return filepath.Join(harvest.Dir(b.DataDir, key), harvest.ReportHTMLFile)
}

// videoInfoOf returns the probe result the validate stage stored for ep.
func videoInfoOf(ep episode.Episode) (video.Info, error) {
	info, ok := video.StoredInfo(ep.Video)
	if !ok {
		return info, errs.New(errs.ArtifactMissing, fmt.Sprintf("Episode %s has not been validated.", ep.Key), "Run the validate stage first.")
	}
	return info, nil
}

// exportOptionsOf returns the export options of an episode: rate and
// start timecode from its probed video, the clip's name and path.
func exportOptionsOf(ep episode.Episode) (screentime.ExportOptions, error) {
	info, err := videoInfoOf(ep)
	if err != nil {
		return screentime.ExportOptions{}, err
	}
	return screentime.ExportOptions{
		Rate: screentime.RateOf(info.FPS, info.StartTimecode), StartTC: info.StartTimecode, Title: cmp.Or(ep.Title, ep.Key),
		MediaPath: ep.VideoPath, Width: info.Width, Height: info.Height,
	}, nil
}
