package video

import (
	"fmt"
	"os"
	"path/filepath"
)

// CachedCrops is Crops with a folder of JPEG files in front of it: a crop
// already in cacheDir (named by its frame and box) is read from there, the
// others are decoded in one pass and written there. The cache is best
// effort: a file that cannot be written costs a decode next time, never an
// error. A crop that cannot be decoded is nil.
func CachedCrops(path, cacheDir string, crops []Crop, size int) ([][]byte, error) {
	out := make([][]byte, len(crops))
	var want []Crop
	var at []int
	for i, c := range crops {
		if data, err := os.ReadFile(cropFile(cacheDir, c)); err == nil {
			out[i] = data
			continue
		}
		want = append(want, c)
		at = append(at, i)
	}
	if len(want) == 0 {
		return out, nil
	}
	got, err := Crops(path, want, size)
	if err != nil {
		return out, err
	}
	_ = os.MkdirAll(cacheDir, 0o755)
	for k, data := range got {
		if data == nil {
			continue
		}
		_ = os.WriteFile(cropFile(cacheDir, want[k]), data, 0o644)
		out[at[k]] = data
	}
	return out, nil
}

// cropFile is the cache file of crop c.
func cropFile(dir string, c Crop) string {
	b := c.Box
	return filepath.Join(dir, fmt.Sprintf("f%d_%d_%d_%d_%d.jpg", c.Index, int(b[0]), int(b[1]), int(b[2]), int(b[3])))
}
