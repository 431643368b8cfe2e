package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"castscope/backend/face"
	"castscope/backend/modelpack"
	"castscope/backend/service"
	"castscope/backend/video"
)

// maxKeptCrops bounds the aligned faces kept for the embedder timings
// (112×112 BGR, 37 KiB each).
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
// each session runs once untimed first. Decoding the video and aligning
// the faces are not in them.
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
// with the models, ONNX Runtime and session settings the detect stage uses.
func Inference(ctx context.Context, path string, info video.Info, cfg Config) (InferenceResult, error) {
	cfg = cfg.Defaults()
	var res InferenceResult
	settings := service.Settings{}.Normalized() // a fresh data folder's, as in (c)
	modelsDir := service.ModelsDir("", settings)
	pack := modelpack.Default()
	paths := map[string]string{}
	for _, name := range []string{"retinaface", "arcface"} {
		m, _ := pack.Find(name)
		p, err := modelpack.Check(modelsDir, m)
		if err != nil {
			return res, err
		}
		paths[name] = p
	}
	rt, err := face.OpenRuntime(settings.ORTLib)
	if err != nil {
		return res, err
	}
	res.ORTVersion = rt.Version()
	sc := face.SessionConfig{} // as the detect stage opens them

	detBatches := withBatch(cfg.DetBatches, face.DefaultDetectBatch)
	embBatches := withBatch(cfg.EmbBatches, face.DefaultEmbedBatch)
	dets := make([]*face.Detector, len(detBatches))
	defer func() {
		for _, d := range dets {
			if d != nil {
				d.Close()
			}
		}
	}()
	stageDet := 0
	for i, b := range detBatches {
		d, err := face.NewDetector(rt, paths["retinaface"], face.DetectorConfig{Preset: cfg.Preset, BatchSize: b}, sc)
		if err != nil {
			return res, err
		}
		dets[i] = d
		if b == face.DefaultDetectBatch {
			stageDet = i
		}
		res.Provider = d.Provider()
	}
	res.StageDetectBatch = dets[stageDet].BatchSize()
	res.PassesPerFrame = dets[0].Passes(info.Width, info.Height)
	embs := make([]*face.Embedder, len(embBatches))
	defer func() {
		for _, e := range embs {
			if e != nil {
				e.Close()
			}
		}
	}()
	stageEmb := 0
	for i, b := range embBatches {
		e, err := face.NewEmbedder(rt, paths["arcface"], sc, b)
		if err != nil {
			return res, err
		}
		embs[i] = e
		if b == face.DefaultEmbedBatch {
			stageEmb = i
		}
	}

	smp := video.Sampling{FPS: max(cfg.FPS, 0)}
	reader, err := video.OpenReader(path, info, smp, 0)
	if err != nil {
		return res, err
	}
	defer reader.Close()

	detS := make([]float64, len(dets))
	var crops []gocv.Mat
	defer func() {
		for _, c := range crops {
			c.Close()
		}
	}()
	group := max(1, slices.Max(detBatches))
	var pend []gocv.Mat
	warmDet, warmEmb := false, false
	run := func() error {
		if len(pend) == 0 {
			return nil
		}
		defer func() {
			for _, m := range pend {
				m.Close()
			}
			pend = pend[:0]
		}()
		if !warmDet { // first runs allocate and plan: not steady state
			warmDet = true
			for _, d := range dets {
				if _, err := d.Detect(pend[:1]); err != nil {
					return err
				}
			}
		}
		var faces [][]face.Face
		for i, d := range dets {
			t := time.Now()
			f, err := d.Detect(pend)
			detS[i] += time.Since(t).Seconds()
			if err != nil {
				return err
			}
			if i == stageDet {
				faces = f
			}
		}
		for i, fs := range faces {
			if len(fs) == 0 {
				continue
			}
			fc := make([]gocv.Mat, len(fs))
			for j, f := range fs {
				fc[j] = face.Align(pend[i], f)
			}
			if !warmEmb {
				warmEmb = true
				for _, e := range embs {
					if _, err := e.Embed(fc[:1]); err != nil {
						return err
					}
				}
			}
			t := time.Now()
			_, err := embs[stageEmb].Embed(fc)
			res.StageEmbedS += time.Since(t).Seconds()
			res.Faces += len(fs)
			for _, c := range fc {
				if err == nil && len(crops) < maxKeptCrops {
					crops = append(crops, c)
				} else {
					c.Close()
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for {
		f, ok, err := reader.Next(ctx)
		if err != nil {
			return res, err
		}
		if !ok {
			break
		}
		pend = append(pend, f.Mat.Clone())
		res.Frames++
		if len(pend) == group {
			if err := run(); err != nil {
				return res, err
			}
		}
	}
	if err := run(); err != nil {
		return res, err
	}
	if res.Frames == 0 {
		return res, fmt.Errorf("bench: %s gave no sampled frames", path)
	}
	for i, d := range dets {
		res.Detector = append(res.Detector, DetTiming{
			Batch: d.BatchSize(), TotalS: detS[i],
			MsPerFrame: 1000 * detS[i] / float64(res.Frames),
			MsPerInput: 1000 * detS[i] / float64(res.Frames*max(1, res.PassesPerFrame)),
		})
	}
	res.StageDetectS = detS[stageDet]

	// The embedder at each batch size on the same faces, batched across frames.
	for _, e := range embs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		t := EmbTiming{Batch: e.BatchSize(), Faces: len(crops)}
		if len(crops) > 0 {
			start := time.Now()
			if _, err := e.Embed(crops); err != nil {
				return res, err
			}
			t.TotalS = time.Since(start).Seconds()
			t.MsPerFace = 1000 * t.TotalS / float64(len(crops))
		}
		res.Embedder = append(res.Embedder, t)
	}
	return res, nil
}
