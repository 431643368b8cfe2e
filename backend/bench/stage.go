package bench

import (
	"bytes"
	"castscope/backend/harvest"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"castscope/backend/errs"
	"castscope/backend/job"
	"castscope/backend/pipeline"
	"castscope/backend/service"
)

// benchStages are the stages (c) and (d) run: detect and what it needs,
// the pipeline's order up to detect.
var benchStages = slices.Clone(pipeline.Order[:slices.Index(pipeline.Order, "detect")+1])

// StageResult is bench (c).
type StageResult struct {
	WallS    float64 `json:"wall_s"` // detect's started_at → finished_at
	Frames   int64   `json:"frames"`
	Faces    int64   `json:"faces"`
	Provider string  `json:"provider"`
	LoadS    float64 `json:"model_load_s"` // detector + embedder load

	DecodeS    float64 `json:"decode_s"`    // (a)'s reader time
	InferenceS float64 `json:"inference_s"` // (b)'s stage-batched time
	FloorS     float64 `json:"floor_s"`
	Formula    string  `json:"floor_formula"`
	Overhead   float64 `json:"overhead"` // WallS ÷ FloorS

	// The same stage with its attempt in a `castscope worker` child
	// process, as the app runs it, between two runs in process (WallS is
	// their mean), so caches favour neither side.
	WorkerWallS float64 `json:"worker_wall_s,omitempty"`
	WorkerRatio float64 `json:"worker_ratio,omitempty"` // WorkerWallS ÷ WallS
}

// StageBoth runs Stage in process, then with cfg.Exe's worker, then in
// process again, and returns the in-process result with the worker's wall
// time and ratio. Without cfg.Exe it is Stage.
func StageBoth(ctx context.Context, path, work string, cfg Config) (StageResult, error) {
	first, err := Stage(ctx, path, filepath.Join(work, "stage-data"), cfg, "")
	if err != nil || cfg.Exe == "" {
		return first, err
	}
	w, err := Stage(ctx, path, filepath.Join(work, "stage-data-worker"), cfg, cfg.Exe)
	if err != nil {
		return first, err
	}
	again, err := Stage(ctx, path, filepath.Join(work, "stage-data-again"), cfg, "")
	if err != nil {
		return first, err
	}
	first.WallS = (first.WallS + again.WallS) / 2
	first.WorkerWallS = w.WallS
	first.WorkerRatio = Ratio(w.WallS, first.WallS)
	return first, nil
}

// Stage runs validate, extract and detect on path through the real engine
// in a fresh data folder dataDir and reads detect's times and result;
// workerExe ("" → in process) is the castscope binary whose worker runs
// each stage attempt.
func Stage(ctx context.Context, path, dataDir string, cfg Config, workerExe string) (StageResult, error) {
	cfg = cfg.Defaults()
	var res StageResult
	b, err := service.Open(ctx, service.Options{DataDir: dataDir, WorkerExe: workerExe})
	if err != nil {
		return res, err
	}
	defer b.Close()
	ep, _, err := b.AddVideo(ctx, path)
	if err != nil {
		return res, err
	}
	fps := cfg.FPS
	if fps <= 0 {
		fps = -1 // the engine's "every frame"
	}
	j, _, err := b.Run(ctx, ep.Key, benchStages, service.RunOverrides{SampleFPS: &fps, Preset: cfg.Preset, Rerun: true})
	if err != nil {
		return res, err
	}
	j, err = b.WaitJob(ctx, j.ID)
	if err != nil {
		return res, err
	}
	for _, s := range j.Stages {
		if s.Status == job.StatusError && s.Error != nil {
			return res, &errs.Error{Code: errs.Code(s.Error.Code), Message: fmt.Sprintf("bench: stage %s: %s", s.Name, s.Error.Message), Hint: s.Error.Hint}
		}
		if s.Name != "detect" {
			continue
		}
		if s.Status != job.StatusOK || s.StartedAt == nil || s.FinishedAt == nil {
			return res, fmt.Errorf("bench: detect ended %s, not ok", s.Status)
		}
		res.WallS = s.FinishedAt.Sub(*s.StartedAt).Seconds()
		var r pipeline.DetectResult
		if err := json.Unmarshal(s.Result, &r); err != nil {
			return res, fmt.Errorf("bench: detect result: %w", err)
		}
		res.Frames, res.Faces, res.Provider = r.FramesProcessed, r.FacesDetected, r.Provider
		res.LoadS = r.DetectorLoadS + r.EmbedderLoadS
		// det_stats.json names the provider too; prefer it when present.
		if st, err := readDetStats(harvest.Dir(b.DataDir, ep.Key)); err == nil && st.Provider != "" {
			res.Provider = st.Provider
		}
		return res, nil
	}
	return res, fmt.Errorf("bench: the job has no detect stage")
}

func readDetStats(dir string) (pipeline.DetStats, error) {
	var st pipeline.DetStats
	b, err := os.ReadFile(filepath.Join(dir, harvest.DetStatsFile))
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

// RSSResult is bench (d).
type RSSResult struct {
	ShortS      float64 `json:"short_s"`
	LongS       float64 `json:"long_s"`
	ShortMiB    float64 `json:"short_peak_rss_mib"`
	LongMiB     float64 `json:"long_peak_rss_mib"`
	ShortFrames int64   `json:"short_frames"`
	LongFrames  int64   `json:"long_frames"`
	ShortWallS  float64 `json:"short_wall_s"`
	LongWallS   float64 `json:"long_wall_s"`
	Ratio       float64 `json:"ratio"` // LongMiB ÷ ShortMiB
}

// RSS runs detect on a short and a long clip made from path (looped
// without re-encoding) in child processes of cfg.Exe and reads their
// peak resident set sizes.
func RSS(ctx context.Context, path, work string, cfg Config) (RSSResult, error) {
	cfg = cfg.Defaults()
	res := RSSResult{ShortS: cfg.RSSShort.Seconds(), LongS: cfg.RSSLong.Seconds()}
	for i, d := range []time.Duration{cfg.RSSShort, cfg.RSSLong} {
		clip := filepath.Join(work, fmt.Sprintf("rss_%s.mp4", strings.ReplaceAll(d.String(), ".", "_")))
		if err := LoopClip(ctx, path, clip, d); err != nil {
			return res, err
		}
		mib, frames, wall, err := childPeakRSS(ctx, cfg, clip, filepath.Join(work, fmt.Sprintf("rss-data-%d", i)))
		if err != nil {
			return res, err
		}
		if i == 0 {
			res.ShortMiB, res.ShortFrames, res.ShortWallS = mib, frames, wall
		} else {
			res.LongMiB, res.LongFrames, res.LongWallS = mib, frames, wall
		}
		os.Remove(clip)
	}
	res.Ratio = Ratio(res.LongMiB, res.ShortMiB)
	return res, nil
}

// childPeakRSS runs `castscope run CLIP --data DIR --stages ...` and
// returns its peak RSS in MiB, the frames detect processed and the wall
// time of the child.
func childPeakRSS(ctx context.Context, cfg Config, clip, dataDir string) (float64, int64, float64, error) {
	fps := cfg.FPS
	if fps <= 0 {
		fps = -1
	}
	cmd := exec.CommandContext(ctx, cfg.Exe, "run", clip, "--data", dataDir,
		"--stages", strings.Join(benchStages, ","), "--fps", strconv.FormatFloat(fps, 'f', -1, 64), "--preset", cfg.Preset)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start).Seconds()
	if err != nil {
		if ctx.Err() != nil {
			return 0, 0, 0, ctx.Err()
		}
		return 0, 0, 0, fmt.Errorf("bench: %s run %s: %w: %s", cfg.Exe, clip, err, tail(out.String(), 800))
	}
	kib, ok := maxRSSKiB(cmd.ProcessState)
	if !ok {
		return 0, 0, wall, fmt.Errorf("bench: peak RSS is not available on this system")
	}
	var frames int64
	if m, _ := filepath.Glob(filepath.Join(harvest.Dir(dataDir, "*"), harvest.DetStatsFile)); len(m) == 1 {
		if st, err := readDetStats(filepath.Dir(m[0])); err == nil {
			frames = st.FramesProcessed
		}
	}
	return float64(kib) / 1024, frames, wall, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
