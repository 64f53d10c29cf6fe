package labtool

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/offline"
)

const extendUsage = `usage: lab extend --stack NAME (--by DURATION | --until RFC3339) [--no-up] [--root DIR]

Moves stack NAME's expiry: sets eks-lab:expiry in stacks/Pulumi.NAME.yaml
(pulumi config set), then runs pulumi up --stack NAME, which shows its preview
and asks before it changes anything. The scheduled destroy reads the stack's
expiry output, so only the pulumi up extends the lab; the update changes the
expiry tag of the lab's AWS resources in place, nothing else.

--by counts from the current expiry (the stack's expiry output, else the
stack file's eks-lab:expiry, else now). The new expiry must be after now and
at most 7 days ahead (the same rule as eks-lab:expiry). --no-up stops after
the config change: for a stack CI deploys, commit and push the stack file.

exit codes:
  0  the expiry is set (and pulumi up succeeded)
  1  pulumi failed, or the stack is not in the backend you are logged in to
  2  bad flags, or an expiry outside the allowed range`

func extendMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab extend", flag.ContinueOnError)
	stack := fs.String("stack", "", "the stack: stacks/Pulumi.<NAME>.yaml")
	root := fs.String("root", "", "repository root, the directory holding Pulumi.yaml (default: found from the working directory up)")
	by := fs.Duration("by", 0, "how much later than the current expiry, e.g. 24h")
	until := fs.String("until", "", "the new expiry, RFC 3339, e.g. 2026-12-05T18:00:00Z")
	noUp := fs.Bool("no-up", false, "only set the config; do not run pulumi up")
	positional, help, err := parse(fs, args)
	switch {
	case help:
		return printHelp(stdout, extendUsage, fs)
	case err != nil:
		return fail(stderr, "extend", 2, "%v (lab extend --help)", err)
	case len(positional) > 0:
		return fail(stderr, "extend", 2, "unexpected argument %q; give the stack with --stack", positional[0])
	case *stack == "":
		return fail(stderr, "extend", 2, "--stack is required (lab extend --help)")
	case (*by == 0) == (*until == ""):
		return fail(stderr, "extend", 2, "give one of --by (e.g. --by 24h) or --until (RFC 3339)")
	case *by < 0:
		return fail(stderr, "extend", 2, "--by %s is negative; to end the lab sooner run pulumi destroy --stack %s", *by, *stack)
	}
	if *root == "" {
		if *root, err = findRoot(); err != nil {
			return fail(stderr, "extend", 1, "%v", err)
		}
	}
	now := time.Now().UTC()
	cli := pulumiCLI{root: *root}
	// pulumi config set works on a stack of the backend only.
	if err := cli.exists(*stack); err != nil {
		return fail(stderr, "extend", 1, "%v", err)
	}
	var expiry time.Time
	if *until != "" {
		if expiry, err = time.Parse(time.RFC3339, *until); err != nil {
			return fail(stderr, "extend", 2, "--until %q is not an RFC 3339 time, e.g. %s", *until, config.LatestExpiry(now).Format(time.RFC3339))
		}
	} else {
		base, from, err := currentExpiry(cli, *root, *stack, now)
		if err != nil {
			return fail(stderr, "extend", 2, "%v", err)
		}
		expiry = base.Add(*by)
		fmt.Fprintf(stdout, "current expiry %s (%s) + %s\n", base.Format(time.RFC3339), from, *by)
	}
	expiry = expiry.UTC().Truncate(time.Second)
	if err := NewExpiry(expiry, now); err != nil {
		return fail(stderr, "extend", 2, "%v", err)
	}
	value := expiry.Format(time.RFC3339)
	if _, err := cli.run("config", "set", config.Namespace+":expiry", value, "--stack", *stack); err != nil {
		return fail(stderr, "extend", 1, "%v", err)
	}
	fmt.Fprintf(stdout, "set %s:expiry = %s in the stack's file\n", config.Namespace, value)
	if *noUp {
		fmt.Fprintf(stdout, "not applied yet: commit and push the stack file (CI deploys it), or run pulumi up --stack %s\n", *stack)
		return 0
	}
	up := exec.Command("pulumi", "up", "--stack", *stack)
	up.Dir, up.Stdin, up.Stdout, up.Stderr = *root, os.Stdin, stdout, stderr
	if err := up.Run(); err != nil {
		return fail(stderr, "extend", 1, "pulumi up --stack %s: %v; the stack file already holds the new expiry, run pulumi up --stack %s again", *stack, err, *stack)
	}
	return 0
}

// NewExpiry checks an expiry lab extend is asked for, with config's rule.
func NewExpiry(expiry, now time.Time) error {
	if err := config.CheckExpiry(expiry, now); err != nil {
		return fmt.Errorf("new expiry %s %v", expiry.Format(time.RFC3339), err)
	}
	return nil
}

// currentExpiry is what --by counts from: the stack's expiry output, else
// its file's eks-lab:expiry, else now; from says which.
func currentExpiry(cli pulumiCLI, root, stack string, now time.Time) (time.Time, string, error) {
	if out, err := cli.run("stack", "output", "expiry", "--stack", stack); err == nil {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(out))); err == nil {
			return t, "the stack's expiry output", nil
		}
	}
	cfg, err := offline.LoadStack(root, stack, nil)
	var unknown *offline.UnknownStackError
	switch {
	case errors.As(err, &unknown):
		return now, "now", nil
	case err != nil:
		return time.Time{}, "", err
	}
	if raw := cfg.Values[config.Namespace+":expiry"]; raw != "" {
		t, err := config.ParseExpiry(raw)
		if err != nil {
			return time.Time{}, "", fmt.Errorf("%s:expiry = %q in the stack file is not an RFC 3339 time; use --until", config.Namespace, raw)
		}
		return t, "the stack file's " + config.Namespace + ":expiry", nil
	}
	return now, "now", nil
}
