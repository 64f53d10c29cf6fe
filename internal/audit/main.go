package audit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/config"
)

const usage = "usage: lab audit --stack NAME [--root DIR] (region, cluster, zone and owner from the stack file; flags below override them)"

// Exit codes of Main.
const (
	ExitClean      = 0 // nothing left
	ExitLeftovers  = 1 // something left: see the report
	ExitUsage      = 2 // bad input
	ExitIncomplete = 3 // an AWS call failed: the audit did not finish
)

// Main implements `lab audit`. AWS credentials come from the usual places
// (environment, profile, SSO, instance role).
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab audit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o Options
	fs.StringVar(&o.Stack, "stack", "", "the stack whose leftovers to find (its stack tag)")
	fs.StringVar(&o.Project, "project", DefaultProject, "the project tag")
	fs.StringVar(&o.Region, "region", envRegion(), "the stack's AWS region (default $AWS_REGION or $AWS_DEFAULT_REGION)")
	fs.StringVar(&o.ClusterName, "cluster-name", "", "the EKS cluster name (tag "+ClusterTag+" on the controller's resources)")
	fs.StringVar(&o.HostedZoneID, "hosted-zone-id", "", "the Route 53 hosted zone ExternalDNS wrote to (optional)")
	fs.StringVar(&o.TxtOwnerID, "txt-owner-id", "", "ExternalDNS's --txt-owner-id for this stack (with --hosted-zone-id)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return ExitClean
		}
		return usageError(stderr, err)
	}
	if fs.NArg() > 0 {
		return usageError(stderr, fmt.Errorf("unexpected argument %s", fs.Arg(0)))
	}
	if err := o.validate(); err != nil {
		return usageError(stderr, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(o.Region))
	if err != nil {
		fmt.Fprintf(stderr, "lab audit: loading AWS configuration: %v\n", err)
		return ExitIncomplete
	}
	rep, err := Run(ctx, o, NewClients(cfg))
	rep.Write(stdout, o, err == nil)
	if err != nil {
		fmt.Fprintf(stderr, "lab audit: %v; the audit is incomplete (check your AWS credentials and region)\n", err)
		return ExitIncomplete
	}
	if !rep.Clean() {
		return ExitLeftovers
	}
	return ExitClean
}

func envRegion() string {
	if r := os.Getenv("AWS_REGION"); r != "" {
		return r
	}
	return os.Getenv("AWS_DEFAULT_REGION")
}

func usageError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "lab audit: %v (%s)\n", err, usage)
	return ExitUsage
}

// Write prints the report: one block per leftover with its delete command;
// complete is false when a check failed, so no verdict is printed.
func (r Report) Write(w io.Writer, o Options, complete bool) {
	fmt.Fprintf(w, "lab audit: stack %s (project %s) in %s, cluster %s\n", o.Stack, o.Project, o.Region, o.ClusterName)
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "skipped: %s\n", s)
	}
	for _, l := range r.Leftovers {
		fmt.Fprintf(w, "LEFTOVER %s %s\n", l.Kind, l.ID)
		if l.Detail != "" {
			fmt.Fprintf(w, "  %s\n", l.Detail)
		}
		fmt.Fprintf(w, "  delete: %s\n", l.Delete)
	}
	if !complete {
		return
	}
	if r.Clean() {
		fmt.Fprintln(w, "lab audit: nothing left behind")
		return
	}
	fmt.Fprintf(w, "lab audit: %d resource(s) left behind and possibly billing. If the stack still tracks them, run pulumi destroy again; otherwise delete them with the commands above, load balancers before their target groups and security groups. The tagging API can list a resource for up to about an hour after its deletion.\n", len(r.Leftovers))
}
