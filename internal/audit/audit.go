// Package audit finds what a destroyed lab left in the AWS account: anything
// still carrying the stack's tags, the load balancers, target groups and
// security groups the AWS Load Balancer Controller created for the cluster,
// and the Route 53 records the stack's ExternalDNS owned. It only reads; each
// finding comes with the command that deletes it.
package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// ClusterTag is the tag the AWS Load Balancer Controller puts on every load
// balancer, target group and security group it creates.
const ClusterTag = "elbv2.k8s.aws/cluster"

// Options say which lab to audit.
type Options struct {
	Project     string // the project tag; "eks-lab" when empty
	Stack       string // the stack tag
	Region      string
	ClusterName string // the EKS cluster name, value of ClusterTag
	// HostedZoneID and TxtOwnerID select the ExternalDNS records; the
	// Route 53 check is skipped when HostedZoneID is empty.
	HostedZoneID string
	TxtOwnerID   string
}

// DefaultProject is the Pulumi project name, the value of the project tag.
const DefaultProject = "eks-lab"

func (o *Options) validate() error {
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

// The AWS calls the audit makes; the SDK clients satisfy these.
type (
	TaggingAPI interface {
		GetResources(context.Context, *rgt.GetResourcesInput, ...func(*rgt.Options)) (*rgt.GetResourcesOutput, error)
	}
	ELBAPI interface {
		DescribeLoadBalancers(context.Context, *elbv2.DescribeLoadBalancersInput, ...func(*elbv2.Options)) (*elbv2.DescribeLoadBalancersOutput, error)
		DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error)
		DescribeTags(context.Context, *elbv2.DescribeTagsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTagsOutput, error)
	}
	EC2API interface {
		DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	}
	Route53API interface {
		ListResourceRecordSets(context.Context, *route53.ListResourceRecordSetsInput, ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error)
	}
)

// Clients are the AWS clients of one region.
type Clients struct {
	Tagging TaggingAPI
	ELB     ELBAPI
	EC2     EC2API
	Route53 Route53API
}

// NewClients builds the SDK clients from cfg (its region and credentials;
// endpoints from cfg.BaseEndpoint or AWS_ENDPOINT_URL*, as the SDK resolves them).
func NewClients(cfg aws.Config) Clients {
	return Clients{
		Tagging: rgt.NewFromConfig(cfg),
		ELB:     elbv2.NewFromConfig(cfg),
		EC2:     ec2.NewFromConfig(cfg),
		Route53: route53.NewFromConfig(cfg),
	}
}

// Leftover is one resource still in the account.
type Leftover struct {
	Kind   string // "load balancer", "target group", "security group", "Route 53 record", "tagged resource"
	ID     string // ARN, ID, or "name TYPE" for a record
	Detail string // name, DNS name, tags: what helps to recognise it
	Delete string // the command (or console step) that deletes it
}

// Report is the audit's result.
type Report struct {
	Leftovers []Leftover
	Skipped   []string // checks not run, and why
}

// Clean reports whether nothing was left.
func (r Report) Clean() bool { return len(r.Leftovers) == 0 }

// Run runs every check. On an AWS error it returns what the checks before
// the failure found, and the error: the audit is then incomplete.
func Run(ctx context.Context, opts Options, c Clients) (Report, error) {
	var rep Report
	if err := opts.validate(); err != nil {
		return rep, err
	}
	checks := []struct {
		name string
		run  func(context.Context, Options, Clients) ([]Leftover, error)
	}{
		{"load balancers", loadBalancers},
		{"target groups", targetGroups},
		{"security groups", securityGroups},
		{"Route 53 records", dnsRecords},
		{"tagged resources", taggedResources},
	}
	if opts.HostedZoneID == "" {
		rep.Skipped = append(rep.Skipped, "Route 53 records: no hosted zone given")
	}
	seen := map[string]bool{}
	for _, chk := range checks {
		if chk.name == "Route 53 records" && opts.HostedZoneID == "" {
			continue
		}
		found, err := chk.run(ctx, opts, c)
		if err != nil {
			return rep, fmt.Errorf("audit %s: %w", chk.name, err)
		}
		// The controller may tag its load balancers with the stack's tags too:
		// report each resource once, under its most specific check.
		for _, l := range found {
			if !seen[l.ID] {
				seen[l.ID] = true
				rep.Leftovers = append(rep.Leftovers, l)
			}
		}
	}
	return rep, nil
}

// taggedResources lists what still carries project=<project> and stack=<stack>.
func taggedResources(ctx context.Context, o Options, c Clients) ([]Leftover, error) {
	in := &rgt.GetResourcesInput{TagFilters: []rgttypes.TagFilter{
		{Key: aws.String("project"), Values: []string{o.Project}},
		{Key: aws.String("stack"), Values: []string{o.Stack}},
	}}
	var out []Leftover
	p := rgt.NewGetResourcesPaginator(c.Tagging, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.ResourceTagMappingList {
			arn := aws.ToString(m.ResourceARN)
			var tags []string
			for _, t := range m.Tags {
				if k := aws.ToString(t.Key); k == "Name" || k == "owner" || k == "expiry" {
					tags = append(tags, k+"="+aws.ToString(t.Value))
				}
			}
			sort.Strings(tags)
			out = append(out, Leftover{
				Kind:   "tagged resource",
				ID:     arn,
				Detail: strings.Join(tags, " "),
				Delete: deleteHintForARN(arn, o.Region),
			})
		}
	}
	return out, nil
}

// elbTagged returns which of arns carry ClusterTag=cluster (DescribeTags takes 20 ARNs a call).
func elbTagged(ctx context.Context, c ELBAPI, arns []string, cluster string) (map[string]bool, error) {
	tagged := map[string]bool{}
	for len(arns) > 0 {
		n := min(20, len(arns))
		out, err := c.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: arns[:n]})
		if err != nil {
			return nil, err
		}
		for _, d := range out.TagDescriptions {
			for _, t := range d.Tags {
				if aws.ToString(t.Key) == ClusterTag && aws.ToString(t.Value) == cluster {
					tagged[aws.ToString(d.ResourceArn)] = true
				}
			}
		}
		arns = arns[n:]
	}
	return tagged, nil
}

func loadBalancers(ctx context.Context, o Options, c Clients) ([]Leftover, error) {
	type lb struct{ name, dns, typ string }
	all := map[string]lb{}
	var arns []string
	p := elbv2.NewDescribeLoadBalancersPaginator(c.ELB, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range page.LoadBalancers {
			arn := aws.ToString(l.LoadBalancerArn)
			arns = append(arns, arn)
			all[arn] = lb{aws.ToString(l.LoadBalancerName), aws.ToString(l.DNSName), string(l.Type)}
		}
	}
	tagged, err := elbTagged(ctx, c.ELB, arns, o.ClusterName)
	if err != nil {
		return nil, err
	}
	var out []Leftover
	for _, arn := range arns {
		if !tagged[arn] {
			continue
		}
		l := all[arn]
		out = append(out, Leftover{
			Kind:   "load balancer",
			ID:     arn,
			Detail: fmt.Sprintf("%s %s, %s", l.typ, l.name, l.dns),
			Delete: fmt.Sprintf("aws elbv2 delete-load-balancer --region %s --load-balancer-arn %s", o.Region, arn),
		})
	}
	return out, nil
}

func targetGroups(ctx context.Context, o Options, c Clients) ([]Leftover, error) {
	names := map[string]string{}
	var arns []string
	p := elbv2.NewDescribeTargetGroupsPaginator(c.ELB, &elbv2.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, tg := range page.TargetGroups {
			arn := aws.ToString(tg.TargetGroupArn)
			arns = append(arns, arn)
			names[arn] = aws.ToString(tg.TargetGroupName)
		}
	}
	tagged, err := elbTagged(ctx, c.ELB, arns, o.ClusterName)
	if err != nil {
		return nil, err
	}
	var out []Leftover
	for _, arn := range arns {
		if tagged[arn] {
			out = append(out, Leftover{
				Kind:   "target group",
				ID:     arn,
				Detail: names[arn],
				Delete: fmt.Sprintf("aws elbv2 delete-target-group --region %s --target-group-arn %s (after its load balancer)", o.Region, arn),
			})
		}
	}
	return out, nil
}

func securityGroups(ctx context.Context, o Options, c Clients) ([]Leftover, error) {
	in := &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + ClusterTag), Values: []string{o.ClusterName}},
	}}
	var out []Leftover
	p := ec2.NewDescribeSecurityGroupsPaginator(c.EC2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, sg := range page.SecurityGroups {
			id := aws.ToString(sg.GroupId)
			out = append(out, Leftover{
				Kind:   "security group",
				ID:     id,
				Detail: fmt.Sprintf("%s in %s", aws.ToString(sg.GroupName), aws.ToString(sg.VpcId)),
				Delete: fmt.Sprintf("aws ec2 delete-security-group --region %s --group-id %s (after the load balancers using it)", o.Region, id),
			})
		}
	}
	return out, nil
}
