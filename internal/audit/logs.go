package audit

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// logGroupARN returns the ARN of the log group called name, or "" when there
// is none.
func (a *auditor) logGroupARN(ctx context.Context, name string) (string, error) {
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(a.c.Logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, g := range page.LogGroups {
			if aws.ToString(g.LogGroupName) == name {
				return strings.TrimSuffix(aws.ToString(g.Arn), ":*"), nil
			}
		}
	}
	return "", nil
}

func (a *auditor) logGroupLeftover(name, detail string) *Leftover {
	return &Leftover{Kind: "log group", ID: name, Detail: detail, Delete: a.cmd("logs", "delete-log-group", "--log-group-name", name)}
}

// logGroup finds the cluster's control-plane log group by the name EKS gives
// it. EKS creates it when control-plane logging is on and never deletes it;
// the lab creates it first so that destroy removes it, but a cluster created
// or torn down another way leaves it, storing and billing its logs. Tagged
// with another stack it is that lab's; untagged, it is the live cluster's
// of that name when that cluster is not this stack's.
func (a *auditor) logGroup(ctx context.Context) ([]Leftover, error) {
	name := "/aws/eks/" + a.o.ClusterName + "/cluster"
	arn, err := a.logGroupARN(ctx, name)
	if err != nil || arn == "" {
		return nil, err
	}
	out, err := a.c.Logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	switch stack := a.taggedStack(out.Tags); {
	case stack == a.o.Stack:
	case stack != "", a.foreignCluster != "":
		return nil, nil
	case a.clusterErr != nil:
		return a.byClusterName(nil)
	}
	return []Leftover{*a.logGroupLeftover(name, "the control-plane logs of cluster "+a.o.ClusterName)}, nil
}

// logGroupResource confirms a tagging API hit of a log group.
func (a *auditor) logGroupResource(ctx context.Context, name string) (verdict, error) {
	arn, err := a.logGroupARN(ctx, name)
	if err != nil || arn == "" {
		return verdict{gone: "deleted"}, err
	}
	return left(*a.logGroupLeftover(name, "")), nil
}
