// Command lab-cleanup is `lab cleanup` on its own: what `pulumi destroy` runs
// through the teardown component. It imports only the cleanup package, so
// `go run` builds it in seconds even where the Pulumi SDKs are not compiled.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/eks-study/lab/internal/cleanup"
)

// Exit codes: cleanup.ExitOK, ExitFailed, ExitBadInput.
func main() {
	opts, err := cleanup.ParseArgs(os.Args[1:], os.Stdout)
	if err == nil {
		// pulumi destroy stops the command with SIGTERM on cancel, a user with Ctrl-C.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		opts.Log = os.Stdout
		err = cleanup.Run(ctx, opts)
		stop()
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "lab cleanup: %v\n", err)
	}
	os.Exit(cleanup.ExitCode(err))
}
