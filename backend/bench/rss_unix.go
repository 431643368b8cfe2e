//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSKiB is a finished child's ru_maxrss in KiB (bytes on macOS).
func maxRSSKiB(ps *os.ProcessState) (int64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0, false
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024, true
	}
	return int64(ru.Maxrss), true
}
