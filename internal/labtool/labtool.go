// Package labtool is the `lab` command, the study group's offline companion
// to `pulumi` (cmd/lab is its main):
//
//	lab plan --stack dev            the desired state of a stack, its pod capacity, cost and up/destroy time
//	lab diff base.json head.json    what changes between two plans, ready for a pull request comment
//	lab cleanup ...                 delete LoadBalancer Services, Ingresses and Gateways before `pulumi destroy`
//	lab audit ...                   find what a destroyed stack left behind in AWS
//	lab status --stack dev          running or paused, time left, cost so far (Pulumi backend only)
//	lab extend --stack dev --by 24h move a lab's expiry (at most 7 days ahead)
//
// plan and diff need no cloud credentials: plan runs the real program under
// Pulumi's mock engine with the stack file's config.
package labtool

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/eks-study/lab/internal/cleanup"
)

const usage = `usage: lab <command> [arguments]

commands:
  plan     print a stack's desired state and estimates, offline
           lab plan --stack NAME [--root DIR] [--format text|markdown|json] [--hours N]
  diff     compare two plans written by lab plan --format json
           lab diff BASE.json HEAD.json [--format text|markdown]
  cleanup  delete the cluster's LoadBalancer Services, Ingresses and Gateways (before pulumi destroy)
           lab cleanup --help for its flags
  audit    find what a destroyed stack left behind in AWS (needs AWS credentials)
           lab audit --stack NAME [--root DIR]   (region, cluster, zone from the stack file)
           lab audit --help for its flags
  status   running or paused, up since, time left, cost so far and per hour, and the commands
           lab status --stack NAME [--root DIR]   (reads the Pulumi backend; no AWS call)
  extend   move a stack's expiry (at most 7 days ahead), then pulumi up
           lab extend --stack NAME (--by 24h | --until RFC3339) [--no-up]
  help     print this message
`

// Main is the whole command; it returns the exit code: 0 on success, 1 when
// the work failed, 2 on a usage error. Each subcommand parses its flags and
// runs one action over the domain packages (offline, plan, audit, cleanup).
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "plan":
		return planMain(rest, stdout, stderr)
	case "diff":
		return diffMain(rest, stdout, stderr)
	case "cleanup":
		return cleanup.Main(rest, stdout, stderr)
	case "audit":
		return auditMain(rest, stdout, stderr)
	case "status":
		return statusMain(rest, stdout, stderr)
	case "extend":
		return extendMain(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "lab: unknown command %q; run `lab help` for the commands\n", cmd)
		return 2
	}
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional ones. help is true for -h/--help.
func parse(fs *flag.FlagSet, args []string) (positional []string, help bool, err error) {
	fs.SetOutput(io.Discard)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, true, nil
			}
			return nil, false, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, false, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// printHelp prints a command's usage and its flags' defaults (the answer
// to --help) and returns exit code 0.
func printHelp(stdout io.Writer, usage string, fs *flag.FlagSet) int {
	fmt.Fprintln(stdout, usage)
	fs.SetOutput(stdout)
	fs.PrintDefaults()
	return 0
}

// fail prints one line naming the problem and returns the exit code.
func fail(stderr io.Writer, cmd string, code int, format string, args ...any) int {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	fmt.Fprintf(stderr, "lab %s: %s\n", cmd, msg)
	return code
}
