package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"castscope/backend/face"
	"castscope/backend/pipeline"
	"castscope/backend/service"
	"castscope/backend/video"
)

// maxKeptCrops bounds the aligned faces kept for the embedder timings
// (112×112 BGR, 37 KiB each); beyond it the stage's embedder time is
// extrapolated per face.
const maxKeptCrops = 4000

// DetTiming is the detector at one batch size.
type DetTiming struct {
	Batch      int     `json:"batch"`
	TotalS     float64 `json:"total_s"`
	MsPerFrame float64 `json:"ms_per_frame"`
	MsPerInput float64 `json:"ms_per_input"` // per 640×640 model input
}

// EmbTiming is the embedder at one batch size.
type EmbTiming struct {
	Batch     int     `json:"batch"`
	Faces     int     `json:"faces"`
	TotalS    float64 `json:"total_s"`
	MsPerFace float64 `json:"ms_per_face"`
}

// InferenceResult is bench (b). Times are Detect and Embed calls
// (preprocessing, the model run, decoding of the outputs) in steady state:
// each session runs once untimed first, and only one session is loaded
// at a time (ONNX Runtime's worker threads spin after a run, so an idle
// session beside the timed one would steal its cores). Decoding the video
// and aligning the faces are not in the times.
type InferenceResult struct {
	Provider       string      `json:"provider"`
	ORTVersion     string      `json:"ort_version"`
	Frames         int         `json:"frames"`
	PassesPerFrame int         `json:"inputs_per_frame"`
	Faces          int         `json:"faces"`
	Detector       []DetTiming `json:"detector"`
	Embedder       []EmbTiming `json:"embedder"`

	// What the detect stage runs: the detector at its batch size, the
	// embedder once per frame on that frame's faces.
	StageDetectBatch int     `json:"stage_detect_batch"`
	StageDetectS     float64 `json:"stage_detect_s"`
	StageEmbedS      float64 `json:"stage_embed_s"`
	// StageEmbedExtrapolated: more faces than maxKeptCrops; StageEmbedS
	// is the kept faces' time scaled to all faces.
	StageEmbedExtrapolated bool `json:"stage_embed_extrapolated,omitempty"`
}

// StageS is the pure inference time of the detect stage's work.
func (r InferenceResult) StageS() float64 { return r.StageDetectS + r.StageEmbedS }

// withBatch returns bs sorted and deduplicated, with want added.
func withBatch(bs []int, want int) []int {
	out := slices.Clone(bs)
	out = append(out, want)
	out = slices.DeleteFunc(out, func(b int) bool { return b < 1 })
	slices.Sort(out)
	return slices.Compact(out)
}

// Inference times the detector and embedder on the sampled frames of path,
// with the models, ONNX Runtime and session settings the detect stage
// uses: one pass over the video per detector batch size (the stage's
// batch size keeps the aligned faces), then the embedder at each batch
// size on those faces.
func Inference(ctx context.Context, path string, info video.Info, cfg Config) (InferenceResult, error) {
	cfg = cfg.Defaults()
	var res InferenceResult
	settings := service.Settings{}.Normalized() // a fresh data folder's, as in (c)
	detModel, embModel, err := pipeline.PackModels(service.ModelsDir(settings))
	if err != nil {
		return res, err
	}
	rt, err := face.OpenRuntime(settings.ORTLib)
	if err != nil {
		return res, err
	}
	res.ORTVersion = rt.Version()
	sc := face.SessionConfig{} // as the detect stage opens them

	var perFrame [][]gocv.Mat // aligned faces of each frame (stage batch size)
	kept := 0
	defer func() {
		for _, fc := range perFrame {
			for _, c := range fc {
				c.Close()
			}
		}
	}()
	for _, b := range withBatch(cfg.DetBatches, face.DefaultDetectBatch) {
		stage := b == face.DefaultDetectBatch
		t, frames, err := detectPass(ctx, rt, detModel, path, info, cfg, sc, b, &res, func(m gocv.Mat, fs []face.Face) {
			if !stage {
				return
			}
			res.Faces += len(fs)
			var fc []gocv.Mat
			for _, f := range fs {
				if kept < maxKeptCrops {
					fc = append(fc, face.Align(m, f))
					kept++
				}
			}
			if len(fc) > 0 {
				perFrame = append(perFrame, fc)
			}
		})
		if err != nil {
			return res, err
		}
		res.Frames = frames
		res.Detector = append(res.Detector, t)
		if stage {
			res.StageDetectS, res.StageDetectBatch = t.TotalS, t.Batch
		}
	}
	if res.Frames == 0 {
		return res, fmt.Errorf("bench: %s gave no sampled frames", path)
	}

	var all []gocv.Mat
	for _, fc := range perFrame {
		all = append(all, fc...)
	}
	for _, b := range withBatch(cfg.EmbBatches, face.DefaultEmbedBatch) {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		e, err := face.NewEmbedder(rt, embModel, sc, b)
		if err != nil {
			return res, err
		}
		t := EmbTiming{Batch: e.BatchSize(), Faces: len(all)}
		if len(all) > 0 {
			if _, err := e.Embed(all[:1]); err != nil { // warm-up
				e.Close()
				return res, err
			}
			start := time.Now()
			if _, err := e.Embed(all); err != nil {
				e.Close()
				return res, err
			}
			t.TotalS = time.Since(start).Seconds()
			t.MsPerFace = 1000 * t.TotalS / float64(len(all))
			if b == face.DefaultEmbedBatch { // as the stage: one call per frame
				start = time.Now()
				for _, fc := range perFrame {
					if _, err := e.Embed(fc); err != nil {
						e.Close()
						return res, err
					}
				}
				res.StageEmbedS = time.Since(start).Seconds()
				if res.Faces > len(all) {
					res.StageEmbedS *= float64(res.Faces) / float64(len(all))
					res.StageEmbedExtrapolated = true
				}
			}
		}
		e.Close()
		res.Embedder = append(res.Embedder, t)
	}
	return res, nil
}

// detectPass reads the sampled frames of path and times one detector at
// batch size b on them in groups of b frames; each frame's faces go to
// onFaces (untimed).
func detectPass(ctx context.Context, rt *face.Runtime, model face.Model, path string, info video.Info, cfg Config, sc face.SessionConfig, b int,
	res *InferenceResult, onFaces func(gocv.Mat, []face.Face)) (DetTiming, int, error) {
	t := DetTiming{Batch: b}
	d, err := face.NewDetector(rt, model, face.DetectorConfig{Preset: cfg.Preset, BatchSize: b}, sc)
	if err != nil {
		return t, 0, err
	}
	defer d.Close()
	res.Provider = d.Provider()
	res.PassesPerFrame = d.Passes(info.Width, info.Height)
	t.Batch = d.BatchSize()
	reader, err := video.OpenReader(path, info, video.Sampling{FPS: max(cfg.FPS, 0)}, 0)
	if err != nil {
		return t, 0, err
	}
	defer reader.Close()

	frames, warm := 0, false
	var pend []gocv.Mat
	defer func() {
		for _, m := range pend {
			m.Close()
		}
	}()
	flush := func() error {
		if len(pend) == 0 {
			return nil
		}
		if !warm { // the first run allocates and plans: not steady state
			warm = true
			if _, err := d.Detect(pend[:1]); err != nil {
				return err
			}
		}
		start := time.Now()
		faces, err := d.Detect(pend)
		t.TotalS += time.Since(start).Seconds()
		if err != nil {
			return err
		}
		for i, m := range pend {
			onFaces(m, faces[i])
			m.Close()
		}
		pend = pend[:0]
		return nil
	}
	for {
		f, ok, err := reader.Next(ctx)
		if err != nil {
			return t, frames, err
		}
		if !ok {
			break
		}
		pend = append(pend, f.Mat.Clone())
		frames++
		if len(pend) == t.Batch {
			if err := flush(); err != nil {
				return t, frames, err
			}
		}
	}
	if err := flush(); err != nil {
		return t, frames, err
	}
	if frames > 0 {
		t.MsPerFrame = 1000 * t.TotalS / float64(frames)
		t.MsPerInput = 1000 * t.TotalS / float64(frames*max(1, res.PassesPerFrame))
	}
	return t, frames, nil
}
