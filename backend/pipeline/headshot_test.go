package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"castscope/backend/errs"
	"castscope/backend/pipeline"
	"castscope/backend/track"
)

// TestHeadshots turns the photos of testdata/media into cast-list entries
// with the real models: one face is an entry, none or two is a typed error
// naming the file, and two photos of one person match better than two
// people.
func TestHeadshots(t *testing.T) {
	media, models := fixtures(t)
	h, err := pipeline.OpenHeadshots(pipeline.Env{ModelsDir: models})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	entry := func(file, name string) []float32 {
		t.Helper()
		hs, err := h.Headshot("demo", name, filepath.Join(media, file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if hs.Name != name || hs.Show != "demo" || len(hs.SHA256) != 64 || len(hs.Embedding) < 128 {
			t.Fatalf("%s: entry %q/%q sha256 %q, %d-d embedding", file, hs.Show, hs.Name, hs.SHA256, len(hs.Embedding))
		}
		return hs.Embedding
	}
	obama1 := entry("obama_portrait_2012.jpg", "Barack Obama")
	obama2 := entry("obama_address_2009.jpg", "Barack Obama")
	hopper := entry("grace_hopper.jpg", "Grace Hopper")
	same, other := track.Cosine(obama1, obama2), track.Cosine(obama1, hopper)
	t.Logf("cosine same person %.3f, different people %.3f", same, other)
	if same < 0.6 || other > 0.3 {
		t.Errorf("cosine same person %.3f (want ≥ 0.6), different people %.3f (want ≤ 0.3)", same, other)
	}

	text := filepath.Join(t.TempDir(), "notes.jpg")
	if err := os.WriteFile(text, []byte("not a photo"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(media, "noface_cat_chelsea.png"), "No face was found in the headshot noface_cat_chelsea.png"},
		{filepath.Join(media, "obama_biden_two_faces.jpg"), "The headshot obama_biden_two_faces.jpg shows 2 faces"},
		{text, "The headshot notes.jpg is not an image"},
	} {
		_, err := h.Headshot("demo", "Someone", tc.path)
		if errs.CodeOf(err) != errs.HeadshotInvalid || !strings.Contains(errs.As(err).Message, tc.want) {
			t.Errorf("%s: %v, want ERR_HEADSHOT_INVALID %q", filepath.Base(tc.path), err, tc.want)
		}
	}
	if _, err := h.Headshot("demo", "Someone", filepath.Join(t.TempDir(), "missing.jpg")); errs.CodeOf(err) != errs.InputNotFound {
		t.Errorf("missing file: %v", err)
	}
}
