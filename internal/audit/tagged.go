package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	rgt "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"
)

// errUnknownType: the audit has no describe call for this resource type.
var errUnknownType = errors.New("no describe call for this resource type")

// arnParts splits arn:partition:service:region:account:type/id (or type:id).
func arnParts(arn string) (service, typ, id string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return "", "", "", false
	}
	res := parts[5]
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		return parts[2], res[:i], res[i+1:], true
	}
	return parts[2], res, "", true
}

// resourceKey is what identifies a resource across checks: an EC2 resource
// by its ID, a classic ELB or log group by its name, anything else by its ARN.
func resourceKey(id string) string {
	service, typ, rest, ok := arnParts(id)
	switch {
	case !ok:
		return id
	case service == "ec2":
		return rest
	case service == "elasticloadbalancing" && typ == "loadbalancer" && !isELBv2(rest):
		return rest
	case service == "logs":
		return strings.TrimSuffix(rest, ":*")
	}
	return id
}

// isELBv2 says whether a load balancer ARN's "loadbalancer/..." part is an
// ALB, NLB or GWLB ("app/", "net/", "gwy/"), rather than a classic ELB's name.
func isELBv2(res string) bool {
	kind, _, _ := strings.Cut(res, "/")
	return slices.Contains([]string{"app", "net", "gwy"}, kind)
}

// taggedResources lists what the tagging API finds with project=<project>
// and stack=<stack>, and keeps what its own service says still exists.
func (a *auditor) taggedResources(ctx context.Context) ([]Leftover, error) {
	in := &rgt.GetResourcesInput{TagFilters: []rgttypes.TagFilter{
		{Key: aws.String("project"), Values: []string{a.o.Project}},
		{Key: aws.String("stack"), Values: []string{a.o.Stack}},
	}}
	var out []Leftover
	p := rgt.NewGetResourcesPaginator(a.c.Tagging, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.ResourceTagMappingList {
			arn := aws.ToString(m.ResourceARN)
			if a.seen[resourceKey(arn)] {
				continue
			}
			l, why, err := a.confirm(ctx, arn)
			if err != nil {
				return nil, fmt.Errorf("confirming %s: %w", arn, err)
			}
			if l == nil {
				a.rep.Gone = append(a.rep.Gone, arn+": "+why)
				continue
			}
			l.Detail = join(l.Detail, labTags(m.Tags))
			out = append(out, *l)
		}
	}
	return out, nil
}

// labTags shows the tags that tell whose a resource is.
func labTags(tags []rgttypes.Tag) string {
	m := tagMap(tags, func(t rgttypes.Tag) (*string, *string) { return t.Key, t.Value })
	var kv []string
	for _, k := range []string{"Name", "owner", "expiry"} {
		if v, ok := m[k]; ok {
			kv = append(kv, k+"="+v)
		}
	}
	return strings.Join(kv, " ")
}

// confirm asks a tagging API hit's own service whether it still exists: it
// returns the leftover, or nil and why it is gone. A type the audit cannot
// describe is reported, never dropped.
func (a *auditor) confirm(ctx context.Context, arn string) (*Leftover, string, error) {
	service, typ, id, ok := arnParts(arn)
	var l *Leftover
	var why string
	err := errUnknownType
	switch {
	case !ok:
	case service == "ec2":
		l, why, err = a.ec2Resource(ctx, typ, id)
	case service == "elasticloadbalancing":
		l, why, err = a.elbResource(ctx, arn, typ, id)
	case service == "eks":
		l, why, err = a.eksResource(ctx, arn, typ, id)
	case service == "logs" && typ == "log-group":
		l, why, err = a.logGroupResource(ctx, strings.TrimSuffix(id, ":*"))
	}
	if errors.Is(err, errUnknownType) {
		return &Leftover{
			Kind:   UnconfirmedKind,
			ID:     arn,
			Detail: "not confirmed: the audit has no describe call for " + service + " " + typ + ", and the tagging API lists deleted resources for a while",
		}, "", nil
	}
	return l, why, err
}

func (a *auditor) elbResource(ctx context.Context, arn, typ, id string) (*Leftover, string, error) {
	switch {
	case typ == "loadbalancer" && isELBv2(id):
		out, err := a.c.ELBv2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		if notFound(err, "LoadBalancerNotFound") {
			return nil, "deleted", nil
		}
		if err != nil || len(out.LoadBalancers) == 0 {
			return nil, "deleted", err
		}
		l := out.LoadBalancers[0]
		return &Leftover{Kind: "load balancer", ID: arn, Detail: loadBalancerDetail(l), Delete: a.deleteLoadBalancer(arn)}, "", nil
	case typ == "loadbalancer":
		_, err := a.c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerNames: []string{id}})
		if notFound(err, "LoadBalancerNotFound") {
			return nil, "deleted", nil
		}
		if err != nil {
			return nil, "", err
		}
		return &Leftover{Kind: "classic load balancer", ID: id, Delete: a.deleteClassicLoadBalancer(id)}, "", nil
	case typ == "targetgroup":
		_, err := a.c.ELBv2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
		if notFound(err, "TargetGroupNotFound") {
			return nil, "deleted", nil
		}
		if err != nil {
			return nil, "", err
		}
		return &Leftover{Kind: "target group", ID: arn, Delete: a.deleteTargetGroup(arn)}, "", nil
	case typ == "listener" || typ == "listener-rule":
		// The controller tags its listeners and rules too; they go with
		// their load balancer: listener/app/NAME/LB-ID/LISTENER-ID[/RULE-ID].
		f := strings.SplitN(id, "/", 4)
		if len(f) < 4 {
			break
		}
		lbID := strings.Join(f[:3], "/")
		lbARN := strings.Replace(arn, ":"+typ+"/"+id, ":loadbalancer/"+lbID, 1)
		l, why, err := a.elbResource(ctx, lbARN, "loadbalancer", lbID)
		if l == nil {
			return nil, "its load balancer is " + why, err
		}
		return &Leftover{Kind: typ, ID: arn, Detail: "deleted with its load balancer " + lbARN}, "", nil
	}
	return nil, "", errUnknownType
}

// eksResource confirms an EKS hit by its cluster: node groups, add-ons and
// access entries cannot outlive it. The cluster's name leads the ARN's ID
// (cluster/NAME, nodegroup/NAME/GROUP/UUID, addon/NAME/ADDON/UUID, ...).
func (a *auditor) eksResource(ctx context.Context, arn, typ, id string) (*Leftover, string, error) {
	cluster, rest, _ := strings.Cut(id, "/")
	out, err := a.c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if notFound(err, "ResourceNotFoundException") {
		return nil, "its cluster " + cluster + " is deleted", nil
	}
	if err != nil {
		return nil, "", err
	}
	switch typ {
	case "cluster":
		return &Leftover{
			Kind:   "EKS cluster",
			ID:     cluster,
			Detail: string(out.Cluster.Status),
			Delete: a.cmd("eks", "delete-cluster", "--name", cluster),
		}, "", nil
	case "nodegroup":
		group, _, _ := strings.Cut(rest, "/")
		_, err := a.c.EKS.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(group)})
		if notFound(err, "ResourceNotFoundException") {
			return nil, "deleted", nil
		}
		if err != nil {
			return nil, "", err
		}
		return &Leftover{
			Kind:   "EKS node group",
			ID:     cluster + "/" + group,
			Delete: a.cmd("eks", "delete-nodegroup", "--cluster-name", cluster, "--nodegroup-name", group),
		}, "", nil
	}
	return &Leftover{Kind: "EKS " + typ, ID: arn, Detail: "deleted with its cluster " + cluster}, "", nil
}
