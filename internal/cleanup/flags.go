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

// Usage is the command's synopsis.
const Usage = "usage: lab cleanup --kubeconfig-env NAME|--kubeconfig PATH [--targets load-balancers|dns-names] [--persistent-volumes] [--include-pulumi-owned] [--timeout 10m] [--dns-sync-wait 90s] [--poll-interval 5s]"

// Exit codes of `lab cleanup` and lab-cleanup.
const (
	ExitOK       = 0 // nothing left to delete, or skipped through SkipEnv
	ExitFailed   = 1 // the cleanup failed or timed out
	ExitBadInput = 2 // a wrong flag, or a kubeconfig that is missing, malformed or unsupported
)

// BadInputError is a wrong argument, or a kubeconfig that cannot be read.
type BadInputError struct{ msg string }

func (e *BadInputError) Error() string { return e.msg + " (" + Usage + ")" }

// ExitCode is the exit code for the error ParseArgs or Run returned.
func ExitCode(err error) int {
	var bad *BadInputError
	var kc *KubeconfigError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &bad), errors.As(err, &kc):
		return ExitBadInput
	}
	return ExitFailed
}

// ParseArgs is the one definition of the command's flags, shared by `lab
// cleanup` and lab-cleanup. It reads the kubeconfig named by the flags,
// unless SkipEnv is set. On -h it prints the flags to help and returns
// flag.ErrHelp; a wrong flag is a *BadInputError.
func ParseArgs(args []string, help io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("lab cleanup", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	kubeEnv := fs.String("kubeconfig-env", "", "name of the environment variable holding the kubeconfig (YAML or JSON)")
	kubePath := fs.String("kubeconfig", "", "path of the kubeconfig file")
	targets := fs.String("targets", string(LoadBalancers), "what to delete: load-balancers (every LoadBalancer Service, Ingress and Gateway, with the routes attached to a Gateway) or dns-names (every Service, Ingress and HTTPRoute with an ExternalDNS name)")
	fs.BoolVar(&o.PersistentVolumes, "persistent-volumes", false, "also delete the PersistentVolumeClaims whose volumes were provisioned with reclaim policy Delete, and the workloads that mount them, and wait for the volumes to go (pulumi destroy does, before the cluster goes); with no node Ready to run the EBS CSI driver, name the volumes instead")
	fs.BoolVar(&o.IncludePulumiOwned, "include-pulumi-owned", false, "also delete objects Pulumi manages (pulumi destroy does; by hand this makes the stack's state drift)")
	fs.DurationVar(&o.Timeout, "timeout", DefaultTimeout, "how long to wait for the objects to be gone")
	fs.DurationVar(&o.DNSSyncWait, "dns-sync-wait", DefaultDNSSyncWait, "how long to let ExternalDNS delete the records afterwards (0 without ExternalDNS)")
	fs.DurationVar(&o.PollInterval, "poll-interval", DefaultPollInterval, "how often to check on the deletions")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(help, Usage)
			fs.SetOutput(help)
			fs.PrintDefaults()
			return o, err
		}
		return o, &BadInputError{err.Error()}
	}
	o.Targets = Targets(*targets)
	switch {
	case fs.NArg() > 0:
		return o, &BadInputError{"unexpected argument " + fs.Arg(0)}
	case (*kubeEnv == "") == (*kubePath == ""):
		return o, &BadInputError{"give exactly one of --kubeconfig-env and --kubeconfig"}
	case o.Targets != LoadBalancers && o.Targets != DNSNames:
		return o, &BadInputError{fmt.Sprintf("--targets %q: want %s or %s", *targets, LoadBalancers, DNSNames)}
	case o.Timeout <= 0:
		return o, &BadInputError{"--timeout must be positive"}
	case o.DNSSyncWait < 0:
		return o, &BadInputError{"--dns-sync-wait must not be negative"}
	case o.PollInterval <= 0:
		return o, &BadInputError{"--poll-interval must be positive"}
	}

	if v := os.Getenv(SkipEnv); v != "" && v != "0" {
		o.Skip = true
		return o, nil
	}
	if *kubeEnv != "" {
		v := os.Getenv(*kubeEnv)
		if strings.TrimSpace(v) == "" {
			return o, &BadInputError{"environment variable " + *kubeEnv + " is empty or unset; it must hold the kubeconfig"}
		}
		o.Kubeconfig = []byte(v)
		return o, nil
	}
	b, err := os.ReadFile(*kubePath)
	if err != nil {
		return o, &BadInputError{err.Error()}
	}
	o.Kubeconfig, o.KubeconfigDir = b, filepath.Dir(*kubePath)
	return o, nil
}

// Main runs the command: `lab cleanup` and lab-cleanup are this one
// function. It returns ExitOK, ExitFailed or ExitBadInput.
func Main(args []string, stdout, stderr io.Writer) int {
	opts, err := ParseArgs(args, stdout)
	if err == nil {
		// pulumi destroy stops the command with SIGTERM on cancel, a user with
		// Ctrl-C; objects already deleted stay deleted.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		opts.Log = stdout
		err = Run(ctx, opts)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "lab cleanup: %v\n", err)
	}
	return ExitCode(err)
}
