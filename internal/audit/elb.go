package audit

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The load balancer checks list every load balancer and target group of the
// region and keep those tagged with the stack (the controller's, which it
// tags with the lab's tags) or that sit in the lab's VPC untagged (the
// in-tree provider's, by hand): auditor.claim. The cluster tag alone
// proves nothing: another lab, or an eksctl cluster, can have the same
// cluster name. DescribeTags takes at most 20 ARNs or names a call.
const describeTagsBatch = 20

// inBatches calls describe with successive batches of at most
// describeTagsBatch of ids.
func inBatches(ids []string, describe func(batch []string) error) error {
	for len(ids) > 0 {
		n := min(describeTagsBatch, len(ids))
		if err := describe(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// elbv2Tags returns the tags of each ARN.
func (a *auditor) elbv2Tags(ctx context.Context, arns []string) (map[string]map[string]string, error) {
	tags := map[string]map[string]string{}
	err := inBatches(arns, func(batch []string) error {
		out, err := a.c.ELBv2.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: batch})
		if err != nil {
			return err
		}
		for _, d := range out.TagDescriptions {
			tags[aws.ToString(d.ResourceArn)] = tagMap(d.Tags, func(t elbv2types.Tag) (*string, *string) { return t.Key, t.Value })
		}
		return nil
	})
	return tags, err
}

// The delete commands and the details of the load balancer checks, shared by
// the listings and the confirmation of tagging API hits.
func (a *auditor) deleteLoadBalancer(arn string) string {
	return a.cmd("elbv2", "delete-load-balancer", "--load-balancer-arn", arn)
}

func (a *auditor) deleteTargetGroup(arn string) string {
	return a.cmd("elbv2", "delete-target-group", "--target-group-arn", arn)
}

func (a *auditor) deleteClassicLoadBalancer(name string) string {
	return a.cmd("elb", "delete-load-balancer", "--load-balancer-name", name)
}

func loadBalancerDetail(l elbv2types.LoadBalancer) string {
	return fmt.Sprintf("%s %s, %s", l.Type, aws.ToString(l.LoadBalancerName), aws.ToString(l.DNSName))
}

// elbv2Resource is a load balancer or target group.
type elbv2Resource struct{ arn, vpc, detail string }

// keepELBv2 returns the leftovers among rs.
func (a *auditor) keepELBv2(ctx context.Context, kind string, rs []elbv2Resource, deleteCmd func(arn string) string) ([]Leftover, error) {
	var arns []string
	for _, r := range rs {
		arns = append(arns, r.arn)
	}
	tags, err := a.elbv2Tags(ctx, arns)
	if err != nil {
		return nil, err
	}
	var out []Leftover
	for _, r := range rs {
		t := tags[r.arn]
		if a.claim(t, r.vpc) {
			out = append(out, Leftover{Kind: kind, ID: r.arn, Detail: join(r.detail, madeFor(t)), Delete: deleteCmd(r.arn)})
		}
	}
	return a.byVPC(out)
}

func (a *auditor) loadBalancers(ctx context.Context) ([]Leftover, error) {
	var rs []elbv2Resource
	p := elbv2.NewDescribeLoadBalancersPaginator(a.c.ELBv2, &elbv2.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range page.LoadBalancers {
			rs = append(rs, elbv2Resource{aws.ToString(l.LoadBalancerArn), aws.ToString(l.VpcId), loadBalancerDetail(l)})
		}
	}
	return a.keepELBv2(ctx, "load balancer", rs, a.deleteLoadBalancer)
}

func (a *auditor) targetGroups(ctx context.Context) ([]Leftover, error) {
	var rs []elbv2Resource
	p := elbv2.NewDescribeTargetGroupsPaginator(a.c.ELBv2, &elbv2.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, tg := range page.TargetGroups {
			rs = append(rs, elbv2Resource{aws.ToString(tg.TargetGroupArn), aws.ToString(tg.VpcId),
				fmt.Sprintf("%s, target type %s", aws.ToString(tg.TargetGroupName), tg.TargetType)})
		}
	}
	return a.keepELBv2(ctx, "target group", rs, a.deleteTargetGroup)
}

// classicLoadBalancers finds the classic ELBs in the lab's VPC: the in-tree
// cloud provider makes them for a LoadBalancer Service the controller did
// not claim, tagged only with the cluster's name. Their ENIs block the
// subnets' deletion.
func (a *auditor) classicLoadBalancers(ctx context.Context) ([]Leftover, error) {
	type lb struct{ name, vpc, dns string }
	var lbs []lb
	p := elb.NewDescribeLoadBalancersPaginator(a.c.ELB, &elb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range page.LoadBalancerDescriptions {
			lbs = append(lbs, lb{aws.ToString(d.LoadBalancerName), aws.ToString(d.VPCId), aws.ToString(d.DNSName)})
		}
	}
	var names []string
	for _, l := range lbs {
		names = append(names, l.name)
	}
	tags := map[string]map[string]string{}
	err := inBatches(names, func(batch []string) error {
		out, err := a.c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{LoadBalancerNames: batch})
		if err != nil {
			return err
		}
		for _, d := range out.TagDescriptions {
			tags[aws.ToString(d.LoadBalancerName)] = tagMap(d.Tags, func(t elbtypes.Tag) (*string, *string) { return t.Key, t.Value })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Leftover
	for _, l := range lbs {
		t := tags[l.name]
		if a.claim(t, l.vpc) {
			out = append(out, Leftover{
				Kind:   "classic load balancer",
				ID:     l.name,
				Detail: join(l.dns+" in "+l.vpc, madeFor(t)),
				Delete: a.deleteClassicLoadBalancer(l.name),
			})
		}
	}
	return a.byVPC(out)
}
