package face

import (
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"castscope/backend/errs"
)

func TestPriors(t *testing.T) {
	ps := makePriors()
	if len(ps) != 16800 {
		t.Fatalf("priors = %d, want 16800", len(ps))
	}
	near := func(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-6 }
	cases := []struct {
		i    int
		want prior
	}{
		{0, prior{4.0 / 640, 4.0 / 640, 16.0 / 640, 16.0 / 640}},
		{1, prior{4.0 / 640, 4.0 / 640, 32.0 / 640, 32.0 / 640}},
		{2, prior{12.0 / 640, 4.0 / 640, 16.0 / 640, 16.0 / 640}},
		{2 * 80, prior{4.0 / 640, 12.0 / 640, 16.0 / 640, 16.0 / 640}},
		{12800, prior{8.0 / 640, 8.0 / 640, 64.0 / 640, 64.0 / 640}},
		{16000, prior{16.0 / 640, 16.0 / 640, 256.0 / 640, 256.0 / 640}},
		{16799, prior{624.0 / 640, 624.0 / 640, 512.0 / 640, 512.0 / 640}},
	}
	for _, c := range cases {
		p := ps[c.i]
		if !near(p.cx, c.want.cx) || !near(p.cy, c.want.cy) || !near(p.w, c.want.w) || !near(p.h, c.want.h) {
			t.Errorf("prior %d = %+v, want %+v", c.i, p, c.want)
		}
	}
}

func TestPlanPasses(t *testing.T) {
	cases := []struct {
		w, h   int
		preset string
		passes int
	}{
		{1920, 1080, PresetFast, 1},
		{1920, 1080, PresetDefault, 3},
		{1920, 1080, PresetDetail, 9},
		{3840, 2160, PresetDefault, 3},
		{1280, 720, PresetDefault, 3},
		{640, 360, PresetDefault, 1},
		{640, 360, PresetDetail, 1},
		{1080, 1920, PresetDefault, 1},
	}
	for _, c := range cases {
		t.Run(c.preset+"/"+image.Pt(c.w, c.h).String(), func(t *testing.T) {
			t.Parallel()
			ps := planPasses(7, c.w, c.h, c.preset)
			if len(ps) != c.passes {
				t.Fatalf("passes = %d, want %d: %+v", len(ps), c.passes, ps)
			}
			frame := image.Rect(0, 0, c.w, c.h)
			if ps[0].rect != frame || ps[0].tile {
				t.Errorf("first pass = %+v, want the whole frame", ps[0])
			}
			covered := image.Rectangle{}
			for _, p := range ps {
				if p.frame != 7 || !p.rect.In(frame) || p.rect.Empty() {
					t.Errorf("bad pass %+v", p)
				}
				if got := float32(max(p.rect.Dx(), p.rect.Dy())) * p.scale; math.Abs(float64(got-640)) > 1e-3 {
					t.Errorf("pass %+v maps its long side to %v px, want 640", p, got)
				}
				if p.tile {
					if p.scale > 1 {
						t.Errorf("tile %+v is upscaled", p)
					}
					covered = covered.Union(p.rect)
				}
			}
			if len(ps) > 1 && covered != frame {
				t.Errorf("tiles cover %v, want %v", covered, frame)
			}
		})
	}
}

func TestTileStartsOverlap(t *testing.T) {
	for _, c := range []struct{ length, side, overlap int }{{1920, 1080, 216}, {1920, 648, 129}, {1080, 648, 129}, {4000, 700, 140}} {
		s := tileStarts(c.length, c.side, c.overlap)
		if s[0] != 0 || s[len(s)-1]+c.side != c.length {
			t.Errorf("%+v: starts %v do not span the length", c, s)
		}
		for i := 1; i < len(s); i++ {
			if ov := s[i-1] + c.side - s[i]; ov < c.overlap {
				t.Errorf("%+v: tiles %d and %d overlap %d px, want ≥ %d", c, i-1, i, ov, c.overlap)
			}
		}
	}
}

func TestIoUAndNMS(t *testing.T) {
	cases := []struct {
		a, b [4]float32
		want float32
	}{
		{[4]float32{0, 0, 10, 10}, [4]float32{0, 0, 10, 10}, 1},
		{[4]float32{0, 0, 10, 10}, [4]float32{5, 0, 15, 10}, 50.0 / 150},
		{[4]float32{0, 0, 10, 10}, [4]float32{10, 10, 20, 20}, 0},
		{[4]float32{0, 0, 10, 10}, [4]float32{2, 2, 4, 4}, 4.0 / 100},
	}
	for _, c := range cases {
		if got := IoU(c.a, c.b); math.Abs(float64(got-c.want)) > 1e-6 {
			t.Errorf("IoU(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	in := []Face{
		{Box: [4]float32{0, 0, 10, 10}, Score: 0.6},
		{Box: [4]float32{1, 0, 11, 10}, Score: 0.9}, // overlaps the first: wins
		{Box: [4]float32{6, 0, 16, 10}, Score: 0.7}, // IoU 0.33 with the winner: kept at 0.4
		{Box: [4]float32{50, 50, 60, 60}, Score: 0.55},
	}
	got := nms(in, 0.4)
	wantScores := []float32{0.9, 0.7, 0.55}
	if len(got) != len(wantScores) {
		t.Fatalf("nms kept %+v", got)
	}
	for i, f := range got {
		if f.Score != wantScores[i] {
			t.Errorf("nms[%d].Score = %v, want %v", i, f.Score, wantScores[i])
		}
	}
}

func TestCutByTile(t *testing.T) {
	tile := image.Rect(800, 0, 1880, 1080) // inner left edge at 800, right edge at 1880 < 1920
	cases := []struct {
		box  [4]float32
		want bool
	}{
		{[4]float32{900, 100, 950, 160}, false},
		{[4]float32{799, 100, 850, 160}, true},   // crosses the inner left edge
		{[4]float32{1850, 100, 1879, 160}, true}, // touches the inner right edge
		{[4]float32{900, 0, 950, 40}, false},     // top edge is the frame's
		{[4]float32{900, 1040, 950, 1080}, false},
		{[4]float32{1835, 100, 1875, 160}, true}, // ends 5 px short of the inner edge: cut
		{[4]float32{1700, 100, 1740, 160}, false},
	}
	for _, c := range cases {
		if got := cutByTile(Face{Box: c.box}, tile, 1920, 1080); got != c.want {
			t.Errorf("cutByTile(%v) = %v, want %v", c.box, got, c.want)
		}
	}
}

func TestBatchLimit(t *testing.T) {
	for _, c := range []struct {
		dim       int64
		want, exp int
	}{{-1, 4, 4}, {0, 0, 1}, {1, 16, 1}, {8, 16, 8}} {
		if got := batchLimit(c.dim, c.want); got != c.exp {
			t.Errorf("batchLimit(%d, %d) = %d, want %d", c.dim, c.want, got, c.exp)
		}
	}
}

func TestNormalize(t *testing.T) {
	v := []float32{3, 4}
	normalize(v)
	if math.Abs(float64(v[0]-0.6)) > 1e-6 || math.Abs(float64(v[1]-0.8)) > 1e-6 {
		t.Errorf("normalize = %v", v)
	}
}

// lsSimilarity is the closed-form least-squares similarity src → dst.
func lsSimilarity(src, dst [5][2]float32) [6]float64 {
	var sx, sy, dx, dy float64
	for i := range 5 {
		sx += float64(src[i][0]) / 5
		sy += float64(src[i][1]) / 5
		dx += float64(dst[i][0]) / 5
		dy += float64(dst[i][1]) / 5
	}
	var num1, num2, den float64
	for i := range 5 {
		x, y := float64(src[i][0])-sx, float64(src[i][1])-sy
		u, v := float64(dst[i][0])-dx, float64(dst[i][1])-dy
		num1 += x*u + y*v
		num2 += x*v - y*u
		den += x*x + y*y
	}
	a, b := num1/den, num2/den
	return [6]float64{a, -b, dx - a*sx + b*sy, b, a, dy - b*sx - a*sy}
}

func TestAlignTransformIsLeastSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		scale := 0.5 + 3*rng.Float64()
		ang := (rng.Float64() - 0.5) * 1.2
		tx, ty := 100+500*rng.Float64(), 50+300*rng.Float64()
		var f Face
		for i, p := range ArcFaceTemplate {
			x := scale*(math.Cos(ang)*float64(p[0])-math.Sin(ang)*float64(p[1])) + tx
			y := scale*(math.Sin(ang)*float64(p[0])+math.Cos(ang)*float64(p[1])) + ty
			// Landmarks off the template by several pixels (a turned head):
			// RANSAC at OpenCV's 3 px would drop some of them.
			f.Landmarks[i] = [2]float32{float32(x + 8*scale*(rng.Float64()-0.5)), float32(y + 8*scale*(rng.Float64()-0.5))}
		}
		got, ok := AlignTransform(f)
		if !ok {
			t.Fatalf("trial %d: no transform", trial)
		}
		want := lsSimilarity(f.Landmarks, ArcFaceTemplate)
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-3*math.Max(1, math.Abs(want[i])) {
				t.Fatalf("trial %d: transform %v, least squares %v", trial, got, want)
			}
		}
	}
}

func noise(rows, cols int, seed uint64) gocv.Mat {
	rng := rand.New(rand.NewPCG(seed, 7))
	buf := make([]byte, rows*cols*3)
	for i := range buf {
		buf[i] = byte(rng.IntN(256))
	}
	m, err := gocv.NewMatFromBytes(rows, cols, gocv.MatTypeCV8UC3, buf)
	if err != nil {
		panic(err)
	}
	return m
}

func TestAlignWarpsLandmarksOntoTemplate(t *testing.T) {
	frame := noise(240, 320, 3)
	defer frame.Close()
	// Landmarks at the template shifted by (50, 30): the crop must be the
	// frame's 112×112 region at (50, 30).
	var f Face
	for i, p := range ArcFaceTemplate {
		f.Landmarks[i] = [2]float32{p[0] + 50, p[1] + 30}
	}
	crop := Align(frame, f)
	defer crop.Close()
	if crop.Rows() != AlignSize || crop.Cols() != AlignSize || crop.Channels() != 3 {
		t.Fatalf("crop is %dx%dx%d", crop.Cols(), crop.Rows(), crop.Channels())
	}
	want := frame.Region(image.Rect(50, 30, 50+AlignSize, 30+AlignSize))
	defer want.Close()
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.AbsDiff(crop, want, &diff)
	if mx := maxOf(diff); mx > 1 {
		t.Errorf("aligned crop differs from the region by up to %v", mx)
	}
	// Degenerate landmarks fall back to the box.
	var g Face
	g.Box = [4]float32{10, 10, 60, 80}
	c2 := Align(frame, g)
	defer c2.Close()
	if c2.Rows() != AlignSize || c2.Cols() != AlignSize {
		t.Errorf("fallback crop is %dx%d", c2.Cols(), c2.Rows())
	}
}

func maxOf(m gocv.Mat) float64 {
	one := m.Reshape(1, 0)
	defer one.Close()
	_, mx, _, _ := gocv.MinMaxLoc(one)
	return float64(mx)
}

func TestBlurScore(t *testing.T) {
	sharp := noise(112, 112, 5)
	defer sharp.Close()
	blurred := gocv.NewMat()
	defer blurred.Close()
	gocv.GaussianBlur(sharp, &blurred, image.Pt(9, 9), 3, 3, gocv.BorderDefault)
	flat := gocv.NewMatWithSize(112, 112, gocv.MatTypeCV8UC3)
	defer flat.Close()
	s, b, f := BlurScore(sharp), BlurScore(blurred), BlurScore(flat)
	if !(s > 10*b) || f != 0 || b <= 0 {
		t.Errorf("BlurScore sharp %v, blurred %v, flat %v: want sharp ≫ blurred > flat = 0", s, b, f)
	}
	if got := BlurScore(gocv.NewMat()); got != 0 {
		t.Errorf("BlurScore(empty) = %v", got)
	}
}

func TestFindLibNamesPathsTried(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a", "libonnxruntime.so.1"), filepath.Join(dir, "b", "libonnxruntime.so.1")
	_, err := findLib([]string{a, b})
	if !errs.HasCode(err, errs.RuntimeMissing) || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Fatalf("findLib = %v, want ERR_RUNTIME_MISSING naming %s and %s", err, a, b)
	}
	if err := os.MkdirAll(filepath.Dir(b), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := findLib([]string{a, b}); err != nil || got != b {
		t.Fatalf("findLib = %q, %v; want %s", got, err, b)
	}
}

func TestLibCandidates(t *testing.T) {
	if got := libCandidates("/x/lib.so"); len(got) != 1 || got[0] != "/x/lib.so" {
		t.Errorf("explicit path: %v", got)
	}
	t.Setenv(EnvORTLib, "/env/lib.so")
	if got := libCandidates(""); len(got) != 1 || got[0] != "/env/lib.so" {
		t.Errorf("env path: %v", got)
	}
	t.Setenv(EnvORTLib, "")
	got := libCandidates("")
	wd, _ := os.Getwd()
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	installed := filepath.Join(filepath.Dir(filepath.Dir(exe)), "lib", "castscope", "libonnxruntime.so.1")
	if len(got) < 5 || got[0] != installed || got[len(got)-1] != "/opt/onnxruntime/lib/libonnxruntime.so.1" ||
		!slices.Contains(got, "/usr/lib/castscope/libonnxruntime.so.1") ||
		!slices.Contains(got, filepath.Join(wd, "third_party", "onnxruntime", "libonnxruntime.so.1")) {
		t.Errorf("default candidates: %v", got)
	}
}

func TestUsableProviders(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libonnxruntime.so.1")
	all := []string{ProviderTensorRT, ProviderCUDA, "WebGpuExecutionProvider", ProviderCPU}
	if got := usableProviders(lib, all); strings.Join(got, ",") != "WebGpuExecutionProvider,"+ProviderCPU {
		t.Errorf("without provider libraries: %v", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "libonnxruntime_providers_cuda.so"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := usableProviders(lib, all); strings.Join(got, ",") != ProviderCUDA+",WebGpuExecutionProvider,"+ProviderCPU {
		t.Errorf("with the CUDA library: %v", got)
	}
	if got := usableProviders(lib, nil); len(got) != 1 || got[0] != ProviderCPU {
		t.Errorf("empty list: %v", got)
	}
}
