package labtool

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/labstatus"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/plan"
)

const statusUsage = `usage: lab status --stack NAME [--root DIR]

Whether stack NAME runs or is paused, since when it is up, its expiry and the
time left, the estimated cost so far and per hour, and the commands to pause
or resume, extend and destroy it. It reads only the Pulumi backend you are
logged in to (pulumi stack output and pulumi stack history, run in the
project's root; the current stack is left as it is): no AWS call, so it cannot
see what members made outside the program (lab audit --stack NAME can).

The cost is lab plan's estimate for the config each update recorded, from the
start of the first update since the last destroy: an upper bound.

exit codes:
  0  the status is shown (also for a destroyed stack)
  1  the backend cannot tell: no such stack, never brought up, or a pulumi error
  2  bad flags`

// historyPage is how many updates one `pulumi stack history` call reads.
const historyPage = 50

func statusMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab status", flag.ContinueOnError)
	stack := fs.String("stack", "", "the stack (pulumi stack ls)")
	root := fs.String("root", "", "repository root, the directory holding Pulumi.yaml (default: found from the working directory up)")
	positional, help, err := parse(fs, args)
	switch {
	case help:
		return printHelp(stdout, statusUsage, fs)
	case err != nil:
		return fail(stderr, "status", 2, "%v (lab status --help)", err)
	case len(positional) > 0:
		return fail(stderr, "status", 2, "unexpected argument %q; give the stack with --stack", positional[0])
	case *stack == "":
		return fail(stderr, "status", 2, "--stack is required (lab status --help)")
	}
	if *root == "" {
		if *root, err = findRoot(); err != nil {
			return fail(stderr, "status", 1, "%v", err)
		}
	}
	cli := pulumiCLI{root: *root}
	now := time.Now().UTC()
	s, err := readStatus(cli, *root, *stack, now)
	if err != nil {
		return fail(stderr, "status", 1, "%v", err)
	}
	s.Write(stdout, config.LatestExpiry(now))
	return 0
}

// readStatus reads the stack from the backend and computes its status.
func readStatus(cli pulumiCLI, root, stack string, now time.Time) (*labstatus.Status, error) {
	if err := cli.exists(stack); err != nil {
		return nil, err
	}
	out, err := cli.run("stack", "output", "--json", "--stack", stack)
	if err != nil {
		return nil, err
	}
	var outputs map[string]any
	if err := json.Unmarshal(out, &outputs); err != nil {
		return nil, fmt.Errorf("pulumi stack output --json: %v", err)
	}
	history, err := cli.history(stack)
	if err != nil {
		return nil, err
	}
	s, err := labstatus.Compute(stack, history, outputs, now, hourlyRate(root, stack))
	if err != nil {
		return nil, err
	}
	if s.Never {
		return nil, fmt.Errorf("stack %s exists but was never brought up: pulumi up --stack %s", stack, stack)
	}
	return s, nil
}

// hourlyRate prices a recorded config as lab plan does: the program under
// the mock engine, at the update's time, in an account holding the lab.
func hourlyRate(root, stack string) labstatus.Rate {
	return func(values map[string]string, at time.Time) (float64, error) {
		cfg, err := offline.FromConfig(root, stack, values)
		if err != nil {
			return 0, err
		}
		cfg.At = at
		p, err := mock.RunIn(cfg, mock.UpAccount(cfg))
		if err != nil {
			return 0, programError(err)
		}
		doc, err := plan.Build(p, plan.Options{})
		if err != nil {
			return 0, err
		}
		return doc.Estimates.Cost.HourlyTotal, nil
	}
}

// pulumiCLI runs the pulumi CLI in the project's root, with the caller's
// environment (backend login, PULUMI_BACKEND_URL, passphrase).
type pulumiCLI struct{ root string }

func (c pulumiCLI) run(args ...string) ([]byte, error) {
	cmd := exec.Command("pulumi", args...)
	cmd.Dir = c.root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("pulumi %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// exists checks that the backend lists stack for this project.
func (c pulumiCLI) exists(stack string) error {
	out, err := c.run("stack", "ls", "--json")
	if err != nil {
		return err
	}
	var stacks []struct{ Name string }
	if err := json.Unmarshal(out, &stacks); err != nil {
		return fmt.Errorf("pulumi stack ls --json: %v", err)
	}
	for _, s := range stacks {
		if path.Base(s.Name) == stack {
			return nil
		}
	}
	return fmt.Errorf("stack %s is not in the Pulumi backend you are logged in to (pulumi whoami -v; pulumi stack ls)", stack)
}

// history reads the stack's updates, newest first, page by page until a
// short page or a successful destroy: nothing before it counts.
func (c pulumiCLI) history(stack string) ([]labstatus.Update, error) {
	var all []labstatus.Update
	for page := 1; ; page++ {
		out, err := c.run("stack", "history", "--json", "--stack", stack,
			"--page-size", fmt.Sprint(historyPage), "--page", fmt.Sprint(page))
		if err != nil {
			return nil, err
		}
		updates, err := labstatus.ParseHistory(out)
		if err != nil {
			return nil, err
		}
		all = append(all, updates...)
		if len(updates) < historyPage {
			return all, nil
		}
		for _, u := range updates {
			if u.Kind == "destroy" && u.Result == "succeeded" {
				return all, nil
			}
		}
	}
}
