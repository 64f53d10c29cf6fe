package acceptance

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
)

// RunCLI runs the Pulumi CLI the way the Automation API does
// (auto.PulumiCommand's Run: non-interactive, output to the given writers
// too, the exit code), except how it stops. When ctx ends, the CLI gets one
// interrupt and RunCLI waits for it to exit: pulumi then cancels
// gracefully, waits for the operations in flight and saves the state. The
// Automation API would kill it ten seconds later, and a killed `pulumi up`
// leaves resources AWS is creating out of the state, billing with nothing
// to destroy them. The CLI runs in its own process group, so a terminal's
// Ctrl-C reaches only the test, which then ends ctx: one interrupt, never
// the second one that makes pulumi stop at once.
func RunCLI(ctx context.Context, path, workdir string, stdin io.Reader, outs, errs []io.Writer, env []string, args ...string) (string, string, int, error) {
	if !slices.Contains(args, "--non-interactive") {
		args = append(args, "--non-interactive")
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = workdir
	cmd.Env = append(append(os.Environ(), env...), "PULUMI_AUTOMATION_API=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(append(outs, &stdout)...)
	cmd.Stderr = io.MultiWriter(append(errs, &stderr)...)
	cmd.Stdin = stdin
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return "", "", -2, err
	}
	exited := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = interrupt(cmd.Process)
		case <-exited:
		}
	}()
	err := cmd.Wait()
	close(exited)
	code := 0
	if err != nil {
		code = -2 // the Automation API's "unknown"
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		}
	}
	return stdout.String(), stderr.String(), code, err
}
