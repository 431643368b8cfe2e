package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gocv.io/x/gocv"

	"castscope/backend/errs"
	"castscope/backend/face"
	"castscope/backend/harvest"
	"castscope/backend/job"
	"castscope/backend/modelpack"
	"castscope/backend/video"
)

// A detect checkpoint (one Parquet part of each file, then the job's
// checkpoint) is written after partFrames sampled frames or checkpointEvery
// of work, whichever comes first. By frames alone a part was 50 s of video
// at 5 fps, 15–60 s of work on a CPU: an app killed a few seconds after
// each start never saved progress. By time, a kill loses at most 3 s of
// work. A part then holds some 15–40 frames on a CPU: for an hour at 5 fps
// (18,000 frames) in parts of 30, the flushes cost 7–10 s in all and the
// final merge 2–3 s, against 0.4–0.5 s and 0.5–0.6 s in parts of 250
// (harvest.BenchmarkDetectSetParts, 2 cores): seconds over a stage of
// some 25 minutes.
const (
	partFrames      = 250
	checkpointEvery = 3 * time.Second
)

// queueDepth bounds every channel of the detect pipeline. Decoding runs
// far ahead of inference, so a few frames in each queue keep the models
// busy; with the frame-buffer pool (2·queueDepth + batch + 2 buffers, 84 MiB
// at 1080p) memory stays flat whatever the video's length.
const queueDepth = 4

// DetectResult is the detect stage's result (the seed's keys first).
type DetectResult struct {
	FacesDetected      int64   `json:"faces_detected"`
	EmbeddingsComputed int64   `json:"embeddings_computed"`
	FramesProcessed    int64   `json:"frames_processed"`
	Provider           string  `json:"provider"`
	DetectorLoadS      float64 `json:"detector_load_s"`
	EmbedderLoadS      float64 `json:"embedder_load_s"`
	Preset             string  `json:"preset"`
	ResumedFromFrame   int64   `json:"resumed_from_frame,omitempty"`
}

// DetStats is det_stats.json.
type DetStats struct {
	FramesProcessed    int64       `json:"frames_processed"`
	FacesDetected      int64       `json:"faces_detected"`
	EmbeddingsComputed int64       `json:"embeddings_computed"`
	Provider           string      `json:"provider"`
	DetectorLoadS      float64     `json:"detector_load_s"`
	EmbedderLoadS      float64     `json:"embedder_load_s"`
	WallS              float64     `json:"wall_s"`
	FramesPerS         float64     `json:"frames_per_s"`
	Preset             string      `json:"preset"`
	SampleFPS          float64     `json:"sample_fps"`
	Width              int         `json:"width"`
	Height             int         `json:"height"`
	Models             []ModelUsed `json:"models"`
}

// ModelUsed is one model a detect run used: where it came from (built in,
// or a models folder), its licence and training data, for the report.
type ModelUsed struct {
	Name         string `json:"name"`
	Role         string `json:"role,omitempty"`
	File         string `json:"file,omitempty"`
	SHA256       string `json:"sha256"`
	Origin       string `json:"origin,omitempty"`
	Path         string `json:"path,omitempty"`
	Licence      string `json:"licence,omitempty"`
	TrainingData string `json:"training_data,omitempty"`
}

// usedOf describes a loaded model for det_stats.json and the report.
func usedOf(l modelpack.Loaded) ModelUsed {
	return ModelUsed{Name: l.Name, Role: l.Role, File: l.File, SHA256: l.SHA256,
		Origin: l.Origin, Path: l.Path, Licence: l.Licence, TrainingData: l.TrainingData}
}

func (d Deps) detectStage() job.StageDef {
	files := func(key string) []string {
		dir := harvest.Dir(d.DataDir, key)
		return []string{filepath.Join(dir, harvest.DetectionsFile), filepath.Join(dir, harvest.EmbeddingsFile), filepath.Join(dir, harvest.DetStatsFile)}
	}
	return job.StageDef{
		Name: "detect", Label: Label("detect"), Flag: "detected", Heavy: true,
		Run: d.runDetect,
		Fingerprint: func(ctx context.Context, j job.Job) (string, error) {
			ep, err := d.Store.Episode(ctx, j.EpisodeKey)
			s := settingsOf(j)
			var sums []string
			for _, m := range modelpack.Default().Models {
				sums = append(sums, m.SHA256)
			}
			return fingerprint("detect/1", ep.Fingerprint, s.SampleFPS, s.DetectPreset, sums), err
		},
		Complete: func(ctx context.Context, j job.Job) bool { return exists(files(j.EpisodeKey)...) },
	}
}

// models checks and loads both models on the best provider, and says
// which they are.
func (d Deps) models(r job.Reporter, s JobSettings) (*face.Detector, *face.Embedder, []ModelUsed, error) {
	// NoSpinning: decoding shares the cores with both models; spinning
	// ORT worker threads between runs cost 20–40 % of the stage (castscope bench).
	return openModels(d.Env(), s.DetectPreset, face.SessionConfig{RequireGPU: s.RequireGPU, NoSpinning: true}, r.Logf)
}

// loadPack returns the checked detector and embedder of the model pack:
// from the models folder dir, or built in when dir is "". Errors are typed
// and name the file.
func loadPack(dir string) (det, emb modelpack.Loaded, err error) {
	pack := modelpack.Default()
	var out [2]modelpack.Loaded
	for i, name := range []string{"retinaface", "arcface"} {
		m, _ := pack.Find(name)
		if out[i], err = modelpack.Load(dir, m); err != nil {
			return det, emb, err
		}
	}
	return out[0], out[1], nil
}

func faceModel(l modelpack.Loaded) face.Model { return face.Model{Label: l.Label(), Data: l.Data} }

// PackModels returns the detector and embedder of the model pack (see
// loadPack) as face models.
func PackModels(dir string) (det, emb face.Model, err error) {
	d, e, err := loadPack(dir)
	if err != nil {
		return face.Model{}, face.Model{}, err
	}
	return faceModel(d), faceModel(e), nil
}

// openModels checks the models and loads the detector and embedder; used
// describes them.
func openModels(env Env, preset string, sc face.SessionConfig, logf func(string, ...any)) (det *face.Detector, emb *face.Embedder, used []ModelUsed, err error) {
	detPack, embPack, err := loadPack(env.ModelsDir)
	if err != nil {
		return nil, nil, nil, err
	}
	detModel, embModel := faceModel(detPack), faceModel(embPack)
	rt, err := face.OpenRuntime(env.ORTLib)
	if err != nil {
		return nil, nil, nil, err
	}
	logf("model=retinaface loading...")
	det, err = face.NewDetector(rt, detModel, face.DetectorConfig{Preset: preset}, sc)
	if err != nil {
		return nil, nil, nil, err
	}
	logf("model=retinaface loaded in %.1fs provider=%s from=%q", det.LoadTime().Seconds(), det.Provider(), detModel.Label)
	logf("model=arcface loading...")
	emb, err = face.NewEmbedder(rt, embModel, sc, 0)
	if err != nil {
		det.Close()
		return nil, nil, nil, err
	}
	logf("model=arcface loaded in %.1fs provider=%s from=%q", emb.LoadTime().Seconds(), emb.Provider(), embModel.Label)
	return det, emb, []ModelUsed{usedOf(detPack), usedOf(embPack)}, nil
}

func (d Deps) runDetect(ctx context.Context, r job.Reporter) (any, error) {
	start := time.Now()
	ep, info, err := d.validatedEpisode(ctx, r)
	if err != nil {
		return nil, err
	}
	s := settingsOf(r.Job())
	smp := sampling(s)
	indices := video.SampleIndices(info, smp)
	total := int64(len(indices))

	det, emb, used, err := d.models(r, s)
	if err != nil {
		return nil, err
	}
	defer det.Close()
	defer emb.Close()
	job.SetRateKey(r, fmt.Sprintf("%s/%dx%d/%s", det.Provider(), info.Width, info.Height, s.DetectPreset))

	dir := harvest.Dir(d.DataDir, ep.Key)
	if err := os.MkdirAll(filepath.Join(dir, harvest.DiagnosticsDir), 0o755); err != nil {
		return nil, errs.FS(err, dir)
	}
	set, err := harvest.OpenDetectSet(dir, cmp.Or(d.PartFrames, partFrames))
	if err != nil {
		return nil, err
	}
	defer set.Abort()

	// Resume: a first attempt starts clean (parts left by another job
	// are not ours); a resumed attempt continues after the last part that
	// is durable in both files. The parts are the truth, the checkpoint
	// only says that this job wrote them.
	if len(r.Checkpoint()) == 0 {
		if err := set.Reset(); err != nil {
			return nil, err
		}
	}
	cp := set.ResumePoint()
	resumedFrom, framesAtStart := cp.NextFrame, cp.Frames
	if resumedFrom > 0 {
		r.Logf("resume from frame=%d frames=%d faces=%d", cp.NextFrame, cp.Frames, cp.Rows)
	}
	r.Progress(cp.Frames, total, "frames")

	reader, err := video.OpenReader(ep.VideoPath, info, smp, cp.NextFrame)
	if err != nil {
		return nil, err
	}
	defer reader.Close()

	sheet := newContactSheet(24, max(1, int(total/24)))
	defer sheet.Close()

	now := d.Now
	if now == nil {
		now = time.Now
	}
	every := cmp.Or(d.CheckpointEvery, checkpointEvery)
	saved := now()
	out, errc, stop := runDetectPipeline(ctx, reader, det, emb, sheet)
	// abort ends the pipeline after a failure of the writer side and waits
	// for its goroutines before the reader and the models are closed.
	abort := func(err error) (any, error) {
		stop()
		drain(out)
		<-errc
		return nil, err
	}
	for fr := range out {
		for i := range fr.dets {
			fr.dets[i].DetID = cp.NextDetID
			fr.embs[i].DetID = cp.NextDetID
			cp.NextDetID++
		}
		if err := set.Add(fr.index, fr.dets, fr.embs); err != nil {
			return abort(err)
		}
		cp.Frames++
		cp.Rows += int64(len(fr.dets))
		cp.EmbRows += int64(len(fr.embs))
		cp.NextFrame = fr.index + 1
		if set.PartFull() || now().Sub(saved) >= every {
			if err := set.Flush(); err != nil {
				return abort(err)
			}
			if err := r.SaveCheckpoint(set.ResumePoint()); err != nil {
				return abort(err)
			}
			saved = now()
			r.Logf("frames=%d faces=%d", cp.Frames, cp.Rows)
		}
		r.Progress(cp.Frames, total, "frames")
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	if err := set.Finish(); err != nil {
		return nil, err
	}
	wall := time.Since(start).Seconds()
	stats := DetStats{
		FramesProcessed: cp.Frames, FacesDetected: cp.Rows, EmbeddingsComputed: cp.EmbRows,
		Provider: det.Provider(), DetectorLoadS: det.LoadTime().Seconds(), EmbedderLoadS: emb.LoadTime().Seconds(),
		WallS: wall, Preset: s.DetectPreset, SampleFPS: s.SampleFPS, Width: info.Width, Height: info.Height,
	}
	if wall > 0 {
		stats.FramesPerS = float64(cp.Frames-framesAtStart) / wall
	}
	stats.Models = used
	if err := writeJSON(filepath.Join(dir, harvest.DetStatsFile), stats); err != nil {
		return nil, err
	}
	if err := sheet.Write(filepath.Join(dir, harvest.DiagnosticsDir, harvest.ContactSheetFile)); err != nil {
		r.Logf("contact sheet not written: %s", errs.As(err).Message)
	}
	r.Logf("frames=%d faces=%d", cp.Frames, cp.Rows)
	return DetectResult{
		FacesDetected: cp.Rows, EmbeddingsComputed: cp.EmbRows, FramesProcessed: cp.Frames,
		Provider: det.Provider(), DetectorLoadS: det.LoadTime().Seconds(), EmbedderLoadS: emb.LoadTime().Seconds(),
		Preset: s.DetectPreset, ResumedFromFrame: resumedFrom,
	}, nil
}

// frameRows is one sampled frame's output, in frame order.
type frameRows struct {
	index int64
	dets  []harvest.DetectionRow
	embs  []harvest.EmbeddingRow
}

type decoded struct {
	index, pts int64
	mat        gocv.Mat
}

type detected struct {
	decoded
	faces []face.Face
}

// matPool recycles the frame buffers of the detect pipeline: a fixed set of
// Mats that decoding copies into (CopyTo reuses a buffer of the same size),
// so no frame buffer is allocated per frame and memory does not depend on
// the video's length. Taking from an empty pool blocks: the pool is also the
// pipeline's back-pressure.
type matPool chan gocv.Mat

func newMatPool(n int) matPool {
	p := make(matPool, n)
	for range n {
		p <- gocv.NewMat()
	}
	return p
}

func (p matPool) get(ctx context.Context) (gocv.Mat, bool) {
	select {
	case m := <-p:
		return m, true
	case <-ctx.Done():
		return gocv.Mat{}, false
	}
}

func (p matPool) put(m gocv.Mat) { p <- m }

// close frees the buffers; every one must be back in the pool.
func (p matPool) close() {
	for {
		select {
		case m := <-p:
			m.Close()
		default:
			return
		}
	}
}

// runDetectPipeline runs decode → detect → align+embed in three goroutines
// joined by bounded channels and returns the rows in frame order. errc
// receives the first error (or nil) after out is closed and every
// goroutine has ended; stop ends the pipeline early (the caller's own
// failure), after which out must still be drained.
func runDetectPipeline(ctx context.Context, reader *video.Reader, det *face.Detector, emb *face.Embedder, sheet *contactSheet) (out <-chan frameRows, errc <-chan error, stop context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	batch := max(1, det.BatchSize())
	frames := make(chan decoded, queueDepth)
	faces := make(chan detected, queueDepth)
	rows := make(chan frameRows, queueDepth)
	done := make(chan error, 1)
	// Buffers in flight at most: both queues, a detect batch, one frame
	// being decoded and one being embedded.
	pool := newMatPool(2*queueDepth + batch + 2)
	var once sync.Once
	var first error
	fail := func(err error) {
		once.Do(func() { first = err; cancel() })
	}
	var wg sync.WaitGroup
	wg.Add(3)

	go func() { // decode
		defer wg.Done()
		defer close(frames)
		for {
			f, ok, err := reader.Next(ctx)
			if err != nil {
				fail(err)
				return
			}
			if !ok {
				return
			}
			buf, ok := pool.get(ctx)
			if !ok {
				return
			}
			f.Mat.CopyTo(&buf)
			select {
			case frames <- decoded{index: f.Index, pts: f.PTSms, mat: buf}:
			case <-ctx.Done():
				pool.put(buf)
				return
			}
		}
	}()

	go func() { // detect, batched
		defer wg.Done()
		defer close(faces)
		var pend []decoded
		release := func(ds []decoded) {
			for _, d := range ds {
				pool.put(d.mat)
			}
		}
		flush := func() bool {
			if len(pend) == 0 {
				return true
			}
			mats := make([]gocv.Mat, len(pend))
			for i, p := range pend {
				mats[i] = p.mat
			}
			res, err := det.Detect(mats)
			if err != nil {
				release(pend)
				pend = pend[:0]
				fail(err)
				return false
			}
			for i, p := range pend {
				select {
				case faces <- detected{decoded: p, faces: res[i]}:
				case <-ctx.Done():
					release(pend[i:])
					pend = pend[:0]
					return false
				}
			}
			pend = pend[:0]
			return true
		}
		for f := range frames {
			pend = append(pend, f)
			if len(pend) < batch && len(frames) > 0 {
				continue
			}
			if !flush() {
				break
			}
		}
		if ctx.Err() == nil {
			flush()
		}
		release(pend)
		for f := range frames { // after a failure: give back what is queued
			pool.put(f.mat)
		}
	}()

	go func() { // align + embed, one frame at a time in order, crops batched
		defer wg.Done()
		defer close(rows)
		for f := range faces {
			r, err := embedFrame(f, emb, sheet)
			pool.put(f.mat)
			if err != nil {
				fail(err)
				break
			}
			select {
			case rows <- r:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		for f := range faces {
			pool.put(f.mat)
		}
	}()

	go func() {
		wg.Wait()
		pool.close()
		if first == nil && ctx.Err() != nil {
			first = ctx.Err()
		}
		if errors.Is(first, context.Canceled) || errors.Is(first, context.DeadlineExceeded) {
			first = context.Cause(ctx)
		}
		cancel()
		done <- first
	}()
	return rows, done, cancel
}

func drain(out <-chan frameRows) {
	for range out {
	}
}

// embedFrame aligns and embeds every face of one frame.
func embedFrame(f detected, emb *face.Embedder, sheet *contactSheet) (frameRows, error) {
	rows := frameRows{index: f.index}
	if len(f.faces) == 0 {
		return rows, nil
	}
	crops := make([]gocv.Mat, len(f.faces))
	for i, fc := range f.faces {
		crops[i] = face.Align(f.mat, fc)
	}
	defer func() {
		for _, c := range crops {
			c.Close()
		}
	}()
	vecs, err := emb.Embed(crops)
	if err != nil {
		return rows, err
	}
	for i, fc := range f.faces {
		lm := make([]float32, 0, 10)
		for _, p := range fc.Landmarks {
			lm = append(lm, p[0], p[1])
		}
		rows.dets = append(rows.dets, harvest.DetectionRow{
			FrameIndex: f.index, PTSms: f.pts,
			X1: fc.Box[0], Y1: fc.Box[1], X2: fc.Box[2], Y2: fc.Box[3],
			Score: fc.Score, Landmarks: lm, FaceW: fc.Width(), FaceH: fc.Height(),
			Blur: face.BlurScore(crops[i]),
		})
		rows.embs = append(rows.embs, harvest.EmbeddingRow{FrameIndex: f.index, Vec: vecs[i]})
		sheet.Offer(crops[i])
	}
	return rows, nil
}

// contactSheet keeps every k-th aligned face (up to n) for
// diagnostics/contact_sheet.jpg: a quick look at what was detected.
type contactSheet struct {
	mu    sync.Mutex
	n, k  int
	seen  int
	tiles []gocv.Mat
}

func newContactSheet(n, k int) *contactSheet { return &contactSheet{n: n, k: k} }

func (c *contactSheet) Offer(crop gocv.Mat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen++
	if len(c.tiles) < c.n && (c.seen-1)%c.k == 0 {
		c.tiles = append(c.tiles, crop.Clone())
	}
}

func (c *contactSheet) Write(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tiles) == 0 {
		return nil
	}
	const cols, side = 6, face.AlignSize
	rows := (len(c.tiles) + cols - 1) / cols
	sheet := gocv.NewMatWithSize(rows*side, cols*side, gocv.MatTypeCV8UC3)
	defer sheet.Close()
	for i, t := range c.tiles {
		roi := sheet.Region(image.Rect((i%cols)*side, (i/cols)*side, (i%cols+1)*side, (i/cols+1)*side))
		t.CopyTo(&roi)
		roi.Close()
	}
	buf, err := gocv.IMEncode(gocv.JPEGFileExt, sheet)
	if err != nil {
		return fmt.Errorf("pipeline: encode contact sheet: %w", err)
	}
	defer buf.Close()
	if err := os.WriteFile(path, buf.GetBytes(), 0o644); err != nil {
		return errs.FS(err, path)
	}
	return nil
}

func (c *contactSheet) Close() {
	for _, t := range c.tiles {
		t.Close()
	}
	c.tiles = nil
}
