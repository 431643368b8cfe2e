package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// hashBufSize is the read size while hashing a video: 1 MiB reads keep
// the disk streaming and cost no more than a few system calls per MiB.
const hashBufSize = 1 << 20

// HashFile returns the hex SHA-256 of every byte of the file at path
// (with the SHA extensions of current x86 and ARM CPUs SHA-256 streams at
// about 1.4 GB/s on one core, BenchmarkHashFile; most disks deliver a
// video slower than that). It stops when ctx ends.
func HashFile(ctx context.Context, path string) (string, error) {
	sum, _, _, err := hashFile(ctx, path)
	return sum, err
}

// hashFile hashes the file at path and returns, with the sum, the file's
// identity (fileStat) and size as they were while it was read. A file that
// changed while it was read is read again (three tries in all).
func hashFile(ctx context.Context, path string) (sum, stat string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", 0, err
	}
	defer f.Close()
	buf := make([]byte, hashBufSize)
	for try := 0; ; try++ {
		before, err := f.Stat()
		if err != nil {
			return "", "", 0, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return "", "", 0, err
		}
		h := sha256.New()
		for {
			if err := ctx.Err(); err != nil {
				return "", "", 0, err
			}
			n, err := f.Read(buf)
			h.Write(buf[:n])
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return "", "", 0, err
			}
		}
		after, err := os.Stat(path)
		if err != nil {
			return "", "", 0, err
		}
		stat = fileStat(before)
		if fileStat(after) == stat {
			return hex.EncodeToString(h.Sum(nil)), stat, before.Size(), nil
		}
		if try == 2 {
			return "", "", 0, fmt.Errorf("%s kept changing while it was read", path)
		}
	}
}

// legacyHash is the fingerprint of earlier versions: SHA-256 over the
// size and the first and last MiB. It only recognizes episodes registered
// by them.
func legacyHash(path string, size int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, size)
	const mib = 1 << 20
	if _, err := io.CopyN(h, f, mib); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if size > 2*mib {
		if _, err := f.Seek(size-mib, io.SeekStart); err != nil {
			return "", err
		}
		if _, err := io.CopyN(h, f, mib); err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
	} else if size > mib {
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
