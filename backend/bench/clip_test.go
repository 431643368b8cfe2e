package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFindMedia: $CASTSCOPE_MEDIA wins; without it the photos are the
// repository's testdata/media, found from the package folder, so a fresh
// clone needs nothing beside the checkout.
func TestFindMedia(t *testing.T) {
	other := t.TempDir()
	t.Setenv("CASTSCOPE_MEDIA", other)
	if got := FindMedia(); got != other {
		t.Errorf("with $CASTSCOPE_MEDIA: got %q, want %q", got, other)
	}
	t.Setenv("CASTSCOPE_MEDIA", "")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(filepath.Dir(filepath.Dir(wd)), "testdata", "media")
	if got := FindMedia(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, p := range clipPhotos {
		if _, err := os.Stat(filepath.Join(want, p)); err != nil {
			t.Errorf("clip photo missing: %v", err)
		}
	}
}
