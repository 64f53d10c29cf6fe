package labtool

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/eks-study/lab/internal/audit"
	"github.com/eks-study/lab/internal/offline"
)

const auditUsage = `usage: lab audit --stack NAME [--root DIR] [flags]

Finds what stack NAME left in AWS after pulumi destroy, with a delete command
for each leftover, printed in an order that runs top to bottom. Needs AWS
credentials (environment, profile, SSO or instance role) that can read the
stack's account. It only reads.

The region, cluster name, hosted zone and ExternalDNS owner come from
stacks/Pulumi.NAME.yaml. Each flag below overrides its one value and keeps the
stack file's others. For a stack without a file give --region and
--cluster-name, and --hosted-zone-id with --txt-owner-id (the stack's outputs
hostedZoneId and txtOwnerId), or the Route 53 check is skipped. An empty
--hosted-zone-id "" says the stack has no hosted zone: nothing to look for.

What it looks for (docs/lifecycle.md, "Audit"):
  - Route 53 records whose ExternalDNS TXT registry record names this owner
  - CloudFormation stacks eksctl made for the cluster in this region
  - load balancers, target groups, security groups, NAT gateways, unused
    network interfaces and elastic IPs tagged with the stack, or in its VPC
  - EBS volumes tagged for the cluster's PersistentVolumeClaims
  - the control-plane log group /aws/eks/CLUSTER/cluster
  - IAM roles, instance profiles, customer-managed policies and OIDC
    providers tagged project=PROJECT stack=NAME (IAM is global)
  - anything else the Resource Groups Tagging API lists with the stack's tags
With --paused it audits a paused lab (eks-lab:paused true) instead: only the
load balancers, target groups, NAT gateways, elastic IPs, unused network
interfaces, running instances in its VPC and Route 53 records, none of which a
paused lab has; what stays on purpose (the control plane, VPC, IAM, the
bastion's disk, PersistentVolumes) is not a leftover.
What it cannot see: anything in another region or account; resources with
neither the stack's tags nor a home in its VPC, its cluster's name or its
zone (e.g. a record ExternalDNS wrote under another --txt-owner-id); an EBS
volume of the CSI driver run without --k8s-tag-cluster-id is listed as
UNDECIDED, without a delete command.

exit codes:
  0  every check ran and nothing is left (AWS may still be deleting what is
     listed as pending: a KMS key pending deletion, a NAT gateway deleting)
  1  every check ran and something is left: see the report
  2  bad input
  3  a check could not run (an AWS error): the report lists what the others
     found, then the checks that could not run; the audit is incomplete
  4  nothing found for certain, but a check was skipped for lack of input,
     or something was found that the audit cannot attribute: not clean

flags:`

// Exit codes of lab audit; auditUsage and docs/lifecycle.md document them.
const (
	AuditClean      = 0
	AuditLeftovers  = 1
	AuditUsageError = 2
	AuditIncomplete = 3
	AuditUnsure     = 4
)

// auditMain runs `lab audit`: its flags are parsed here, once.
func auditMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lab audit", flag.ContinueOnError)
	stack := fs.String("stack", "", "the stack to audit (its stack tag and stacks/Pulumi.NAME.yaml)")
	root := fs.String("root", "", "repository root, the directory holding Pulumi.yaml (default: found from the working directory up)")
	verbose := fs.Bool("verbose", false, "also list what the tagging API still shows but is deleted")
	var flags audit.Options
	fs.StringVar(&flags.Project, "project", "", "the project tag (default "+audit.DefaultProject+")")
	fs.StringVar(&flags.Region, "region", "", "the stack's AWS region (default: the stack file's aws:region)")
	fs.StringVar(&flags.ClusterName, "cluster-name", "", "the EKS cluster name (default: the stack file's eks-lab:clusterName)")
	fs.StringVar(&flags.HostedZoneID, "hosted-zone-id", "", "the Route 53 zone ExternalDNS wrote to (default: the stack file's eks-lab:hostedZoneId)")
	fs.StringVar(&flags.TxtOwnerID, "txt-owner-id", "", "ExternalDNS's --txt-owner-id (default: eks-lab-NAME with the stack file)")
	fs.BoolVar(&flags.Paused, "paused", false, "audit a paused lab: only what a pause deletes or stops, which must not bill while paused")
	positional, help, err := parse(fs, args)
	switch {
	case help:
		return printHelp(stdout, auditUsage, fs)
	case err != nil:
		return fail(stderr, "audit", AuditUsageError, "%v (lab audit --help)", err)
	case len(positional) > 0:
		return fail(stderr, "audit", AuditUsageError, "unexpected argument %q; give the stack with --stack", positional[0])
	case *stack == "":
		return fail(stderr, "audit", AuditUsageError, "--stack is required (lab audit --help)")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	opts, err := AuditOptions(*root, *stack, flags, set)
	if err != nil {
		return fail(stderr, "audit", AuditUsageError, "%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(opts.Region))
	if err != nil {
		return fail(stderr, "audit", AuditIncomplete, "loading the AWS configuration: %v", err)
	}
	// Run reports every check's findings, also when some failed: its error
	// then only joins rep.Failed.
	rep, err := audit.Run(ctx, opts, audit.NewClients(cfg))
	if err != nil && len(rep.Failed) == 0 {
		return fail(stderr, "audit", AuditUsageError, "%v", err)
	}
	rep.Write(stdout, *verbose)
	switch {
	case len(rep.Failed) > 0:
		return fail(stderr, "audit", AuditIncomplete, "incomplete: %d check(s) could not run; see the report", len(rep.Failed))
	case len(rep.Leftovers) > 0:
		return AuditLeftovers
	case !rep.Clean():
		return AuditUnsure
	}
	return AuditClean
}

// AuditOptions starts from the stack file, when there is one, and puts each
// flag given on the command line (named in set) over its one field.
func AuditOptions(root, stack string, flags audit.Options, set map[string]bool) (audit.Options, error) {
	var err error
	if root == "" {
		root, err = findRoot()
	}
	var opts audit.Options
	if err == nil {
		opts, err = audit.StackOptions(root, stack)
	}
	if err != nil {
		var unknown *offline.UnknownStackError
		if root != "" && !errors.As(err, &unknown) {
			return opts, err // the stack file is there, and wrong
		}
		if !set["region"] || !set["cluster-name"] {
			return opts, fmt.Errorf("%v; to audit a stack without a file give --region and --cluster-name", err)
		}
		opts = audit.Options{Stack: stack}
	}
	if set["project"] {
		opts.Project = flags.Project
	}
	if set["region"] {
		opts.Region = flags.Region
	}
	if set["cluster-name"] {
		opts.ClusterName = flags.ClusterName
	}
	if set["hosted-zone-id"] {
		opts.HostedZoneID = flags.HostedZoneID
		opts.NoHostedZone = flags.HostedZoneID == ""
	}
	if set["txt-owner-id"] {
		opts.TxtOwnerID = flags.TxtOwnerID
	}
	opts.Paused = flags.Paused
	return opts, opts.Validate()
}
