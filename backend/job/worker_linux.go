package job

import (
	"os/exec"
	"syscall"
)

// setPdeathsig has the kernel kill the worker when the process that started
// it dies, however it dies.
func setPdeathsig(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
