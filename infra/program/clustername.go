package program

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/infra/config"
)

// checkClusterName refuses, before anything is registered, a cluster name
// that is already another's in the account and region: EKS cluster names
// and the control plane's log group (/aws/eks/<name>/cluster) are unique
// there, so two stacks with one name (dev and pod-identity both default to
// myeks in ap-northeast-2), or a member's earlier eksctl cluster, would fail
// `pulumi up` half-way, after the VPC and the bastion are created. Whose a
// cluster or log group is, the lab's tags say (Tags: project, stack).
//
// existing is the cluster of that name (lookupCluster), nil when there is
// none. This stack's own cluster and log group pass: a second `pulumi up`
// finds them. A cluster without the lab's tags may be a lab's from before
// the program tagged it, so it passes with a warning, unless eksctl or
// CloudFormation made it. Without a cluster, a log group of the name must be
// this stack's (created by an earlier `pulumi up` that stopped before the
// cluster): EKS keeps an untagged one after its cluster is deleted.
func checkClusterName(ctx *pulumi.Context, cfg *config.Config, existing *awseks.LookupClusterResult, opts ...pulumi.InvokeOption) error {
	rename := fmt.Sprintf("set a cluster name no other lab in the account and region uses: pulumi config set clusterName %s-%s",
		cfg.ClusterName, cfg.Stack)
	taken := func(what, why string) error {
		return fmt.Errorf("%s:clusterName = %q: %s in %s %s; %s", config.Namespace, cfg.ClusterName, what, cfg.Region, why, rename)
	}
	if existing != nil {
		switch owner := labOwner(cfg, existing.Tags); {
		case owner == "":
			return nil
		case owner != unknownOwner:
			return taken("EKS cluster "+cfg.ClusterName, "belongs to "+owner)
		case madeByAnotherTool(existing.Tags):
			return taken("EKS cluster "+cfg.ClusterName, "was made by eksctl or CloudFormation, not by this lab")
		}
		return ctx.Log.Warn(fmt.Sprintf("EKS cluster %s in %s has none of the lab's tags (project, stack): a lab's cluster from before "+
			"they were set, or another tool's; if it is not stack %s's, `pulumi up` fails when it creates the cluster: %s",
			cfg.ClusterName, cfg.Region, cfg.Stack, rename), nil)
	}
	name := cluster.LogGroupName(cfg.ClusterName)
	groups, err := cloudwatch.GetLogGroups(ctx, &cloudwatch.GetLogGroupsArgs{LogGroupNamePrefix: &name}, opts...)
	if err != nil {
		return fmt.Errorf("log groups of %s: %w", cfg.Region, err)
	}
	if !slices.Contains(groups.LogGroupNames, name) {
		return nil
	}
	group, err := cloudwatch.LookupLogGroup(ctx, &cloudwatch.LookupLogGroupArgs{Name: name}, opts...)
	if err != nil {
		return fmt.Errorf("log group %s: %w", name, err)
	}
	switch owner := labOwner(cfg, group.Tags); owner {
	case "":
		return nil
	case unknownOwner:
		return taken("log group "+name, fmt.Sprintf("is left from an earlier cluster of that name (EKS keeps it after the cluster): "+
			"delete it with aws logs delete-log-group --log-group-name %s --region %s, or", name, cfg.Region))
	default:
		return taken("log group "+name, "belongs to "+owner)
	}
}

// unknownOwner is labOwner's answer for tags that name no lab.
const unknownOwner = "no lab"

// labOwner says whose a resource is by the lab's tags: "" for this stack,
// "stack S of project P" for another lab's, unknownOwner without them.
func labOwner(cfg *config.Config, tags map[string]string) string {
	project, stack := tags["project"], tags["stack"]
	switch {
	case project == cfg.Project && stack == cfg.Stack:
		return ""
	case project == "" && stack == "":
		return unknownOwner
	}
	return fmt.Sprintf("stack %q of project %q", stack, project)
}

// madeByAnotherTool tells a cluster eksctl made (the study's baseline, which
// also names its cluster myeks): eksctl tags it alpha.eksctl.io/cluster-name
// and creates it through a CloudFormation stack, which adds aws:cloudformation:*.
func madeByAnotherTool(tags map[string]string) bool {
	for k := range tags {
		if strings.HasPrefix(k, "aws:cloudformation:") || strings.Contains(k, "eksctl.") {
			return true
		}
	}
	return false
}
