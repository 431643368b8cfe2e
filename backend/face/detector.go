package face

import (
	"cmp"
	"fmt"
	"image"
	"math"
	"slices"
	"sync"
	"time"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"castscope/backend/errs"
)

// Detector presets.
const (
	// PresetFast is one 640×640 letterbox pass over the whole frame.
	PresetFast = "fast"
	// PresetDefault adds square tiles as tall as the frame (two at 16:9,
	// 3 passes), each seen at 640 px: faces ≥ 48 px high at 1080p are found.
	PresetDefault = "default"
	// PresetDetail adds tiles of 60 % of the frame height (2×4 at 16:9,
	// 9 passes, about native resolution at 1080p) for faces down to ~24 px.
	PresetDetail = "detail"
)

// Defaults of DetectorConfig.
const (
	DefaultScoreThreshold float32 = 0.5
	DefaultNMSThreshold   float32 = 0.4
	DefaultDetectBatch            = 4
)

const (
	detSize   = 640 // the model's fixed input side
	preTopK   = 5000
	variance0 = 0.1
	variance1 = 0.2
)

// bgrMean is subtracted from the B, G, R planes of the detector input.
var bgrMean = [3]float32{104, 117, 123}

// tileFrac is a preset's tile side as a fraction of the frame height
// (0: no tiles). Tiles are never smaller than 640 px, so they are never
// upscaled.
var tileFrac = map[string]float64{PresetFast: 0, PresetDefault: 1.0, PresetDetail: 0.6}

// Face is one detection, in the frame's pixel coordinates.
type Face struct {
	Box       [4]float32    // x1, y1, x2, y2 (not clipped to the frame)
	Score     float32       // face probability, 0..1
	Landmarks [5][2]float32 // left eye, right eye, nose, left and right mouth corner (image left/right)
}

// Width is the box's width in frame px.
func (f Face) Width() float32 { return f.Box[2] - f.Box[0] }

// Height is the box's height in frame px (what MinFacePx compares).
func (f Face) Height() float32 { return f.Box[3] - f.Box[1] }

// DetectorConfig tunes detection; the zero value is ScoreThreshold 0.5,
// NMSThreshold 0.4, no minimum size, the "default" preset, batches of 4.
type DetectorConfig struct {
	ScoreThreshold float32
	NMSThreshold   float32
	// MinFacePx drops faces whose box is less high than this (frame px).
	MinFacePx float32
	// Preset is "fast", "default" or "detail" (see the Preset constants).
	Preset string
	// BatchSize is the number of 640×640 passes per inference run; a
	// model with a fixed batch dimension of 1 runs one at a time.
	BatchSize int
}

func (c DetectorConfig) withDefaults() DetectorConfig {
	c.ScoreThreshold = cmp.Or(c.ScoreThreshold, DefaultScoreThreshold)
	c.NMSThreshold = cmp.Or(c.NMSThreshold, DefaultNMSThreshold)
	c.Preset = cmp.Or(c.Preset, PresetDefault)
	c.BatchSize = max(cmp.Or(c.BatchSize, DefaultDetectBatch), 1)
	return c
}

type prior struct{ cx, cy, w, h float32 }

// makePriors builds the 16800 RetinaFace anchors in the model's order.
func makePriors() []prior {
	steps := []int{8, 16, 32}
	minSizes := [][2]float32{{16, 32}, {64, 128}, {256, 512}}
	var ps []prior
	for k, step := range steps {
		n := detSize / step
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				for _, m := range minSizes[k] {
					ps = append(ps, prior{
						cx: (float32(j) + 0.5) * float32(step) / detSize,
						cy: (float32(i) + 0.5) * float32(step) / detSize,
						w:  m / detSize, h: m / detSize,
					})
				}
			}
		}
	}
	return ps
}

// detIO holds the reusable tensors of one batch size.
type detIO struct {
	in              *ort.Tensor[float32]
	loc, conf, land *ort.Tensor[float32]
}

func (io *detIO) destroy() {
	for _, t := range []*ort.Tensor[float32]{io.in, io.loc, io.conf, io.land} {
		if t != nil {
			t.Destroy()
		}
	}
}

// Detector runs RetinaFace (MobileNet-0.25, 640×640). It is safe for
// concurrent use; runs are serialised.
type Detector struct {
	mu       sync.Mutex
	sess     *session
	cfg      DetectorConfig
	maxBatch int
	priors   []prior
	outIdx   [3]int // positions of loc, conf, landmarks among the outputs
	io       map[int]*detIO
	resized  gocv.Mat
}

// NewDetector loads the RetinaFace model m. One that is not an ONNX
// model, or not RetinaFace 640, is ERR_MODEL_LOAD_FAILED naming it. The batch size comes from the model: a dynamic
// batch dimension runs cfg.BatchSize passes at once, a fixed 1 one.
func NewDetector(rt *Runtime, model Model, cfg DetectorConfig, sc SessionConfig) (*Detector, error) {
	cfg = cfg.withDefaults()
	if _, ok := tileFrac[cfg.Preset]; !ok {
		return nil, errs.New(errs.Usage, fmt.Sprintf("Unknown detector preset %q.", cfg.Preset), "Use fast, default or detail.")
	}
	s, err := rt.openSession("detector", model, sc)
	if err != nil {
		return nil, err
	}
	d := &Detector{sess: s, cfg: cfg, priors: makePriors(), io: map[int]*detIO{}, resized: gocv.NewMat()}
	bad := func(why string) (*Detector, error) {
		d.Close()
		return nil, errs.New(errs.ModelLoadFailed,
			fmt.Sprintf("The detector model %s is not a RetinaFace 640 model (%s).", model.Label, why),
			"Use retinaface_mnet025_640.onnx from the model pack.")
	}
	dims := s.in.Dimensions
	if len(dims) != 4 || dims[1] != 3 || dims[2] != detSize || dims[3] != detSize {
		return bad(fmt.Sprintf("input shape %v", dims))
	}
	d.maxBatch = batchLimit(dims[0], cfg.BatchSize)
	if len(s.outs) != 3 {
		return bad(fmt.Sprintf("%d outputs", len(s.outs)))
	}
	seen := 0
	for i, o := range s.outs {
		od := o.Dimensions
		if len(od) != 3 || (od[1] > 0 && int(od[1]) != len(d.priors)) {
			return bad(fmt.Sprintf("output %s shape %v", o.Name, od))
		}
		switch od[2] {
		case 4:
			d.outIdx[0] = i
			seen |= 1
		case 2:
			d.outIdx[1] = i
			seen |= 2
		case 10:
			d.outIdx[2] = i
			seen |= 4
		}
	}
	if seen != 7 {
		return bad("outputs are not boxes, scores and landmarks")
	}
	return d, nil
}

// batchLimit reads a model's batch dimension: dynamic (≤ 0) allows want,
// a fixed size allows that many.
func batchLimit(dim int64, want int) int {
	if dim > 0 {
		return int(dim)
	}
	return max(want, 1)
}

// Provider is the execution provider the session runs on.
func (d *Detector) Provider() string { return d.sess.provider }

// LoadTime is how long creating the session took.
func (d *Detector) LoadTime() time.Duration { return d.sess.load }

// BatchSize is the number of passes per inference run.
func (d *Detector) BatchSize() int { return d.maxBatch }

// Config is the effective configuration (defaults filled in).
func (d *Detector) Config() DetectorConfig { return d.cfg }

// Close frees the session and its tensors.
func (d *Detector) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, io := range d.io {
		io.destroy()
	}
	d.io = nil
	d.resized.Close()
	return d.sess.close()
}

// pass is one 640×640 model input taken from a frame region.
type pass struct {
	frame int
	rect  image.Rectangle // region of the frame, in frame px
	scale float32         // model px per frame px
	tile  bool            // drop faces touching an inner tile edge
}

// Passes returns how many 640×640 model inputs a w×h frame costs under
// the detector's preset.
func (d *Detector) Passes(w, h int) int { return len(planPasses(0, w, h, d.cfg.Preset)) }

// planPasses lists the passes for one w×h frame: the whole frame, then
// for tiling presets a grid of overlapping square tiles.
func planPasses(frame, w, h int, preset string) []pass {
	full := image.Rect(0, 0, w, h)
	ps := []pass{{frame: frame, rect: full, scale: float32(detSize) / float32(max(w, h))}}
	frac := tileFrac[preset]
	if frac == 0 {
		return ps
	}
	side := max(int(math.Round(float64(h)*frac)), detSize)
	if side >= max(w, h) {
		return ps
	}
	overlap := side / 5
	xs := tileStarts(w, side, overlap)
	ys := tileStarts(h, side, overlap)
	for _, y := range ys {
		for _, x := range xs {
			r := image.Rect(x, y, min(x+side, w), min(y+side, h))
			ps = append(ps, pass{frame: frame, rect: r, scale: float32(detSize) / float32(max(r.Dx(), r.Dy())), tile: true})
		}
	}
	return ps
}

// tileStarts spreads tiles of side over length so neighbours overlap by
// at least overlap.
func tileStarts(length, side, overlap int) []int {
	if side >= length {
		return []int{0}
	}
	n := int(math.Ceil(float64(length-overlap) / float64(side-overlap)))
	n = max(n, 2)
	starts := make([]int, n)
	for i := range n {
		starts[i] = int(math.Round(float64(i) * float64(length-side) / float64(n-1)))
	}
	return starts
}

// Detect finds faces in BGR frames (any size; gray and BGRA are
// converted). The result has one slice per frame, best score first.
func (d *Detector) Detect(frames []gocv.Mat) ([][]Face, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.io == nil {
		return nil, fmt.Errorf("face: detect: detector is closed")
	}
	out := make([][]Face, len(frames))
	var plan []pass
	bgr := make([]gocv.Mat, len(frames))
	for i, f := range frames {
		m, err := asBGR(f)
		if err != nil {
			closeOwned(bgr[:i], frames[:i])
			return nil, fmt.Errorf("face: detect frame %d: %w", i, err)
		}
		bgr[i] = m
		plan = append(plan, planPasses(i, m.Cols(), m.Rows(), d.cfg.Preset)...)
	}
	defer closeOwned(bgr, frames)
	cands := make([][]Face, len(frames))
	for start := 0; start < len(plan); start += d.maxBatch {
		chunk := plan[start:min(start+d.maxBatch, len(plan))]
		io, err := d.tensors(len(chunk))
		if err != nil {
			return nil, err
		}
		in := io.in.GetData()
		for b, p := range chunk {
			if err := d.fill(in[b*3*detSize*detSize:(b+1)*3*detSize*detSize], bgr[p.frame], p); err != nil {
				return nil, err
			}
		}
		if err := d.sess.s.Run([]ort.Value{io.in}, d.outputs(io)); err != nil {
			return nil, fmt.Errorf("face: run detector: %w", err)
		}
		for b, p := range chunk {
			cands[p.frame] = d.decode(cands[p.frame], io, b, p, bgr[p.frame].Cols(), bgr[p.frame].Rows())
		}
	}
	for i, c := range cands {
		faces := nms(c, d.cfg.NMSThreshold)
		if d.cfg.MinFacePx > 0 {
			faces = slices.DeleteFunc(faces, func(f Face) bool { return f.Height() < d.cfg.MinFacePx })
		}
		out[i] = faces
	}
	return out, nil
}

// asBGR returns m as 8-bit BGR; the result must be closed when it is not m.
func asBGR(m gocv.Mat) (gocv.Mat, error) {
	if m.Empty() {
		return m, fmt.Errorf("empty image")
	}
	if m.Type()&7 != gocv.MatTypeCV8U {
		return m, fmt.Errorf("want 8-bit pixels, have Mat type %v", m.Type())
	}
	var code gocv.ColorConversionCode
	switch m.Channels() {
	case 3:
		return m, nil
	case 1:
		code = gocv.ColorGrayToBGR
	case 4:
		code = gocv.ColorBGRAToBGR
	default:
		return m, fmt.Errorf("want 1, 3 or 4 channels, have %d", m.Channels())
	}
	c := gocv.NewMat()
	gocv.CvtColor(m, &c, code)
	return c, nil
}

// closeOwned closes the converted copies among mats.
func closeOwned(mats, orig []gocv.Mat) {
	for i := range mats {
		if mats[i].Ptr() != orig[i].Ptr() {
			mats[i].Close()
		}
	}
}

func (d *Detector) tensors(n int) (*detIO, error) {
	if io, ok := d.io[n]; ok {
		return io, nil
	}
	io := &detIO{}
	var err error
	p := int64(len(d.priors))
	if io.in, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), 3, detSize, detSize)); err == nil {
		if io.loc, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), p, 4)); err == nil {
			if io.conf, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), p, 2)); err == nil {
				io.land, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), p, 10))
			}
		}
	}
	if err != nil {
		io.destroy()
		return nil, fmt.Errorf("face: detector tensors: %w", err)
	}
	d.io[n] = io
	return io, nil
}

func (d *Detector) outputs(io *detIO) []ort.Value {
	outs := make([]ort.Value, 3)
	outs[d.outIdx[0]] = io.loc
	outs[d.outIdx[1]] = io.conf
	outs[d.outIdx[2]] = io.land
	return outs
}

// fill writes pass p of frame into dst (3 planes of 640×640): the region
// scaled by p.scale at the top left, black elsewhere, minus the BGR mean.
func (d *Detector) fill(dst []float32, frame gocv.Mat, p pass) error {
	rw := min(int(math.Round(float64(p.rect.Dx())*float64(p.scale))), detSize)
	rh := min(int(math.Round(float64(p.rect.Dy())*float64(p.scale))), detSize)
	region := frame.Region(p.rect)
	gocv.Resize(region, &d.resized, image.Pt(rw, rh), 0, 0, gocv.InterpolationLinear)
	region.Close()
	if !d.resized.IsContinuous() {
		return fmt.Errorf("face: resized frame is not continuous")
	}
	px, err := d.resized.DataPtrUint8()
	if err != nil {
		return fmt.Errorf("face: read resized frame: %w", err)
	}
	const plane = detSize * detSize
	for c := 0; c < 3; c++ {
		pl := dst[c*plane : (c+1)*plane]
		mean := bgrMean[c]
		for y := 0; y < detSize; y++ {
			row := pl[y*detSize : (y+1)*detSize]
			x := 0
			if y < rh {
				src := px[y*rw*3 : (y+1)*rw*3]
				for ; x < rw; x++ {
					row[x] = float32(src[x*3+c]) - mean
				}
			}
			for ; x < detSize; x++ {
				row[x] = -mean
			}
		}
	}
	return nil
}

// decode appends the faces of batch item b (pass p) to dst, in frame px.
func (d *Detector) decode(dst []Face, io *detIO, b int, p pass, fw, fh int) []Face {
	n := len(d.priors)
	loc := io.loc.GetData()[b*n*4 : (b+1)*n*4]
	conf := io.conf.GetData()[b*n*2 : (b+1)*n*2]
	land := io.land.GetData()[b*n*10 : (b+1)*n*10]
	k := detSize / p.scale // normalised units → frame px
	ox, oy := float32(p.rect.Min.X), float32(p.rect.Min.Y)
	var found []Face
	for i, pr := range d.priors {
		s := conf[i*2+1]
		if s < d.cfg.ScoreThreshold {
			continue
		}
		l := loc[i*4 : i*4+4]
		cx := pr.cx + l[0]*variance0*pr.w
		cy := pr.cy + l[1]*variance0*pr.h
		w := pr.w * float32(math.Exp(float64(l[2]*variance1)))
		h := pr.h * float32(math.Exp(float64(l[3]*variance1)))
		f := Face{Score: s, Box: [4]float32{
			(cx-w/2)*k + ox, (cy-h/2)*k + oy, (cx+w/2)*k + ox, (cy+h/2)*k + oy,
		}}
		lm := land[i*10 : i*10+10]
		for j := 0; j < 5; j++ {
			f.Landmarks[j] = [2]float32{
				(pr.cx+lm[2*j]*variance0*pr.w)*k + ox,
				(pr.cy+lm[2*j+1]*variance0*pr.h)*k + oy,
			}
		}
		if p.tile && cutByTile(f, p.rect, fw, fh) {
			continue
		}
		found = append(found, f)
	}
	if len(found) > preTopK {
		slices.SortFunc(found, func(a, b Face) int { return cmp.Compare(b.Score, a.Score) })
		found = found[:preTopK]
	}
	return append(dst, found...)
}

// cutByTile reports whether f reaches an edge of tile r that is not an
// edge of the frame (within 2 px plus a tenth of the face): such a face is
// cut, and a neighbour tile or the full-frame pass sees it whole. The
// model tends to end a cut face's box a few pixels short of the edge.
func cutByTile(f Face, r image.Rectangle, fw, fh int) bool {
	mx, my := 2+0.1*f.Width(), 2+0.1*f.Height()
	return (r.Min.X > 0 && f.Box[0] < float32(r.Min.X)+mx) ||
		(r.Min.Y > 0 && f.Box[1] < float32(r.Min.Y)+my) ||
		(r.Max.X < fw && f.Box[2] > float32(r.Max.X)-mx) ||
		(r.Max.Y < fh && f.Box[3] > float32(r.Max.Y)-my)
}

// nms keeps the best-scoring faces, dropping any whose IoU with a kept
// face exceeds thr. The result is sorted by score, best first.
func nms(fs []Face, thr float32) []Face {
	slices.SortStableFunc(fs, func(a, b Face) int { return cmp.Compare(b.Score, a.Score) })
	keep := fs[:0:0]
	for _, f := range fs {
		ok := true
		for _, k := range keep {
			if IoU(f.Box, k.Box) > thr {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, f)
		}
	}
	return keep
}

// IoU is the intersection over union of two x1,y1,x2,y2 boxes.
func IoU(a, b [4]float32) float32 {
	iw := min(a[2], b[2]) - max(a[0], b[0])
	ih := min(a[3], b[3]) - max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	union := (a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}
