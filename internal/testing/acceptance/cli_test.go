//go:build unix

package acceptance

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// fakePulumi is a script standing in for the CLI: it prints its pid and the
// backend it was given, and on an interrupt prints its arguments and exits
// 3, as pulumi does after cancelling gracefully.
func fakePulumi(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "pulumi")
	script := "#!/bin/sh\ntrap 'echo \"cancelled $*\"; exit 3' INT\necho \"pid $$ $PULUMI_BACKEND_URL\"\nwhile :; do sleep 0.1; done\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// firstLine hands the first line written to it to a channel.
type firstLine struct {
	once  sync.Once
	lines chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.once.Do(func() { f.lines <- string(p) })
	return len(p), nil
}

func TestRunCLIInterruptsOnceAndWaits(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	progress := &firstLine{lines: make(chan string, 1)}
	pgid := make(chan int, 1)
	go func() {
		// The script has set its trap and printed its pid: look at its
		// process group while it runs, then interrupt it.
		f := strings.Fields(<-progress.lines)
		pid, _ := strconv.Atoi(f[1])
		g, _ := syscall.Getpgid(pid)
		pgid <- g
		cancel()
	}()
	stdout, _, code, err := RunCLI(ctx, fakePulumi(t), t.TempDir(), nil, []io.Writer{progress}, nil,
		[]string{"PULUMI_BACKEND_URL=file:///state"}, "up", "--yes")
	if err == nil || code != 3 {
		t.Fatalf("RunCLI = code %d, %v; want the CLI's own exit code 3 after its graceful cancel", code, err)
	}
	if !strings.Contains(stdout, "cancelled up --yes --non-interactive") {
		t.Errorf("stdout %q: want the CLI interrupted (not killed) while running up, non-interactively", stdout)
	}
	if !strings.Contains(stdout, "file:///state") {
		t.Errorf("stdout %q: the run's environment did not reach the CLI", stdout)
	}
	if own, _ := syscall.Getpgid(0); <-pgid == own {
		t.Errorf("the CLI is in the test's process group %d: a terminal's Ctrl-C would reach it as well as the test's interrupt", own)
	}
}

func TestRunCLIReturnsTheExitCode(t *testing.T) {
	_, stderr, code, err := RunCLI(context.Background(), "/bin/sh", t.TempDir(), nil, nil, nil, nil, "-c", "echo no stack >&2; exit 255")
	if err == nil || code != 255 || !strings.Contains(stderr, "no stack") {
		t.Errorf("RunCLI = code %d, stderr %q, %v", code, stderr, err)
	}
}
