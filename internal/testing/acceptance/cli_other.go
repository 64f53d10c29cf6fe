//go:build !unix

package acceptance

import (
	"os"
	"os/exec"
)

func ownProcessGroup(*exec.Cmd) {}

// interrupt does nothing where a process cannot be sent an interrupt
// (Windows): the command finishes, then the test destroys the lab.
func interrupt(*os.Process) error { return nil }
