package face

import (
	"cmp"
	"fmt"
	"image"
	"math"
	"sync"
	"time"

	ort "github.com/yalue/onnxruntime_go"
	"gocv.io/x/gocv"

	"castscope/backend/errs"
)

// DefaultEmbedBatch is the embedder's batch size when none is given.
const DefaultEmbedBatch = 16

// ImageNet normalisation in 0..255 units, R, G, B.
var (
	rgbMean = [3]float32{123.675, 116.28, 103.53}
	rgbStd  = [3]float32{58.395, 57.12, 57.375}
)

type embIO struct{ in, out *ort.Tensor[float32] }

// Embedder runs MobileFaceNet (ArcFace loss) on aligned 112×112 crops. It
// is safe for concurrent use; runs are serialised.
type Embedder struct {
	mu       sync.Mutex
	sess     *session
	maxBatch int
	dim      int
	io       map[int]*embIO
	resized  gocv.Mat
}

// NewEmbedder loads the embedding model m; batch 0 means
// DefaultEmbedBatch, and a model with a fixed batch dimension overrides it.
// A model that does not fit is ERR_MODEL_LOAD_FAILED naming it.
func NewEmbedder(rt *Runtime, model Model, sc SessionConfig, batch int) (*Embedder, error) {
	s, err := rt.openSession("embedder", model, sc)
	if err != nil {
		return nil, err
	}
	e := &Embedder{sess: s, io: map[int]*embIO{}, resized: gocv.NewMat()}
	in, out := s.in.Dimensions, s.outs[0].Dimensions
	if len(in) != 4 || in[1] != 3 || in[2] != AlignSize || in[3] != AlignSize || len(out) != 2 || out[1] <= 0 {
		e.Close()
		return nil, errs.New(errs.ModelLoadFailed,
			fmt.Sprintf("The embedder model %s does not take 112×112 faces (input %v, output %v).", model.Label, in, out),
			"Use mobilefacenet_arcface_128.onnx from the model pack.")
	}
	e.maxBatch = batchLimit(in[0], cmp.Or(batch, DefaultEmbedBatch))
	e.dim = int(out[1])
	return e, nil
}

// Provider is the execution provider the session runs on.
func (e *Embedder) Provider() string { return e.sess.provider }

// LoadTime is how long creating the session took.
func (e *Embedder) LoadTime() time.Duration { return e.sess.load }

// Dim is the embedding length (128).
func (e *Embedder) Dim() int { return e.dim }

// BatchSize is the number of crops per inference run.
func (e *Embedder) BatchSize() int { return e.maxBatch }

// Close frees the session and its tensors.
func (e *Embedder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, io := range e.io {
		io.in.Destroy()
		io.out.Destroy()
	}
	e.io = nil
	e.resized.Close()
	return e.sess.close()
}

// Embed returns one L2-normalised embedding per crop. Crops are BGR (gray
// and BGRA are converted), normally Align's 112×112 output; other sizes
// are resized.
func (e *Embedder) Embed(crops []gocv.Mat) ([][]float32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.io == nil {
		return nil, fmt.Errorf("face: embed: embedder is closed")
	}
	out := make([][]float32, 0, len(crops))
	for start := 0; start < len(crops); start += e.maxBatch {
		chunk := crops[start:min(start+e.maxBatch, len(crops))]
		io, err := e.tensors(len(chunk))
		if err != nil {
			return nil, err
		}
		in := io.in.GetData()
		const item = 3 * AlignSize * AlignSize
		for b, c := range chunk {
			if err := e.fill(in[b*item:(b+1)*item], c); err != nil {
				return nil, fmt.Errorf("face: embed crop %d: %w", start+b, err)
			}
		}
		if err := e.sess.s.Run([]ort.Value{io.in}, []ort.Value{io.out}); err != nil {
			return nil, fmt.Errorf("face: run embedder: %w", err)
		}
		res := io.out.GetData()
		for b := range chunk {
			v := make([]float32, e.dim)
			copy(v, res[b*e.dim:(b+1)*e.dim])
			normalize(v)
			out = append(out, v)
		}
	}
	return out, nil
}

func (e *Embedder) tensors(n int) (*embIO, error) {
	if io, ok := e.io[n]; ok {
		return io, nil
	}
	in, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), 3, AlignSize, AlignSize))
	if err != nil {
		return nil, fmt.Errorf("face: embedder input tensor: %w", err)
	}
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(e.dim)))
	if err != nil {
		in.Destroy()
		return nil, fmt.Errorf("face: embedder output tensor: %w", err)
	}
	e.io[n] = &embIO{in: in, out: out}
	return e.io[n], nil
}

// fill writes crop as RGB planes normalised with the ImageNet mean/std.
func (e *Embedder) fill(dst []float32, crop gocv.Mat) error {
	m, err := asBGR(crop)
	if err != nil {
		return err
	}
	if m.Ptr() != crop.Ptr() {
		defer m.Close()
	}
	src := m
	if m.Cols() != AlignSize || m.Rows() != AlignSize || !m.IsContinuous() {
		gocv.Resize(m, &e.resized, image.Pt(AlignSize, AlignSize), 0, 0, gocv.InterpolationLinear)
		src = e.resized
	}
	px, err := src.DataPtrUint8()
	if err != nil {
		return err
	}
	const plane = AlignSize * AlignSize
	for c := 0; c < 3; c++ { // c is the RGB plane; BGR byte 2-c
		pl := dst[c*plane : (c+1)*plane]
		mean, inv := rgbMean[c], 1/rgbStd[c]
		for i := range plane {
			pl[i] = (float32(px[i*3+2-c]) - mean) * inv
		}
	}
	return nil
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}
