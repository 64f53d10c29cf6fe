//go:build !linux

package kubetest

import "os/exec"

// SetDeathSignal: only Linux can tie a child's life to its parent's.
func SetDeathSignal(*exec.Cmd) {}
