package kubetest

import (
	"os/exec"
	"syscall"
)

// SetDeathSignal kills a process a test started (the server's, ExternalDNS)
// when the test binary dies without stopping it (a panic, a timeout).
func SetDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
