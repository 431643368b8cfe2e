package face

import (
	"bytes"
	"math"
	"testing"

	"gocv.io/x/gocv"
)

// fixedBatchCopy writes a copy of an ONNX model whose symbolic batch
// dimension "N" is the fixed size 1, like the upstream originals. In the
// protobuf a TensorShapeProto dimension dim_param "N" is the bytes
// 12 01 4E; dim_value 1 written as a 3-byte varint (08 81 00) keeps every
// enclosing length intact.
func fixedBatchCopy(t *testing.T, src Model) Model {
	t.Helper()
	data := src.Data
	n := bytes.Count(data, []byte{0x12, 0x01, 'N'})
	if n == 0 {
		t.Fatalf("%s has no symbolic batch dimension", src.Label)
	}
	fixed := bytes.ReplaceAll(data, []byte{0x12, 0x01, 'N'}, []byte{0x08, 0x81, 0x00})
	return Model{Label: "fixed-batch " + src.Label, Data: fixed}
}

func TestFixedBatchModels(t *testing.T) {
	rt := testRuntime(t)
	det := fixedBatchCopy(t, testModel(t, "retinaface_mnet025_640.onnx"))
	d, err := NewDetector(rt, det, DetectorConfig{Preset: PresetDefault, BatchSize: 4}, SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.BatchSize() != 1 {
		t.Fatalf("fixed-batch detector BatchSize = %d, want 1", d.BatchSize())
	}
	imgs := []gocv.Mat{readImage(t, "obama_biden_two_faces.jpg"), readImage(t, "solvay_conference_1927.jpg"), readImage(t, "grace_hopper.jpg")}
	got, err := d.Detect(imgs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := testDetector(t, PresetDefault).Detect(imgs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range imgs {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("image %d: fixed %d faces, dynamic %d", i, len(got[i]), len(want[i]))
		}
		for j := range got[i] {
			if !closeFace(got[i][j], want[i][j], 1e-4) {
				t.Errorf("image %d face %d: fixed %+v, dynamic %+v", i, j, got[i][j], want[i][j])
			}
		}
	}

	e, err := NewEmbedder(rt, fixedBatchCopy(t, testModel(t, "mobilefacenet_arcface_128.onnx")), SessionConfig{}, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.BatchSize() != 1 {
		t.Fatalf("fixed-batch embedder BatchSize = %d, want 1", e.BatchSize())
	}
	var crops []gocv.Mat
	for _, f := range want[0] {
		crops = append(crops, Align(imgs[0], f))
	}
	defer func() {
		for _, c := range crops {
			c.Close()
		}
	}()
	a, err := e.Embed(crops)
	if err != nil {
		t.Fatal(err)
	}
	b, err := testEmbedder(t).Embed(crops)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		for k := range a[i] {
			if math.Abs(float64(a[i][k]-b[i][k])) > 1e-4 {
				t.Fatalf("crop %d dim %d: fixed %v, dynamic %v", i, k, a[i][k], b[i][k])
			}
		}
	}
}
