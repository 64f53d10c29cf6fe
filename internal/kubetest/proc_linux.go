package kubetest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the server's processes when the test binary dies
// without stopping them (a panic, a timeout).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
