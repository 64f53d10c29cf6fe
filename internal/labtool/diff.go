package labtool

import (
	"flag"
	"io"

	"github.com/eks-study/lab/internal/plan"
)

const diffUsage = "usage: lab diff BASE.json HEAD.json [--format text|markdown]"

func diffMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab diff", flag.ContinueOnError)
	format := fs.String("format", "text", "output format: text or markdown")
	positional, help, err := parse(fs, args)
	switch {
	case help:
		return printHelp(stdout, diffUsage, fs)
	case err != nil:
		return fail(stderr, "diff", 2, "%v\n%s", err, diffUsage)
	case len(positional) != 2:
		return fail(stderr, "diff", 2, "need two plan files, got %d\n%s", len(positional), diffUsage)
	case *format != "text" && *format != "markdown":
		return fail(stderr, "diff", 2, "--format %q: use text or markdown", *format)
	}
	base, err := plan.ReadFile(positional[0])
	if err != nil {
		return fail(stderr, "diff", 1, "%v", err)
	}
	head, err := plan.ReadFile(positional[1])
	if err != nil {
		return fail(stderr, "diff", 1, "%v", err)
	}
	if err := plan.RenderDiff(stdout, plan.Compare(base, head), *format); err != nil {
		return fail(stderr, "diff", 1, "%v", err)
	}
	return 0
}
