package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
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

// verdict is what a resource's own service says about it: a leftover,
// pending (AWS is deleting it: why says how and when), or gone (and why).
type verdict struct {
	left, pending *Leftover
	why, gone     string
}

func left(l Leftover) verdict { return verdict{left: &l} }

func inProgress(l Leftover, why string) verdict { return verdict{pending: &l, why: why} }

// taggedResources lists what the tagging API finds with project=<project>
// and stack=<stack>, and keeps what its own service says still exists.
func (a *auditor) taggedResources(ctx context.Context) ([]Leftover, error) {
	in := &rgt.GetResourcesInput{TagFilters: []rgttypes.TagFilter{
		{Key: aws.String("project"), Values: []string{a.o.Project}},
		{Key: aws.String("stack"), Values: []string{a.o.Stack}},
	}}
	var out []Leftover
	var errs []error
	p := rgt.NewGetResourcesPaginator(a.c.Tagging, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, errors.Join(append(errs, err)...)
		}
		for _, m := range page.ResourceTagMappingList {
			arn := aws.ToString(m.ResourceARN)
			if a.seen[resourceKey(arn)] {
				continue
			}
			v, err := a.confirm(ctx, arn)
			switch {
			case err != nil:
				// One resource its service would not describe does not
				// hide the others.
				errs = append(errs, fmt.Errorf("confirming %s: %w", arn, err))
			case v.left != nil:
				v.left.Detail = join(v.left.Detail, labTags(m.Tags))
				out = append(out, *v.left)
			case v.pending != nil:
				a.pending(*v.pending, v.why)
			default:
				a.rep.Gone = append(a.rep.Gone, arn+": "+v.gone)
			}
		}
	}
	return out, errors.Join(errs...)
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

// confirm asks a tagging API hit's own service whether it still exists. A
// type the audit cannot describe is reported, never dropped.
func (a *auditor) confirm(ctx context.Context, arn string) (verdict, error) {
	service, typ, id, ok := arnParts(arn)
	var v verdict
	err := errUnknownType
	switch {
	case !ok:
	case service == "ec2":
		v, err = a.ec2Resource(ctx, typ, id)
	case service == "elasticloadbalancing":
		v, err = a.elbResource(ctx, arn, typ, id)
	case service == "eks":
		v, err = a.eksResource(ctx, arn, typ, id)
	case service == "logs" && typ == "log-group":
		v, err = a.logGroupResource(ctx, strings.TrimSuffix(id, ":*"))
	case service == "kms" && typ == "key":
		v, err = a.kmsKey(ctx, arn)
	case service == "iam" && a.iamListed:
		// The IAM check listed every role, profile, policy and OIDC
		// provider with the stack's tags, and this was not among them.
		v, err = verdict{gone: "not in IAM's own listing"}, nil
	}
	if errors.Is(err, errUnknownType) {
		return left(Leftover{
			Kind:   UnconfirmedKind,
			ID:     arn,
			Detail: "not confirmed: the audit has no describe call for " + service + " " + typ + ", and the tagging API lists deleted resources for a while",
		}), nil
	}
	return v, err
}

func (a *auditor) elbResource(ctx context.Context, arn, typ, id string) (verdict, error) {
	gone := verdict{gone: "deleted"}
	switch {
	case typ == "loadbalancer" && isELBv2(id):
		out, err := a.c.ELBv2.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		if notFound(err, "LoadBalancerNotFound") {
			return gone, nil
		}
		if err != nil || len(out.LoadBalancers) == 0 {
			return gone, err
		}
		l := out.LoadBalancers[0]
		return left(Leftover{Kind: "load balancer", ID: arn, Detail: loadBalancerDetail(l), Delete: a.deleteLoadBalancer(arn)}), nil
	case typ == "loadbalancer":
		_, err := a.c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerNames: []string{id}})
		if notFound(err, "LoadBalancerNotFound") {
			return gone, nil
		}
		if err != nil {
			return verdict{}, err
		}
		return left(Leftover{Kind: "classic load balancer", ID: id, Delete: a.deleteClassicLoadBalancer(id)}), nil
	case typ == "targetgroup":
		_, err := a.c.ELBv2.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
		if notFound(err, "TargetGroupNotFound") {
			return gone, nil
		}
		if err != nil {
			return verdict{}, err
		}
		return left(Leftover{Kind: "target group", ID: arn, Delete: a.deleteTargetGroup(arn)}), nil
	case typ == "listener" || typ == "listener-rule":
		// The controller tags its listeners and rules too; they go with
		// their load balancer: listener/app/NAME/LB-ID/LISTENER-ID[/RULE-ID].
		f := strings.SplitN(id, "/", 4)
		if len(f) < 4 {
			break
		}
		lbID := strings.Join(f[:3], "/")
		lbARN := strings.Replace(arn, ":"+typ+"/"+id, ":loadbalancer/"+lbID, 1)
		v, err := a.elbResource(ctx, lbARN, "loadbalancer", lbID)
		if v.left == nil {
			return verdict{gone: "its load balancer is " + v.gone}, err
		}
		return left(Leftover{Kind: typ, ID: arn, Detail: "deleted with its load balancer " + lbARN}), nil
	}
	return verdict{}, errUnknownType
}

// eksResource confirms an EKS hit by its cluster: node groups, add-ons and
// access entries cannot outlive it. The cluster's name leads the ARN's ID
// (cluster/NAME, nodegroup/NAME/GROUP/UUID, addon/NAME/ADDON/UUID, ...).
// A cluster or node group EKS is deleting is pending.
func (a *auditor) eksResource(ctx context.Context, arn, typ, id string) (verdict, error) {
	cluster, rest, _ := strings.Cut(id, "/")
	out, err := a.c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if notFound(err, "ResourceNotFoundException") {
		return verdict{gone: "its cluster " + cluster + " is deleted"}, nil
	}
	if err != nil {
		return verdict{}, err
	}
	const deleting = "EKS is deleting it (about ten minutes)"
	switch typ {
	case "cluster":
		l := Leftover{
			Kind:   "EKS cluster",
			ID:     cluster,
			Detail: string(out.Cluster.Status),
			Delete: a.cmd("eks", "delete-cluster", "--name", cluster),
		}
		if out.Cluster.Status == ekstypes.ClusterStatusDeleting {
			return inProgress(l, deleting), nil
		}
		return left(l), nil
	case "nodegroup":
		group, _, _ := strings.Cut(rest, "/")
		ng, err := a.c.EKS.DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(cluster), NodegroupName: aws.String(group)})
		if notFound(err, "ResourceNotFoundException") {
			return verdict{gone: "deleted"}, nil
		}
		if err != nil {
			return verdict{}, err
		}
		l := Leftover{
			Kind:   "EKS node group",
			ID:     cluster + "/" + group,
			Detail: string(ng.Nodegroup.Status),
			Delete: a.cmd("eks", "delete-nodegroup", "--cluster-name", cluster, "--nodegroup-name", group),
		}
		if ng.Nodegroup.Status == ekstypes.NodegroupStatusDeleting {
			return inProgress(l, deleting), nil
		}
		return left(l), nil
	}
	return left(Leftover{Kind: "EKS " + typ, ID: arn, Detail: "deleted with its cluster " + cluster}), nil
}

// kmsKey confirms a KMS key. A key cannot be deleted at once: deletion is
// scheduled 7 to 30 days ahead, and a key pending deletion bills nothing
// (AWS KMS pricing) and cannot be used, so it is pending, not a leftover.
func (a *auditor) kmsKey(ctx context.Context, arn string) (verdict, error) {
	out, err := a.c.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)})
	if notFound(err, "NotFoundException") {
		return verdict{gone: "deleted"}, nil
	}
	if err != nil {
		return verdict{}, err
	}
	k := out.KeyMetadata
	l := Leftover{
		Kind:   "KMS key",
		ID:     arn,
		Detail: join(string(k.KeyState), aws.ToString(k.Description)),
		Delete: a.cmd("kms", "schedule-key-deletion", "--key-id", arn, "--pending-window-in-days", "7"),
	}
	switch k.KeyState {
	case kmstypes.KeyStatePendingDeletion, kmstypes.KeyStatePendingReplicaDeletion:
		when := "once its replicas are deleted"
		if k.DeletionDate != nil {
			when = "on " + k.DeletionDate.UTC().Format("2006-01-02 15:04 MST")
		}
		return inProgress(l, "KMS deletes it "+when+" and bills nothing until then"), nil
	}
	return left(l), nil
}
