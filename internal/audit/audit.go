// Package audit finds what a destroyed lab left in the AWS account. It only
// reads, and reports each leftover with a shell command that deletes it.
//
// It looks for what blocks the VPC's deletion, keeps billing or stays
// assumable, by the lab's VPC and cluster where those things carry none of
// the lab's tags: the AWS Load Balancer Controller's NLBs, ALBs, target
// groups and security groups (tag elbv2.k8s.aws/cluster), the in-tree cloud
// provider's classic ELBs and their k8s-elb-* security groups (tag
// kubernetes.io/cluster/<name>), `available` ENIs the VPC CNI left in the
// lab's VPC, NAT gateways and their elastic IPs, EBS volumes made for
// PersistentVolumeClaims, the control-plane log group, the CloudFormation
// stacks eksctl made for the cluster, the Route 53 records the stack's
// ExternalDNS owned, the stack's IAM roles, instance profiles, policies and
// OIDC provider (IAM is global: asked directly, by the lab's tags), and
// anything else the Resource Groups Tagging API lists with the stack's tags.
// That API keeps listing deleted resources for a while, so each of its hits
// is confirmed with its own service's describe call first.
//
// Every check runs even when another fails: the report lists everything
// found and names the checks that could not run.
package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/smithy-go"
)

// Tag keys other tools put on what they create for a cluster.
const (
	// ClusterTag is on every load balancer, target group and security group
	// the AWS Load Balancer Controller creates (v2.17.1
	// pkg/shared_constants/tag_keys.go TagKeyK8sCluster; pkg/deploy/tracking/provider.go).
	ClusterTag = "elbv2.k8s.aws/cluster"
	// LegacyClusterTagPrefix + cluster name ("owned") is on the classic ELBs,
	// NLBs and k8s-elb-* security groups of the in-tree cloud provider, which
	// serves a LoadBalancer Service the controller does not claim
	// (cloud-provider-aws v1.34.3 pkg/providers/v1/tags.go, aws.go), and on
	// the EBS volumes of the EBS CSI driver run with --k8s-tag-cluster-id.
	LegacyClusterTagPrefix = "kubernetes.io/cluster/"
)

// DefaultProject is the Pulumi project name, the value of the project tag.
const DefaultProject = "eks-lab"

// UnconfirmedKind is the Kind of what only the Resource Groups Tagging API
// lists: the audit has no describe call for its type, and that API keeps
// listing a deleted resource for a while (up to about an hour).
const UnconfirmedKind = "tagged resource"

// Options say which lab to audit.
type Options struct {
	// Project is the project tag. Default DefaultProject.
	Project string
	// Stack is the stack tag. Required.
	Stack string
	// Region is the stack's AWS region. Required.
	Region string
	// ClusterName is the EKS cluster name, the value of ClusterTag. Required.
	ClusterName string
	// HostedZoneID is the Route 53 zone ExternalDNS wrote to. Optional; see NoHostedZone.
	HostedZoneID string
	// TxtOwnerID is ExternalDNS's --txt-owner-id. Required with HostedZoneID.
	TxtOwnerID string
	// NoHostedZone says the stack has no hosted zone, so its ExternalDNS
	// wrote no records. Without it an empty HostedZoneID skips the Route 53
	// check for lack of input, and the report is not clean.
	NoHostedZone bool
	// Paused audits a paused lab instead of a destroyed one: it looks only
	// for what a pause deletes or stops (load balancers and their target
	// groups, NAT gateways, elastic IPs, unused network interfaces, running
	// instances, ExternalDNS's records); the cluster, VPC, IAM, the
	// bastion's disk and PersistentVolumes stay on purpose.
	Paused bool
}

// Validate applies the defaults and checks that the required options are set.
func (o *Options) Validate() error {
	if o.Project == "" {
		o.Project = DefaultProject
	}
	o.HostedZoneID = strings.TrimPrefix(strings.TrimSpace(o.HostedZoneID), "/hostedzone/")
	var missing []string
	if o.Stack == "" {
		missing = append(missing, "stack")
	}
	if o.Region == "" {
		missing = append(missing, "region")
	}
	if o.ClusterName == "" {
		missing = append(missing, "cluster name")
	}
	if o.HostedZoneID != "" && o.TxtOwnerID == "" {
		missing = append(missing, "txt owner id (needed with a hosted zone)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return nil
}

// TaggingAPI is the one call the audit makes to the Resource Groups Tagging
// API; an interface so a test can make it list deleted resources, which it
// does for a while on AWS and the emulator cannot reproduce for every type.
type TaggingAPI interface {
	GetResources(context.Context, *rgt.GetResourcesInput, ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error)
}

// Clients are the AWS clients of one region (IAM's is global).
type Clients struct {
	Tagging        TaggingAPI
	EC2            *ec2.Client
	ELB            *elb.Client
	ELBv2          *elbv2.Client
	EKS            *eks.Client
	Logs           *cloudwatchlogs.Client
	Route53        *route53.Client
	IAM            *iam.Client
	CloudFormation *cloudformation.Client
	KMS            *kms.Client
}

// NewClients builds the SDK clients from cfg (its region and credentials;
// endpoints from cfg.BaseEndpoint or AWS_ENDPOINT_URL*, as the SDK resolves them).
func NewClients(cfg aws.Config) Clients {
	return Clients{
		Tagging:        rgt.NewFromConfig(cfg),
		EC2:            ec2.NewFromConfig(cfg),
		ELB:            elb.NewFromConfig(cfg),
		ELBv2:          elbv2.NewFromConfig(cfg),
		EKS:            eks.NewFromConfig(cfg),
		Logs:           cloudwatchlogs.NewFromConfig(cfg),
		Route53:        route53.NewFromConfig(cfg),
		IAM:            iam.NewFromConfig(cfg),
		CloudFormation: cloudformation.NewFromConfig(cfg),
		KMS:            kms.NewFromConfig(cfg),
	}
}

// Leftover is one resource still in the account.
type Leftover struct {
	Kind   string // "load balancer", "security group", "network interface", UnconfirmedKind, ...
	ID     string // ARN, ID, name, or "name TYPE" for a record
	Detail string // what helps to recognise it, and who made it
	// Delete is a shell command that deletes it, runnable as printed; empty
	// when the audit knows none (the report then says where to look).
	Delete string
}

// Failure is a check that could not run to the end.
type Failure struct {
	Check string // e.g. "Route 53 records"
	Err   error
}

// Report is the audit's result.
type Report struct {
	Options   Options // as audited, defaults applied
	Leftovers []Leftover
	// Pending are the stack's resources AWS is already deleting on its own
	// schedule (a KMS key pending deletion, a NAT gateway "deleting", ...):
	// nothing to run, and they do not make the report unclean.
	Pending []Leftover
	// Undecided are resources the audit found but cannot tell are this
	// lab's (an EBS CSI volume without a cluster tag): no delete command,
	// and while any is listed the report is not clean.
	Undecided []Leftover
	// Skipped are checks not run for lack of input: while any is listed the
	// report is not clean.
	Skipped []string
	// NotApplicable are checks that cannot find anything for this stack, and why.
	NotApplicable []string
	// Gone are resources the tagging API still lists but their service says
	// are deleted: not leftovers.
	Gone []string
	// Failed are the checks that could not run to the end (an AWS error):
	// what the other checks found is still in the report.
	Failed []Failure
	// Complete is true when every check ran to the end.
	Complete bool
}

// Clean reports whether every check ran and nothing is left: no leftover,
// nothing undecided, no check skipped. Pending resources do not count:
// AWS deletes them without anyone's help.
func (r Report) Clean() bool {
	return r.Complete && len(r.Leftovers) == 0 && len(r.Undecided) == 0 && len(r.Skipped) == 0
}

// auditor is one run: the options, the clients and what earlier checks found.
type auditor struct {
	o    Options
	c    Clients
	rep  *Report
	seen map[string]bool // keys of the leftovers reported so far

	vpcs    []string // the lab's VPCs still in the account
	vpcsErr error    // why they are unknown
	// foreignCluster says why a live EKS cluster of the audited name is not
	// this stack's ("" when there is none, or it is this stack's): what is
	// found by the cluster's name alone is then that cluster's.
	foreignCluster string
	clusterErr     error             // why the cluster's owner is unknown
	natEIPs        map[string]string // allocation ID -> the NAT gateway holding it, for elasticIPs
	natErr         error             // why the NAT gateways are unknown
	// iamListed is true once the IAM check listed every role, profile,
	// policy and OIDC provider: an IAM ARN it did not report is gone.
	iamListed bool
}

// Run runs every check, even after one failed, and lists the leftovers in
// the order they can be deleted (deleteOrder). The error joins the
// failures of the checks that could not run (Report.Failed); the report
// still holds what every other check found. Only an invalid Options
// returns an empty report.
func Run(ctx context.Context, opts Options, c Clients) (Report, error) {
	rep := Report{Options: opts}
	if err := opts.Validate(); err != nil {
		return rep, err
	}
	rep.Options = opts
	a := &auditor{o: opts, c: c, rep: &rep, seen: map[string]bool{}, natEIPs: map[string]string{}}
	a.vpcs, a.vpcsErr = a.labVPCs(ctx)
	if a.vpcsErr == nil && len(a.vpcs) == 0 {
		rep.NotApplicable = append(rep.NotApplicable, "network interfaces and NAT gateways: no VPC tagged project="+
			opts.Project+" stack="+opts.Stack+" is left, and none can outlive their VPC")
	}
	a.foreignCluster, a.clusterErr = a.clusterOwner(ctx)
	if a.foreignCluster != "" {
		rep.NotApplicable = append(rep.NotApplicable, "what only the cluster's name marks (its untagged log group, "+
			"eksctl stacks, EBS volumes): "+a.foreignCluster+", so they are its own")
	}
	// Which checks run after a destroy, which on a paused lab.
	const destroyed, paused, both = 1, 2, 3
	checks := []struct {
		name string
		run  func(context.Context) ([]Leftover, error)
		when int
	}{
		{"Route 53 records", a.dnsRecords, both},
		{"CloudFormation stacks of eksctl", a.eksctlStacks, destroyed},
		{"load balancers", a.loadBalancers, both},
		{"classic load balancers", a.classicLoadBalancers, both},
		{"target groups", a.targetGroups, both},
		{"NAT gateways", a.natGateways, both},
		{"network interfaces", a.networkInterfaces, both},
		{"running instances", a.instances, paused},
		{"security groups", a.securityGroups, destroyed},
		{"elastic IPs", a.elasticIPs, both},
		{"EBS volumes of PersistentVolumeClaims", a.claimVolumes, destroyed},
		{"control-plane log group", a.logGroup, destroyed},
		{"IAM roles, instance profiles, policies and OIDC providers", a.iamResources, destroyed},
		{"tagged resources", a.taggedResources, destroyed},
	}
	mode := destroyed
	if opts.Paused {
		mode = paused
	}
	var errs []error
	for _, chk := range checks {
		if chk.when&mode == 0 {
			continue
		}
		found, err := chk.run(ctx)
		if err != nil {
			rep.Failed = append(rep.Failed, Failure{Check: chk.name, Err: err})
			errs = append(errs, fmt.Errorf("audit %s: %w", chk.name, err))
		}
		// What a check found before it failed is reported all the same. A
		// resource two checks find (the controller's NLB also carries the
		// stack's tags) is reported once, under the more specific check.
		for _, l := range found {
			if k := resourceKey(l.ID); !a.seen[k] {
				a.seen[k] = true
				rep.Leftovers = append(rep.Leftovers, l)
			}
		}
	}
	slices.SortStableFunc(rep.Leftovers, func(x, y Leftover) int { return deleteRank(x.Kind) - deleteRank(y.Kind) })
	rep.Complete = len(rep.Failed) == 0
	return rep, errors.Join(errs...)
}

// deleteOrder lists the kinds of leftover so that, printed in this order,
// each delete command comes after those of what holds on to it: eksctl's
// stacks (node groups, service account roles) before the cluster, the
// instances before their security groups, the NAT gateways before their
// elastic IPs, the VPC last; an instance profile gives up its role before
// the role goes, and a role lets go of its policies before they go.
var deleteOrder = []string{
	"Route 53 record", "CloudFormation stack", "EKS node group", "EKS cluster", "instance", "launch template", "volume",
	"load balancer", "classic load balancer", "target group", "NAT gateway", "network interface",
	"security group", "elastic IP", "log group", "subnet", "route table", "internet gateway", "VPC",
	"IAM instance profile", "IAM role", "IAM policy", "IAM OIDC provider", "KMS key",
}

// deleteRank is a kind's place in deleteOrder; kinds without a delete
// command come last.
func deleteRank(kind string) int {
	if i := slices.Index(deleteOrder, kind); i >= 0 {
		return i
	}
	return len(deleteOrder)
}

// cmd builds an AWS CLI command for the audited region.
func (a *auditor) cmd(service, op string, args ...string) string {
	return strings.Join(append([]string{"aws", service, op, "--region", a.o.Region}, args...), " ")
}

// taggedStack returns the stack a resource's lab tags name: "" when it
// carries no project tag of this project, or no stack tag.
func (a *auditor) taggedStack(tags map[string]string) string {
	if tags["project"] != a.o.Project {
		return ""
	}
	return tags["stack"]
}

// claim says whether a resource found in a VPC is this stack's. One that
// carries the lab's tags is the stack's they name. One without them (the
// in-tree cloud provider's classic ELBs and k8s-elb-* groups, which carry
// only the cluster's name, the VPC CNI's ENIs, anything made by hand) is
// this stack's only inside the stack's VPC: each lives in a VPC and blocks
// its deletion, so its VPC still exists, and a VPC that is another lab's
// (or eksctl's, for a cluster of the same name) makes it not ours.
func (a *auditor) claim(tags map[string]string, vpc string) bool {
	if stack := a.taggedStack(tags); stack != "" {
		return stack == a.o.Stack
	}
	return a.inLabVPC(vpc)
}

func (a *auditor) inLabVPC(vpc string) bool { return vpc != "" && slices.Contains(a.vpcs, vpc) }

// byVPC returns what a check found, and the reason it may have missed
// what is this stack's only by its VPC: the lab's VPCs could not be listed.
func (a *auditor) byVPC(found []Leftover) ([]Leftover, error) {
	if a.vpcsErr != nil {
		return found, fmt.Errorf("the lab's VPCs could not be listed, so what only they mark as ours was not looked for: %w", a.vpcsErr)
	}
	return found, nil
}

// byClusterName returns what a check found, and the reason it may have
// missed what only the cluster's name marks: whether a live cluster of that
// name is another's is unknown.
func (a *auditor) byClusterName(found []Leftover) ([]Leftover, error) {
	if a.clusterErr != nil {
		return found, fmt.Errorf("whether a live cluster %s is another lab's is unknown, so what only its name marks was not claimed: %w",
			a.o.ClusterName, a.clusterErr)
	}
	return found, nil
}

// clusterOwner asks EKS about a live cluster of the audited name. It
// returns why that cluster is not this stack's (another stack's tags, or
// none of the lab's: eksctl's, say), or "" when there is no such cluster
// or it is this stack's (then it is itself a leftover).
func (a *auditor) clusterOwner(ctx context.Context) (string, error) {
	out, err := a.c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(a.o.ClusterName)})
	if notFound(err, "ResourceNotFoundException") {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	switch stack := a.taggedStack(out.Cluster.Tags); stack {
	case a.o.Stack:
		return "", nil
	case "":
		return "cluster " + a.o.ClusterName + " is running in " + a.o.Region + " without the tags project=" + a.o.Project +
			" stack=" + a.o.Stack + " (not made by this lab)", nil
	default:
		return "cluster " + a.o.ClusterName + " is running in " + a.o.Region + " as stack " + stack + "'s", nil
	}
}

// madeFor names the Kubernetes object a load balancer, target group or
// security group was made for, from the controller's tracking tags
// (v2.17.1 pkg/deploy/tracking/provider.go; its Gateways' since v3.2.0,
// prefixes gateway.k8s.aws.alb and gateway.k8s.aws.nlb,
// pkg/gateway/constants/controller_constants.go at v3.5.0) or the in-tree
// provider's.
func madeFor(tags map[string]string) string {
	switch {
	case tags["gateway.k8s.aws.alb/stack"] != "":
		return "made for ALB Gateway " + tags["gateway.k8s.aws.alb/stack"]
	case tags["gateway.k8s.aws.nlb/stack"] != "":
		return "made for NLB Gateway " + tags["gateway.k8s.aws.nlb/stack"]
	case tags["service.k8s.aws/stack"] != "":
		return "made for Service " + tags["service.k8s.aws/stack"]
	case strings.Contains(tags["ingress.k8s.aws/stack"], "/"):
		return "made for Ingress " + tags["ingress.k8s.aws/stack"]
	case tags["ingress.k8s.aws/stack"] != "":
		return "made for the Ingress group " + tags["ingress.k8s.aws/stack"]
	case tags["kubernetes.io/service-name"] != "":
		return "made by the in-tree cloud provider for Service " + tags["kubernetes.io/service-name"]
	case tags["elbv2.k8s.aws/resource"] == "backend-sg":
		return "the controller's backend security group, shared by the cluster's load balancers"
	}
	return ""
}

// tagMap turns an SDK tag list into a map; kv reads one tag's key and value.
func tagMap[T any](tags []T, kv func(T) (key, value *string)) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		k, v := kv(t)
		m[aws.ToString(k)] = aws.ToString(v)
	}
	return m
}

// join joins the non-empty parts with "; ".
func join(parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), "; ")
}

// notFound reports whether err is one of the API error codes that say a
// resource does not exist.
func notFound(err error, codes ...string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && slices.Contains(codes, apiErr.ErrorCode())
}
