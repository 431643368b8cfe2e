package bench

import (
	"context"
	"os"
	"time"

	"castscope/backend/sqlite"
)

// HashResult is bench (e): the cost of the episode fingerprint, which
// registering a video reads every byte for (package sqlite, HashFile).
type HashResult struct {
	Bytes   int64   `json:"bytes"` // hashed in all (the file, as many times as it took)
	Seconds float64 `json:"seconds"`
	MBps    float64 `json:"mb_per_s"`
	FourGBs float64 `json:"four_gb_s"` // a 4 GB file at that rate
}

// Hash hashes path repeatedly until a second or 256 MB have passed, so a
// short clip still gives a steady rate. The file is in the page cache after
// the first pass: the rate is the hash's, a disk slower than it bounds the
// real cost (a 4 GB file at 150 MB/s takes 27 s to read at all).
func Hash(ctx context.Context, path string) (HashResult, error) {
	var r HashResult
	st, err := os.Stat(path)
	if err != nil {
		return r, err
	}
	if _, err := sqlite.HashFile(ctx, path); err != nil { // warm the cache
		return r, err
	}
	start := time.Now()
	for time.Since(start) < time.Second || r.Bytes < 256<<20 {
		if _, err := sqlite.HashFile(ctx, path); err != nil {
			return r, err
		}
		r.Bytes += st.Size()
		if st.Size() == 0 {
			break
		}
	}
	r.Seconds = time.Since(start).Seconds()
	if r.Seconds > 0 {
		r.MBps = float64(r.Bytes) / 1e6 / r.Seconds
	}
	if r.MBps > 0 {
		r.FourGBs = 4e9 / 1e6 / r.MBps
	}
	return r, nil
}
