package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/eks-study/lab/internal/cleanup"
)

// cleanupMain runs `lab cleanup` with the flags cmd/lab-cleanup has; it
// returns cleanup.ExitOK, ExitFailed or ExitBadInput.
func cleanupMain(args []string, stdout, stderr io.Writer) int {
	opts, err := cleanup.ParseArgs(args, stdout)
	if err == nil {
		// Ctrl-C stops the wait; objects already deleted stay deleted.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		opts.Log = stdout
		err = cleanup.Run(ctx, opts)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "lab cleanup: %v\n", err)
	}
	return cleanup.ExitCode(err)
}
