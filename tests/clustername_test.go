package tests

import (
	"strings"
	"testing"

	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/components/cluster/iamarn"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

// inAccount runs the dev stack's program in an account that already holds acct.
func inAccount(t *testing.T, acct offline.Account) (*offline.Plan, error) {
	t.Helper()
	cfg, err := offline.LoadStack(root, "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	return mock.RunIn(cfg, acct)
}

// A cluster name another lab or tool holds in the account and region stops
// the run before any resource is registered (`pulumi up` creates each one as
// it is registered), with the fix; the stack's own cluster and log group, on
// its second `pulumi up`, do not.
func TestAClusterNameTakenInTheAccountIsRefusedBeforeAnythingIsCreated(t *testing.T) {
	t.Parallel()
	dev := map[string]string{"project": "eks-lab", "stack": "dev", "owner": "study-member"}
	podIdentity := map[string]string{"project": "eks-lab", "stack": "pod-identity", "owner": "study-member"}
	logGroup := cluster.LogGroupName("myeks")
	for _, tc := range []struct {
		name string
		acct offline.Account
		want []string // in the error; none: the run succeeds
	}{
		{"another stack's cluster", offline.Account{Clusters: map[string]map[string]string{"myeks": podIdentity}},
			[]string{`eks-lab:clusterName = "myeks"`, "EKS cluster myeks in ap-northeast-2", `stack "pod-identity"`, "pulumi config set clusterName myeks-dev"}},
		{"another project's cluster", offline.Account{Clusters: map[string]map[string]string{"myeks": {"project": "other", "stack": "dev"}}},
			[]string{`project "other"`}},
		{"the study's eksctl cluster", offline.Account{Clusters: map[string]map[string]string{"myeks": {
			"alpha.eksctl.io/cluster-name": "myeks", "aws:cloudformation:stack-name": "eksctl-myeks-cluster"}}},
			[]string{"eksctl", "pulumi config set clusterName"}},
		{"another stack's log group", offline.Account{LogGroups: map[string]map[string]string{logGroup: podIdentity}},
			[]string{"log group " + logGroup, `stack "pod-identity"`}},
		{"a log group an earlier cluster left", offline.Account{LogGroups: map[string]map[string]string{logGroup: {}}},
			[]string{"aws logs delete-log-group --log-group-name " + logGroup + " --region ap-northeast-2", "pulumi config set clusterName"}},
		{"this stack's cluster and log group", offline.Account{Clusters: map[string]map[string]string{"myeks": dev}, LogGroups: map[string]map[string]string{logGroup: dev}}, nil},
		{"this stack's log group, its cluster not yet created", offline.Account{LogGroups: map[string]map[string]string{logGroup: dev}}, nil},
		{"a cluster from before the lab's tags", offline.Account{Clusters: map[string]map[string]string{"myeks": {}}}, nil},
		{"other names only", offline.Account{
			Clusters:  map[string]map[string]string{"myeks2": podIdentity},
			LogGroups: map[string]map[string]string{cluster.LogGroupName("myeks2"): podIdentity, logGroup + "-old": {}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := inAccount(t, tc.acct)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				must(t, p, tNodeGroup, "myeks-nodes")
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			for _, r := range p.Resources {
				if !strings.HasPrefix(r.Type, "pulumi:providers:") {
					t.Errorf("%s %s registered before the refusal", r.Type, r.Name)
				}
			}
		})
	}
}

// The creator is the caller for a new cluster and what the cluster's tag
// says for an existing one, whoever runs: a member creates the lab, the CI
// role updates it, and the CI role's entry must stay. A cluster from before
// the tag gets none.
func TestClusterCreatorTag(t *testing.T) {
	t.Parallel()
	const member = "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123"
	dev := func(tags map[string]string) map[string]string {
		tags["project"], tags["stack"] = "eks-lab", "dev"
		return tags
	}
	for _, tc := range []struct {
		name string
		acct offline.Account
		want any
	}{
		{"new cluster", offline.Account{}, iamarn.Principal(offline.CallerArn)},
		{"new cluster, another stack's exists", offline.Account{Clusters: map[string]map[string]string{"other": {}}}, iamarn.Principal(offline.CallerArn)},
		{"the member's cluster, updated by another caller", offline.Account{Clusters: map[string]map[string]string{"myeks": dev(map[string]string{cluster.CreatorTag: member})}}, member},
		{"a cluster from before the tag", offline.Account{Clusters: map[string]map[string]string{"myeks": dev(map[string]string{})}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := inAccount(t, tc.acct)
			if err != nil {
				t.Fatal(err)
			}
			eks := must(t, p, "eks:index:Cluster", "myeks")
			if got := offline.Get(eks.Inputs, "clusterTags."+cluster.CreatorTag); got != tc.want {
				t.Errorf("creator tag %v, want %v", got, tc.want)
			}
		})
	}
}
