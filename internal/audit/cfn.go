package audit

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// The tags eksctl puts on every CloudFormation stack it makes for a cluster
// (eksctl v0.228.0, the bastion's: pkg/apis/eksctl.io/v1alpha5/types.go
// ClusterNameTag, OldClusterNameTag; pkg/cfn/manager/api.go sharedTags).
const (
	EksctlClusterTag    = "alpha.eksctl.io/cluster-name"
	eksctlOldClusterTag = "eksctl.cluster.k8s.io/v1alpha1/cluster-name"
)

// eksctlStacks finds the CloudFormation stacks eksctl on the bastion made
// for the lab's cluster (`eksctl create iamserviceaccount | nodegroup |
// addon | podidentityassociation`: eksctl-<cluster>-addon-iamserviceaccount-*,
// eksctl-<cluster>-nodegroup-*, eksctl-<cluster>-addon-*). They hold IAM
// roles and node instances that pulumi destroy does not know. Only this
// region's stacks with the lab's cluster name count, and none when
// eksctl-<cluster>-cluster exists: then eksctl made a cluster of that name,
// and the stacks are that cluster's (the lab's cluster is Pulumi's).
func (a *auditor) eksctlStacks(ctx context.Context) ([]Leftover, error) {
	var stacks []cfntypes.Stack
	eksctlCluster := false
	p := cloudformation.NewDescribeStacksPaginator(a.c.CloudFormation, &cloudformation.DescribeStacksInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Stacks {
			tags := tagMap(s.Tags, func(t cfntypes.Tag) (*string, *string) { return t.Key, t.Value })
			if tags[EksctlClusterTag] != a.o.ClusterName && tags[eksctlOldClusterTag] != a.o.ClusterName {
				continue
			}
			switch stack := a.taggedStack(tags); {
			case aws.ToString(s.StackName) == "eksctl-"+a.o.ClusterName+"-cluster":
				eksctlCluster = true
			case stack == "" || stack == a.o.Stack:
				stacks = append(stacks, s)
			}
		}
	}
	switch {
	case eksctlCluster:
		a.rep.NotApplicable = append(a.rep.NotApplicable, "CloudFormation stacks of eksctl: eksctl-"+a.o.ClusterName+
			"-cluster exists, so eksctl made a cluster of that name and its stacks are that cluster's")
		return nil, nil
	case a.foreignCluster != "":
		return nil, nil
	}
	var out []Leftover
	for _, s := range stacks {
		l := a.stackLeftover(s)
		switch s.StackStatus {
		case cfntypes.StackStatusDeleteInProgress:
			a.pending(l, "CloudFormation is deleting it (if that fails, the next audit lists it as DELETE_FAILED)")
		case cfntypes.StackStatusDeleteFailed:
			l.Detail = join(l.Detail, "its last delete failed, see why: "+
				a.cmd("cloudformation", "describe-stack-events", "--stack-name", aws.ToString(s.StackName), "--max-items", "10"))
			out = append(out, l)
		default:
			out = append(out, l)
		}
	}
	return a.byClusterName(out)
}

// stackLeftover deletes a stack as eksctl does (pkg/cfn/manager/api.go
// DeleteStackBySpec): eksctl creates its stacks with termination
// protection, which must be turned off first; then waits for the delete.
func (a *auditor) stackLeftover(s cfntypes.Stack) Leftover {
	name := aws.ToString(s.StackName)
	return Leftover{
		Kind:   "CloudFormation stack",
		ID:     aws.ToString(s.StackId),
		Detail: join(name+", "+string(s.StackStatus), "made by eksctl "+strings.TrimPrefix(name, "eksctl-"+a.o.ClusterName+"-")),
		Delete: strings.Join([]string{
			a.cmd("cloudformation", "update-termination-protection", "--no-enable-termination-protection", "--stack-name", name),
			a.cmd("cloudformation", "delete-stack", "--stack-name", name),
			a.cmd("cloudformation", "wait stack-delete-complete", "--stack-name", name),
		}, " && "),
	}
}
