package face

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gocv.io/x/gocv"

	"castscope/backend/errs"
	"castscope/backend/track"
)

var photoCounts = []struct {
	file     string
	min, max int
}{
	{"astronaut_eileen_collins.png", 1, 1},
	{"grace_hopper.jpg", 1, 1},
	{"obama_portrait_2012.jpg", 1, 1},
	{"obama_address_2009.jpg", 1, 1},
	{"obama_blue_room_2010.jpg", 1, 1},
	{"biden_blue_room_2010.jpg", 1, 1},
	{"obama_biden_two_faces.jpg", 2, 2},
	{"solvay_conference_1927.jpg", 27, 29},
	{"noface_cat_chelsea.png", 0, 0},
	{"noface_coffee.png", 0, 0},
}

func TestOpenRuntime(t *testing.T) {
	rt := testRuntime(t)
	again, err := OpenRuntime("/does/not/matter.so")
	if err != nil || again != rt {
		t.Fatalf("second OpenRuntime = %p, %v; want the first (%p)", again, err, rt)
	}
	if !strings.HasPrefix(rt.Version(), "1.") || !filepath.IsAbs(rt.LibPath()) {
		t.Errorf("Version %q, LibPath %q", rt.Version(), rt.LibPath())
	}
	if p := rt.Providers(); !slices.Contains(p, ProviderCPU) {
		t.Errorf("Providers() = %v, want CPUExecutionProvider among them", p)
	}
}

func TestDetectPhotos(t *testing.T) {
	for _, preset := range []string{PresetFast, PresetDefault} {
		d := testDetector(t, preset)
		for _, c := range photoCounts {
			t.Run(preset+"/"+c.file, func(t *testing.T) {
				t.Parallel()
				img := readImage(t, c.file)
				res, err := d.Detect([]gocv.Mat{img})
				if err != nil {
					t.Fatal(err)
				}
				faces := res[0]
				if len(faces) < c.min || len(faces) > c.max {
					t.Errorf("%d faces, want %d..%d", len(faces), c.min, c.max)
				}
				for i, f := range faces {
					if f.Score < 0.5 || (i > 0 && f.Score > faces[i-1].Score) {
						t.Errorf("face %d score %v: below threshold or out of order", i, f.Score)
					}
					for j, p := range f.Landmarks {
						if p[0] < f.Box[0] || p[0] > f.Box[2] || p[1] < f.Box[1] || p[1] > f.Box[3] {
							t.Errorf("face %d landmark %d %v outside box %v", i, j, p, f.Box)
						}
					}
					// Eyes above the mouth, left eye left of the right eye.
					lm := f.Landmarks
					if !(lm[0][0] < lm[1][0] && lm[3][0] < lm[4][0] && lm[0][1] < lm[3][1] && lm[1][1] < lm[4][1]) {
						t.Errorf("face %d landmarks out of order: %v", i, lm)
					}
				}
			})
		}
	}
}

func TestDetectGrayAndBGRA(t *testing.T) {
	d := testDetector(t, PresetFast)
	p := mediaPath(t, "obama_biden_two_faces.jpg")
	gray := gocv.IMRead(p, gocv.IMReadGrayScale)
	defer gray.Close()
	color := readImage(t, "obama_biden_two_faces.jpg")
	bgra := gocv.NewMat()
	defer bgra.Close()
	gocv.CvtColor(color, &bgra, gocv.ColorBGRToBGRA)
	res, err := d.Detect([]gocv.Mat{gray, bgra})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0]) != 2 || len(res[1]) != 2 {
		t.Errorf("gray %d faces, BGRA %d faces; want 2 and 2", len(res[0]), len(res[1]))
	}
	if _, err := d.Detect([]gocv.Mat{gocv.NewMat()}); err == nil {
		t.Error("an empty frame gave no error")
	}
}

// faceOf detects the best face of a photo and returns its embedding.
func faceOf(t *testing.T, d *Detector, e *Embedder, file string, index int) []float32 {
	t.Helper()
	img := readImage(t, file)
	res, err := d.Detect([]gocv.Mat{img})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0]) <= index {
		t.Fatalf("%s: %d faces", file, len(res[0]))
	}
	crop := Align(img, res[0][index])
	defer crop.Close()
	v, err := e.Embed([]gocv.Mat{crop})
	if err != nil {
		t.Fatal(err)
	}
	return v[0]
}

func TestEmbeddings(t *testing.T) {
	d, e := testDetector(t, PresetFast), testEmbedder(t)
	if e.Dim() != 128 {
		t.Fatalf("Dim = %d", e.Dim())
	}
	vec := map[string][]float32{}
	for _, f := range []string{"obama_portrait_2012.jpg", "obama_address_2009.jpg", "obama_blue_room_2010.jpg", "biden_blue_room_2010.jpg", "astronaut_eileen_collins.png", "grace_hopper.jpg"} {
		v := faceOf(t, d, e, f, 0)
		var n float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("%s: non-finite embedding", f)
			}
			n += float64(x) * float64(x)
		}
		if math.Abs(n-1) > 1e-4 {
			t.Errorf("%s: |v|² = %v, want 1", f, n)
		}
		vec[f] = v
	}
	obama := []string{"obama_portrait_2012.jpg", "obama_address_2009.jpg", "obama_blue_room_2010.jpg"}
	others := []string{"biden_blue_room_2010.jpg", "astronaut_eileen_collins.png", "grace_hopper.jpg"}
	for i, a := range obama {
		for _, b := range obama[i+1:] {
			if c := track.Cosine(vec[a], vec[b]); c < 0.65 {
				t.Errorf("same person %s / %s: cosine %.3f < 0.65", a, b, c)
			} else {
				t.Logf("same person %s / %s: %.3f", a, b, c)
			}
		}
	}
	all := append(slices.Clone(others), obama[0])
	for i, a := range all {
		for _, b := range all[i+1:] {
			if c := track.Cosine(vec[a], vec[b]); c > 0.30 {
				t.Errorf("different people %s / %s: cosine %.3f > 0.30", a, b, c)
			} else {
				t.Logf("different people %s / %s: %.3f", a, b, c)
			}
		}
	}
}

func TestBatchEqualsSingle(t *testing.T) {
	d, e := testDetector(t, PresetFast), testEmbedder(t)
	files := []string{"obama_biden_two_faces.jpg", "grace_hopper.jpg", "solvay_conference_1927.jpg", "noface_coffee.png", "astronaut_eileen_collins.png"}
	var imgs []gocv.Mat
	for _, f := range files {
		imgs = append(imgs, readImage(t, f))
	}
	batched, err := d.Detect(imgs) // 5 frames: one run of 4, one of 1
	if err != nil {
		t.Fatal(err)
	}
	var crops []gocv.Mat
	defer func() {
		for _, c := range crops {
			c.Close()
		}
	}()
	for i, img := range imgs {
		single, err := d.Detect([]gocv.Mat{img})
		if err != nil {
			t.Fatal(err)
		}
		if len(single[0]) != len(batched[i]) {
			t.Fatalf("%s: batch %d faces, single %d", files[i], len(batched[i]), len(single[0]))
		}
		for j, f := range single[0] {
			g := batched[i][j]
			if !closeFace(f, g, 1e-4) {
				t.Errorf("%s face %d: batch %+v, single %+v", files[i], j, g, f)
			}
			crops = append(crops, Align(img, f))
		}
	}
	for len(crops) < 17 { // more than one batch of 16, with flipped copies
		m := gocv.NewMat()
		gocv.Flip(crops[len(crops)%7], &m, 1)
		crops = append(crops, m)
	}
	all, err := e.Embed(crops)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(crops) {
		t.Fatalf("%d embeddings for %d crops", len(all), len(crops))
	}
	for i, c := range crops {
		one, err := e.Embed([]gocv.Mat{c})
		if err != nil {
			t.Fatal(err)
		}
		for k := range one[0] {
			if math.Abs(float64(one[0][k]-all[i][k])) > 1e-4 {
				t.Fatalf("crop %d dim %d: batch %v, single %v", i, k, all[i][k], one[0][k])
			}
		}
	}
}

func closeFace(a, b Face, tol float64) bool {
	near := func(x, y float32) bool { return math.Abs(float64(x-y)) <= tol*math.Max(1, math.Abs(float64(x))) }
	if !near(a.Score, b.Score) {
		return false
	}
	for k := range 4 {
		if !near(a.Box[k], b.Box[k]) {
			return false
		}
	}
	for k := range 5 {
		if !near(a.Landmarks[k][0], b.Landmarks[k][0]) || !near(a.Landmarks[k][1], b.Landmarks[k][1]) {
			return false
		}
	}
	return true
}

// decodeFrames returns the given frames (numbered from 1) of a video as
// BGR Mats, decoded by ffmpeg.
func decodeFrames(t *testing.T, path string, w, h int, frames []int) []gocv.Mat {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		absent(t, "ffmpeg not installed")
	}
	var sel []string
	for _, f := range frames {
		sel = append(sel, fmt.Sprintf("eq(n\\,%d)", f-1))
	}
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-vf", "select='"+strings.Join(sel, "+")+"'",
		"-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	size := w * h * 3
	if len(out) != size*len(frames) {
		t.Fatalf("ffmpeg gave %d bytes, want %d frames of %d", len(out), len(frames), size)
	}
	r := bytes.NewReader(out)
	var mats []gocv.Mat
	for range frames {
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		m, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8UC3, buf)
		if err != nil {
			t.Fatal(err)
		}
		mats = append(mats, m)
		t.Cleanup(func() { m.Close() })
	}
	return mats
}

func TestSyntheticVideo(t *testing.T) {
	d := testDetector(t, PresetFast)
	path := mediaPath(t, "faces_synthetic.mp4")
	parts := []struct {
		frames   []int
		min, max int
	}{
		{[]int{1, 20, 38}, 1, 1},
		{[]int{39, 57, 76}, 2, 2},
		{[]int{77, 100, 122}, 25, 29},
	}
	var all []int
	for _, p := range parts {
		all = append(all, p.frames...)
	}
	mats := decodeFrames(t, path, 640, 360, all)
	res, err := d.Detect(mats)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, p := range parts {
		for _, f := range p.frames {
			if n := len(res[i]); n < p.min || n > p.max {
				t.Errorf("frame %d: %d faces, want %d..%d", f, n, p.min, p.max)
			}
			i++
		}
	}
}

func TestModelErrors(t *testing.T) {
	rt := testRuntime(t)
	det := testModel(t, "retinaface_mnet025_640.onnx")
	emb := testModel(t, "mobilefacenet_arcface_128.onnx")
	dir := t.TempDir()
	junk := make([]byte, 4096)
	rand.Read(junk)
	corrupt := Model{Label: filepath.Join(dir, "corrupt.onnx"), Data: junk}
	cases := []struct {
		name string
		open func() error
		code errs.Code
		path string
	}{
		{"empty", func() error {
			_, err := NewDetector(rt, Model{Label: "empty.onnx"}, DetectorConfig{}, SessionConfig{})
			return err
		}, errs.ModelMissing, "empty.onnx"},
		{"detector corrupt", func() error { _, err := NewDetector(rt, corrupt, DetectorConfig{}, SessionConfig{}); return err }, errs.ModelLoadFailed, corrupt.Label},
		{"embedder corrupt", func() error { _, err := NewEmbedder(rt, corrupt, SessionConfig{}, 0); return err }, errs.ModelLoadFailed, corrupt.Label},
		{"embedder as detector", func() error { _, err := NewDetector(rt, emb, DetectorConfig{}, SessionConfig{}); return err }, errs.ModelLoadFailed, emb.Label},
		{"detector as embedder", func() error { _, err := NewEmbedder(rt, det, SessionConfig{}, 0); return err }, errs.ModelLoadFailed, det.Label},
		{"bad preset", func() error {
			_, err := NewDetector(rt, det, DetectorConfig{Preset: "huge"}, SessionConfig{})
			return err
		}, errs.Usage, "huge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.open()
			var te *errs.Error
			if !errors.As(err, &te) || te.Code != c.code || !strings.Contains(te.Message, c.path) || te.Hint == "" {
				t.Fatalf("err = %v, want %s naming %s with a hint", err, c.code, c.path)
			}
		})
	}
	t.Run("require GPU", func(t *testing.T) {
		if slices.ContainsFunc(rt.Providers(), func(p string) bool { return slices.Contains(providerOrder, p) }) {
			t.Skipf("this library offers a GPU provider: %v", rt.Providers())
		}
		for _, open := range []func() error{
			func() error {
				_, err := NewDetector(rt, det, DetectorConfig{}, SessionConfig{RequireGPU: true})
				return err
			},
			func() error { _, err := NewEmbedder(rt, emb, SessionConfig{RequireGPU: true}, 0); return err },
		} {
			err := open()
			if !errors.Is(err, &errs.Error{Code: errs.ProviderUnavailable}) {
				t.Fatalf("err = %v, want ERR_PROVIDER_UNAVAILABLE", err)
			}
		}
	})
}

func TestDetectorAccessors(t *testing.T) {
	rt := testRuntime(t)
	d, err := NewDetector(rt, testModel(t, "retinaface_mnet025_640.onnx"), DetectorConfig{MinFacePx: 100, BatchSize: 2}, SessionConfig{IntraOpThreads: 1, NoSpinning: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Provider() != ProviderCPU || d.LoadTime() <= 0 || d.BatchSize() != 2 || d.Config().Preset != PresetDefault || d.Config().ScoreThreshold != 0.5 {
		t.Errorf("provider %s, load %v, batch %d, config %+v", d.Provider(), d.LoadTime(), d.BatchSize(), d.Config())
	}
	// MinFacePx drops Solvay's small faces but keeps the big portrait face.
	small, big := readImage(t, "solvay_conference_1927.jpg"), readImage(t, "obama_portrait_2012.jpg")
	res, err := d.Detect([]gocv.Mat{small, big})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0]) != 0 || len(res[1]) != 1 {
		t.Errorf("with MinFacePx 100: %d and %d faces, want 0 and 1", len(res[0]), len(res[1]))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Detect([]gocv.Mat{big}); err == nil {
		t.Error("Detect after Close gave no error")
	}
}
