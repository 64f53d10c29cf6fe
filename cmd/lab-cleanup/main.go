// Command lab-cleanup is `lab cleanup` on its own: what `pulumi destroy` runs
// through the cleanup component. It imports only the cleanup package, so
// `go run` builds it in seconds even where the Pulumi SDKs are not compiled.
package main

import (
	"os"

	"github.com/eks-study/lab/internal/cleanup"
)

// Exit codes: cleanup.ExitOK, ExitFailed, ExitBadInput.
func main() { os.Exit(cleanup.Main(os.Args[1:], os.Stdout, os.Stderr)) }
