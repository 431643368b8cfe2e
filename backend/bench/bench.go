// Package bench is `castscope bench`: on one video it
// measures, side by side in one run,
//
//	(a) decode: the frame reader producing the sampled BGR frames against
//	    ffmpeg producing the same frames into a pipe (video.DecodeBench);
//	(b) pure inference: detector and embedder on the same frames at the
//	    batch sizes tried, plus the batches the detect stage itself uses;
//	(c) the detect stage's wall time through the real engine (service.Open
//	    on a temporary data folder) against its floor — decode + inference
//	    on the CPU, max(decode, inference) on a GPU, plus model loading;
//	(d) peak RSS of the detect stage in a child process (the castscope
//	    binary's `run`) on a short and a long clip;
//	(e) the episode fingerprint: sha256 of the whole file (what
//	    registering reads), its throughput and what a 4 GB episode costs.
//
// With the castscope binary at hand (Config.Exe), (c) also runs the stage
// the way the app does, its attempt in a `castscope worker` process, and
// gives that against the stage in process.
//
// Without a video it generates a 1080p H.264 clip from the photos in
// testdata/media or $CASTSCOPE_MEDIA (a slow pan over each, so there are
// faces to embed), or
// from ffmpeg's test pattern when no photos are found. The long RSS clips
// are the same clip looped without re-encoding.
//
// The computations (ratios, floor, verdicts, the table) are pure functions
// in report.go.
package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"castscope/backend/face"
	"castscope/backend/video"
)

// Config is what one bench run measures.
type Config struct {
	Video      string        // "" → generate a clip
	ClipLength time.Duration // length of the generated clip
	MediaDir   string        // photos for the generated clip ("" → testdata/media, found from go.mod)
	FPS        float64       // sampled frames per second; ≤ 0 → every frame
	Threads    int           // ffmpeg -threads (0 → ffmpeg's automatic choice)
	Preset     string        // detector preset
	DetBatches []int         // detector batch sizes to time
	EmbBatches []int         // embedder batch sizes to time
	RSSShort   time.Duration // 0 → skip (d)
	RSSLong    time.Duration
	Exe        string // castscope binary for (d) ("" → skip (d))
	WorkDir    string // temporary files ("" → os.MkdirTemp)
	Keep       bool   // keep WorkDir
	SkipStage  bool   // skip (c)
	Log        func(format string, args ...any)
}

// Defaults fills the zero fields.
func (c Config) Defaults() Config {
	if c.ClipLength <= 0 {
		c.ClipLength = 20 * time.Second
	}
	if c.FPS == 0 {
		c.FPS = 5
	}
	if c.Preset == "" {
		c.Preset = face.PresetDefault
	}
	if len(c.DetBatches) == 0 {
		c.DetBatches = []int{1, face.DefaultDetectBatch}
	}
	if len(c.EmbBatches) == 0 {
		c.EmbBatches = []int{1, face.DefaultEmbedBatch}
	}
	if c.Log == nil {
		c.Log = func(string, ...any) {}
	}
	return c
}

// Result is everything one run measured; parts that did not run are nil.
type Result struct {
	Video      string    `json:"video"`
	Generated  string    `json:"generated,omitempty"` // how the clip was made
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	SourceFPS  float64   `json:"source_fps"`
	DurationS  float64   `json:"duration_s"`
	SampleFPS  float64   `json:"sample_fps"`
	Preset     string    `json:"preset"`
	CPUs       int       `json:"cpus"`
	StartedAt  time.Time `json:"started_at"`
	TotalS     float64   `json:"total_s"`
	ORTVersion string    `json:"ort_version,omitempty"`

	Decode    *video.DecodeBenchResult `json:"decode,omitempty"`
	Inference *InferenceResult         `json:"inference,omitempty"`
	Stage     *StageResult             `json:"stage,omitempty"`
	RSS       *RSSResult               `json:"rss,omitempty"`
	Hash      *HashResult              `json:"fingerprint,omitempty"`

	Goals Goals `json:"goals"`
}

// Goals are the verdicts of the three ratio goals (false when not measured).
type Goals struct {
	DecodeRatioMet bool `json:"decode_ratio_met"`
	OverheadMet    bool `json:"overhead_met"`
	RSSMet         bool `json:"rss_met"`
}

// Verdicts fills r.Goals from the measured ratios.
func (r *Result) Verdicts() {
	if r.Decode != nil {
		r.Goals.DecodeRatioMet, _ = Verdict(r.Decode.Ratio, GoalDecodeRatio, true)
	}
	if r.Stage != nil {
		r.Goals.OverheadMet, _ = Verdict(r.Stage.Overhead, GoalOverheadRatio, false)
	}
	if r.RSS != nil {
		r.Goals.RSSMet, _ = Verdict(r.RSS.Ratio, GoalRSSRatio, false)
	}
}

// Run measures (a) to (e) on one file.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.Defaults()
	res := Result{SampleFPS: cfg.FPS, Preset: cfg.Preset, CPUs: runtime.NumCPU(), StartedAt: time.Now()}
	work := cfg.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "castscope-bench-")
		if err != nil {
			return res, fmt.Errorf("bench: temporary folder: %w", err)
		}
		work = d
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return res, fmt.Errorf("bench: work folder: %w", err)
	}
	if !cfg.Keep {
		defer os.RemoveAll(work)
	}

	path := cfg.Video
	if path == "" {
		path = filepath.Join(work, "bench_1080p.mp4")
		cfg.Log("generating a %s 1080p H.264 clip...", fmtDur(cfg.ClipLength.Seconds()))
		how, err := GenerateClip(ctx, path, cfg.ClipLength, cfg.MediaDir, work)
		if err != nil {
			return res, err
		}
		res.Generated = how
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		path = abs
	}
	res.Video = path
	info, err := video.Probe(ctx, path)
	if err != nil {
		return res, err
	}
	res.Width, res.Height, res.SourceFPS = info.Width, info.Height, info.FPS
	if info.FPS > 0 {
		res.DurationS = float64(info.Frames) / info.FPS
	}

	decodeFPS := max(cfg.FPS, 0)
	cfg.Log("(a) decode: ffmpeg, then our reader...")
	d, err := video.DecodeBench(ctx, path, decodeFPS, cfg.Threads)
	if err != nil {
		return res, err
	}
	res.Decode = &d

	cfg.Log("(b) inference on the %d sampled frames...", d.Frames)
	in, err := Inference(ctx, path, info, cfg)
	if err != nil {
		return res, err
	}
	res.Inference = &in
	res.ORTVersion = in.ORTVersion

	if !cfg.SkipStage {
		cfg.Log("(c) detect stage through the engine...")
		st, err := StageBoth(ctx, path, work, cfg)
		if err != nil {
			return res, err
		}
		st.DecodeS, st.InferenceS = d.ReaderS, in.StageS()
		st.FloorS, st.Formula = Floor(st.DecodeS, st.InferenceS, st.LoadS, st.Provider)
		st.Overhead = Ratio(st.WallS, st.FloorS)
		res.Stage = &st
	}

	if cfg.RSSShort > 0 && cfg.RSSLong > 0 && cfg.Exe != "" {
		cfg.Log("(d) peak RSS: detect on a %s and a %s clip in a child process...", fmtDur(cfg.RSSShort.Seconds()), fmtDur(cfg.RSSLong.Seconds()))
		m, err := RSS(ctx, path, work, cfg)
		if err != nil {
			return res, err
		}
		res.RSS = &m
	}
	cfg.Log("(e) the episode fingerprint: sha256 of the whole file...")
	h, err := Hash(ctx, path)
	if err != nil {
		return res, err
	}
	res.Hash = &h
	res.TotalS = time.Since(res.StartedAt).Seconds()
	res.Verdicts()
	return res, nil
}

// Header is the lines printed above the table.
func Header(r Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "castscope bench: %s\n", r.Video)
	if r.Generated != "" {
		fmt.Fprintf(&b, "  clip generated: %s\n", r.Generated)
	}
	sample := fmt.Sprintf("%g fps", r.SampleFPS)
	if r.SampleFPS <= 0 {
		sample = "every frame"
	}
	fmt.Fprintf(&b, "  %dx%d, %.3g fps, %.1f s; sampled at %s; preset %s; ONNX Runtime %s; %d CPUs\n",
		r.Width, r.Height, r.SourceFPS, r.DurationS, sample, r.Preset, r.ORTVersion, r.CPUs)
	fmt.Fprintf(&b, "  parts run one after another; on a shared machine the timings are noisy\n")
	return b.String()
}

// Default lengths of the peak RSS clips: a quick run (the long one
// dominates the default run's time). A thorough measurement uses 1 and 10
// minutes (--rss-short 1m --rss-long 10m).
const (
	DefaultRSSShort = 20 * time.Second
	DefaultRSSLong  = 120 * time.Second
)
