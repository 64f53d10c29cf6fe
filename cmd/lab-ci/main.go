// Command lab-ci makes the GitHub workflows' decisions (see internal/labci):
// which stacks a change affects, whether a push may deploy a stack, which
// stacks the scheduled sweep destroys, the EKS endpoint checks, and the fix
// for a locked stack. It imports no Pulumi SDK, so `go run` builds it fast.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"

	"github.com/eks-study/lab/internal/labci"
	"github.com/eks-study/lab/internal/versions"
)

const usage = `usage: lab-ci <command> [flags]   (the GitHub workflows' decisions; run at the repository root)

  affected --head SHA [--base SHA] [--only STACK]
      JSON array of the stacks a change affects (a changed stack file, or any
      file of the program: go list -deps ./infra); no base means every stack
  deploy-check --stack STACK [--base SHA] [--manual] [--org ORG]
      prints deploy=true or deploy=false: may this push (or manual run) bring the stack up
  sweep [--org ORG]
      JSON array of the backend's stacks whose expiry output has passed; exit 1
      after printing it when a stack's expiry cannot be read, or a stack is
      still deployed long after its expiry (a destroy that did not run)
  destroy-check --stack STACK [--before-expiry] [--org ORG]
      for a manual destroy: prints stacks=["STACK"] and live=true (a reviewer
      must approve) or live=false (expired or empty); exit 1 for a live stack
      without --before-expiry
  destroy-due --stack STACK [--org ORG]
      prints due=true, or due=false when the stack the sweep found expired
      has since been given a later expiry or holds nothing
  stack-outputs --stack STACK [--default-region REGION] < outputs.json   (pulumi stack output --json)
      prints region=, cluster=, zone=, owner= for $GITHUB_OUTPUT; exit 1 when
      an output is not a value it can hold
  endpoint-check --stack STACK --ip IP < plan.json       (lab plan --format json)
  endpoint-open --ip IP < cluster.json                    (aws eks describe-cluster)
  endpoint-restore --original FILE < cluster.json
      print the --resources-vpc-config to apply, or nothing when none is needed
  hints --stack STACK < pulumi.log
      the fix for a locked stack or pending operations the log shows
  version NAME
      a version pin of internal/versions, e.g. pulumi-cli, kube-tier, moto
`

func main() {
	os.Exit(run(os.Args[1:], labci.System(), os.Stdin, os.Stdout, os.Stderr))
}

// run runs one command and returns its exit code: 0 done, 1 failed, 2 bad usage.
func run(args []string, env labci.Env, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if args[0] == "version" {
		if len(args) != 2 {
			fmt.Fprintf(stderr, "lab-ci version: want one pin name, got %q\n%s", args[1:], usage)
			return 2
		}
		pin, err := versions.Lookup(args[1])
		if err != nil {
			fmt.Fprintf(stderr, "lab-ci version: %v\n", err)
			return 2
		}
		fmt.Fprintln(stdout, pin)
		return 0
	}
	fs := flag.NewFlagSet("lab-ci "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	stack := fs.String("stack", "", "stack name")
	base := fs.String("base", "", "commit to compare with")
	head := fs.String("head", "", "commit whose stack files count")
	only := fs.String("only", "", "one stack")
	manual := fs.Bool("manual", false, "a manual run for --stack")
	org := fs.String("org", "", "Pulumi Cloud organization (PULUMI_ORG)")
	ip := fs.String("ip", "", "the runner's public address")
	original := fs.String("original", "", "file with the access endpoint-open started from")
	beforeExpiry := fs.Bool("before-expiry", false, "destroy a stack whose expiry has not passed")
	defaultRegion := fs.String("default-region", "", "the region of a stack without a region output or file")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lab-ci %s: bad arguments %q\n%s", args[0], args[1:], usage)
		return 2
	}
	if *stack != "" {
		if err := labci.CheckStackName(*stack); err != nil {
			fmt.Fprintf(stderr, "lab-ci: %v\n", err)
			return 2
		}
	}
	var err error
	switch args[0] {
	case "affected":
		err = labci.Affected(env, *base, *head, *only, stdout)
	case "deploy-check":
		err = labci.DeployCheck(env, *stack, *base, *manual, *org, stdout, stderr)
	case "sweep":
		err = labci.SweepBackend(env, *org, stdout, stderr)
	case "destroy-check":
		err = labci.DestroyCheck(env, *stack, *org, *beforeExpiry, stdout, stderr)
	case "destroy-due":
		err = labci.DestroyDue(env, *stack, *org, stdout, stderr)
	case "stack-outputs":
		err = labci.StackOutputsCommand(stdin, *stack, *defaultRegion, stdout)
	case "endpoint-check":
		var addr netip.Addr
		if addr, err = netip.ParseAddr(*ip); err == nil {
			err = labci.CheckRunner(stdin, *stack, addr)
		}
	case "endpoint-open":
		err = labci.EndpointOpen(stdin, *ip, stdout)
	case "endpoint-restore":
		err = labci.EndpointRestore(stdin, *original, stdout)
	case "hints":
		log, _ := io.ReadAll(stdin)
		for _, h := range labci.Hints(string(log), *stack) {
			fmt.Fprintln(stdout, h)
		}
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "lab-ci: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "lab-ci %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
