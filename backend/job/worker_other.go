//go:build !linux

package job

import "os/exec"

// setPdeathsig: elsewhere the worker stops when its stdin closes.
func setPdeathsig(cmd *exec.Cmd) {}
