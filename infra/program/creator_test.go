package program

import (
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/internal/config"
)

// account answers the three lookups clusterCreator makes, as AWS would for
// one caller and the clusters of one account.
type account struct {
	caller   string
	clusters map[string]map[string]any // name -> tags
}

func (a account) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return args.Name + "-id", args.Inputs, nil
}

func (a account) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{"arn": a.caller, "accountId": "123456789012", "id": "123456789012", "userId": "AROA:x"}), nil
	case "aws:eks/getClusters:getClusters":
		var names []any
		for n := range a.clusters {
			names = append(names, n)
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "id": "r"}), nil
	case "aws:eks/getCluster:getCluster":
		name := args.Args["name"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{"name": name, "tags": a.clusters[name], "id": name}), nil
	}
	return nil, nil
}

// The creator is the caller for a new cluster, and what the cluster's tag
// says for an existing one, whoever runs: a member creates the lab, the CI
// role updates it, and the CI role's entry must stay.
func TestClusterCreator(t *testing.T) {
	const (
		member    = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/member"
		memberArn = "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123"
		ci        = "arn:aws:sts::123456789012:assumed-role/github-ci/GitHubActions"
	)
	cfg, err := config.Load("eks-lab", "dev", config.MapSource(map[string]string{"eks-lab:sshCidr": "203.0.113.7/32"}, nil), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		acct account
		want string
	}{
		{"new cluster", account{caller: member}, memberArn},
		{"new cluster, another stack's cluster exists", account{caller: member, clusters: map[string]map[string]any{"other": {}}}, memberArn},
		{"the member's cluster, updated by CI", account{caller: ci, clusters: map[string]map[string]any{"myeks": {cluster.CreatorTag: memberArn}}}, memberArn},
		{"a cluster from before the tag", account{caller: ci, clusters: map[string]map[string]any{"myeks": {"project": "eks-lab"}}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				var err error
				got, err = clusterCreator(ctx, cfg)
				return err
			}, pulumi.WithMocks("eks-lab", "dev", tc.acct))
			if err != nil || got != tc.want {
				t.Errorf("creator %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}
