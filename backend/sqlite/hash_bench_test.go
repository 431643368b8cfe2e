package sqlite_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"castscope/backend/sqlite"
)

// BenchmarkHashFile reports the fingerprint's throughput (MB/s) on a file
// of $CASTSCOPE_HASH_BENCH_MB MB (default 64) written just before, so
// from the page cache: the hash's own cost, the ceiling when the disk is
// faster. The file is removed afterwards.
//
//	CASTSCOPE_HASH_BENCH_MB=1024 go test -tags webkit2_41 -run '^$' -bench HashFile -benchtime 3x ./backend/sqlite/
func BenchmarkHashFile(b *testing.B) {
	mb := 64
	if v, err := strconv.Atoi(os.Getenv("CASTSCOPE_HASH_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	p := filepath.Join(b.TempDir(), "video.bin")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	rand.Read(chunk)
	for range mb {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	ctx := context.Background()
	b.SetBytes(int64(mb) << 20)
	b.ResetTimer()
	for b.Loop() {
		if _, err := sqlite.HashFile(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}
