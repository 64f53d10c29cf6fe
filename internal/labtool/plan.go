package labtool

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/plan"
)

const planUsage = "usage: lab plan --stack NAME [--root DIR] [--format text|markdown|json] [--hours N]"

func planMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab plan", flag.ContinueOnError)
	stack := fs.String("stack", "", "stack name: stacks/Pulumi.<NAME>.yaml")
	root := fs.String("root", "", "repository root, the directory holding Pulumi.yaml (default: found from the working directory up)")
	format := fs.String("format", "text", "output format: text, markdown or json")
	hours := fs.Float64("hours", estimate.DefaultSessionHours, "length of a lab session for the cost estimate, in hours")
	positional, help, err := parse(fs, args)
	switch {
	case help:
		return printHelp(stdout, planUsage, fs)
	case err != nil:
		return fail(stderr, "plan", 2, "%v\n%s", err, planUsage)
	case len(positional) > 0:
		return fail(stderr, "plan", 2, "unexpected argument %q; give the stack with --stack\n%s", positional[0], planUsage)
	case *stack == "":
		return fail(stderr, "plan", 2, "--stack is required\n%s", planUsage)
	case !slices.Contains(plan.Formats, *format):
		return fail(stderr, "plan", 2, "--format %q: use %s", *format, strings.Join(plan.Formats, ", "))
	case *hours <= 0:
		return fail(stderr, "plan", 2, "--hours must be positive, got %g", *hours)
	}
	if *root == "" {
		if *root, err = findRoot(); err != nil {
			return fail(stderr, "plan", 1, "%v", err)
		}
	}
	doc, err := makePlan(*root, *stack, *hours, stderr)
	if err != nil {
		return fail(stderr, "plan", 1, "%v", err)
	}
	if err := plan.Render(stdout, doc, *format); err != nil {
		return fail(stderr, "plan", 1, "%v", err)
	}
	return 0
}

// makePlan runs the program for a stack file under the mock engine, with
// the config the Pulumi CLI would hand it; Pulumi's warnings, and other stack
// files' clusters of the same name and region, go to stderr.
func makePlan(root, stack string, hours float64, stderr io.Writer) (*plan.Document, error) {
	cfg, err := offline.LoadStack(root, stack, nil)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "lab plan: %s\n", w)
	}
	shared, err := plan.ClusterNameWarnings(root, stack)
	if err != nil {
		return nil, err
	}
	for _, w := range shared {
		fmt.Fprintf(stderr, "lab plan: warning: %s\n", w)
	}
	p, other, err := mock.BothStates(root, stack, nil)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, programError(err))
	}
	return plan.Build(p, plan.Options{SessionHours: hours, Other: other})
}

// programError digs the program's own error out of the engine's wrapping, so
// that a config error prints as config.Load wrote it.
func programError(err error) error {
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		return cfgErr
	}
	if m, ok := err.(interface{ WrappedErrors() []error }); ok && len(m.WrappedErrors()) == 1 {
		return m.WrappedErrors()[0]
	}
	return err
}

// findRoot walks up from the working directory to the one holding Pulumi.yaml.
func findRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no Pulumi.yaml in %s or any parent directory; run from the repository or pass --root DIR", wd)
		}
	}
}
