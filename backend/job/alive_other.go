//go:build !linux

package job

import (
	"os"
	"runtime"
	"syscall"
)

func procStart(int) string { return "" }

func processAlive(pid int, _ string) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true
	}
	return p.Signal(syscall.Signal(0)) == nil
}
