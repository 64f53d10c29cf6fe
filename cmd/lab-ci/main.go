// Command lab-ci makes the GitHub workflows' decisions (see internal/labci):
// which stacks a change affects, whether a push may deploy a stack, which
// stacks the scheduled sweep destroys, the EKS endpoint checks, and the fix
// for a locked stack. It imports no Pulumi SDK, so `go run` builds it fast.
package main

import (
	"os"

	"github.com/eks-study/lab/internal/labci"
)

func main() {
	os.Exit(labci.Main(os.Args[1:], labci.System(), os.Stdin, os.Stdout, os.Stderr))
}
