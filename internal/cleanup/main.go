package cleanup

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

// SkipEnv, when set to anything but "" or "0", makes the command a no-op: the
// way out when the cluster is already gone and `pulumi destroy` must go on.
const SkipEnv = "LAB_SKIP_CLEANUP"

const usage = "usage: lab cleanup --kubeconfig-env NAME|--kubeconfig PATH [--timeout 10m] [--dns-sync-wait 90s] [--poll-interval 5s]"

// Main implements `lab cleanup` and returns the exit code: 0 when no
// LoadBalancer Service or Ingress is left, 1 when the cleanup failed or timed
// out, 2 on bad input.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab cleanup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	kubeEnv := fs.String("kubeconfig-env", "", "name of the environment variable holding the kubeconfig (YAML or JSON)")
	kubePath := fs.String("kubeconfig", "", "path of the kubeconfig file")
	timeout := fs.Duration("timeout", DefaultTimeout, "how long to wait for the load balancers to be deleted")
	dnsWait := fs.Duration("dns-sync-wait", DefaultDNSSyncWait, "how long to let ExternalDNS delete the records afterwards (0 without ExternalDNS)")
	poll := fs.Duration("poll-interval", DefaultPollInterval, "how often to check on the deletions")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		return fail(stderr, err.Error())
	}
	switch {
	case fs.NArg() > 0:
		return fail(stderr, "unexpected argument "+fs.Arg(0))
	case (*kubeEnv == "") == (*kubePath == ""):
		return fail(stderr, "give exactly one of --kubeconfig-env and --kubeconfig")
	case *timeout <= 0:
		return fail(stderr, "--timeout must be positive")
	case *dnsWait < 0:
		return fail(stderr, "--dns-sync-wait must not be negative")
	case *poll <= 0:
		return fail(stderr, "--poll-interval must be positive")
	}

	if v := os.Getenv(SkipEnv); v != "" && v != "0" {
		fmt.Fprintf(stdout, "lab cleanup: skipped because %s is set; run `go run ./cmd/lab audit` afterwards to find load balancers left behind\n", SkipEnv)
		return 0
	}

	opts := Options{Timeout: *timeout, DNSSyncWait: *dnsWait, PollInterval: *poll, Log: stdout}
	if *kubeEnv != "" {
		v := os.Getenv(*kubeEnv)
		if strings.TrimSpace(v) == "" {
			return fail(stderr, "environment variable "+*kubeEnv+" is empty or unset; it must hold the kubeconfig")
		}
		opts.Kubeconfig = []byte(v)
	} else {
		b, err := os.ReadFile(*kubePath)
		if err != nil {
			return fail(stderr, err.Error())
		}
		opts.Kubeconfig, opts.KubeconfigDir = b, filepath.Dir(*kubePath)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, opts); err != nil {
		fmt.Fprintf(stderr, "lab cleanup: %v\n", err)
		return 1
	}
	return 0
}

func fail(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "lab cleanup: %s (%s)\n", msg, usage)
	return 2
}
