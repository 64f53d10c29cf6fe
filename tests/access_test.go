package tests

import (
	"slices"
	"testing"

	"github.com/eks-study/lab/components/cluster"
	"github.com/eks-study/lab/internal/offline"
)

// The role the mock caller (offline.CallerArn) assumed, with the path its
// session ARN drops.
const callerRole = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef"

// pulumi-eks makes whoever creates the cluster an admin, and EKS takes one
// access entry per principal: listing the creator's role among the admins
// (the docs' advice for a CI role) must not give it a second entry, which
// would fail the cluster's creation with ResourceInUseException.
func TestTheCreatorGetsNoSecondAccessEntry(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, map[string]string{
		"eks-lab:adminRoleArns": `["` + callerRole + `","arn:aws:iam::123456789012:role/github-ci"]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	var principals []string
	for _, e := range p.OfType(tAccessEntry) {
		principals = append(principals, str(e.Inputs, "principalArn"))
	}
	slices.Sort(principals)
	expectEqual(t, "access entries", principals, []string{"arn:aws:iam::123456789012:role/bastion", "arn:aws:iam::123456789012:role/github-ci"})
	// Later runs, maybe by the CI role, read the creator back from the cluster.
	tags, _ := offline.Get(must(t, p, tEksCluster, "myeks").Inputs, "clusterTags").(map[string]any)
	expectEqual(t, "creator tag", tags[cluster.CreatorTag], "arn:aws:iam::123456789012:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef")
}

// Access entries were children of the pulumi-eks component, named by list
// position; now the lab creates them, named by role. Each must answer to the
// URN pulumi-eks v3.9.1 gave it (createAccessEntries in
// nodejs/eks/cluster/authenticationMode.ts: "<cluster>-<key>" under the
// component, "<cluster>-<key>-<policy key>" under the entry), or a live lab's
// entries would be replaced, which fails: EKS takes one entry per principal.
func TestAccessEntriesAnswerToThePulumiEksURNs(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, map[string]string{
		"eks-lab:adminRoleArns": `["arn:aws:iam::123456789012:role/github-ci","arn:aws:iam::123456789012:role/teammate"]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	const under = "urn:pulumi:dev::eks-lab::eks-lab:cluster:Cluster$eks:index:Cluster$aws:eks/accessEntry:AccessEntry"
	for name, old := range map[string]string{
		"myeks-bastion":         "myeks-bastion",
		"myeks-admin-github-ci": "myeks-admin-0",
		"myeks-admin-teammate":  "myeks-admin-1",
	} {
		entry := must(t, p, tAccessEntry, name)
		expectEqual(t, name+" aliases", entry.Aliases, []string{under + "::" + old})
		association := must(t, p, tAccessPolicy, name+"-cluster-admin")
		expectEqual(t, name+" association aliases", association.Aliases,
			[]string{under + "$aws:eks/accessPolicyAssociation:AccessPolicyAssociation::" + old + "-cluster-admin"})
	}
}

// On destroy the Kubernetes objects (and the cleanup before them) go while
// every admin still has access: the provider depends on the associations.
func TestKubernetesProviderOutlivesNoAdmin(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "dev")
	provider := must(t, p, tK8sProv, "k8s")
	association := must(t, p, tAccessPolicy, "myeks-bastion-cluster-admin")
	if !slices.Contains(provider.Dependencies, association.URN) {
		t.Errorf("the kubernetes provider does not depend on %s (deps %v)", association.URN, provider.Dependencies)
	}
}
