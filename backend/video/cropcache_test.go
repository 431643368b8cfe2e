package video

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestCachedCropsDecodeOnceThenRead(t *testing.T) {
	t.Parallel()
	path := generatedClip(t)
	cache := filepath.Join(t.TempDir(), "faces")
	box := [4]float32{100, 60, 220, 180}
	asked := []Crop{{57, box}, {3, box}, {500, box}}
	first, err := CachedCrops(path, cache, asked, 64)
	if err != nil {
		t.Fatal(err)
	}
	if first[0] == nil || first[1] == nil || first[2] != nil {
		t.Fatalf("crops present %v %v %v, want frames 57 and 3 only", first[0] != nil, first[1] != nil, first[2] != nil)
	}
	files, _ := os.ReadDir(cache)
	if len(files) != 2 {
		t.Fatalf("%d cache files, want 2", len(files))
	}
	// With the video gone the cached crops still come back, byte for byte.
	again, err := CachedCrops(filepath.Join(t.TempDir(), "gone.mp4"), cache, asked[:2], 64)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if !bytes.Equal(again[i], first[i]) {
			t.Errorf("crop %d differs when read from the cache", i)
		}
	}
}
