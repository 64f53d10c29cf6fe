package awslbc

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/components/internal/chartvalues"
	"github.com/eks-study/lab/internal/versions"
)

type statement struct {
	Effect    string
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = e.(string)
		}
		return out
	}
	return nil
}

func parsePolicy(t *testing.T) []statement {
	t.Helper()
	var doc struct {
		Version   string
		Statement []statement
	}
	if err := json.Unmarshal([]byte(PolicyDocument()), &doc); err != nil {
		t.Fatalf("embedded policy is not JSON: %v", err)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) == 0 {
		t.Fatalf("policy version %q with %d statements", doc.Version, len(doc.Statement))
	}
	return doc.Statement
}

// statementsWith returns the Allow statements that grant action.
func statementsWith(stmts []statement, action string) []statement {
	var out []statement
	for _, s := range stmts {
		if s.Effect == "Allow" && slices.Contains(strs(s.Action), action) {
			out = append(out, s)
		}
	}
	return out
}

func TestPolicyFileIsTheEmbeddedOneForTheAppVersion(t *testing.T) {
	m := regexp.MustCompile(`^iam_policy_(v\d+\.\d+\.\d+)\.json$`).FindStringSubmatch(PolicyFile)
	if m == nil || m[1] != versions.LBController {
		t.Fatalf("policy file %q does not carry app version %s", PolicyFile, versions.LBController)
	}
	onDisk, err := os.ReadFile(PolicyFile)
	if err != nil {
		t.Fatalf("policy file for %s: %v", versions.LBController, err)
	}
	if string(onDisk) != PolicyDocument() {
		t.Fatalf("embedded policy is not %s", PolicyFile)
	}
	files, _ := os.ReadDir(".")
	for _, f := range files {
		if strings.HasPrefix(f.Name(), "iam_policy_") && f.Name() != PolicyFile {
			t.Errorf("stale policy file %s next to %s", f.Name(), PolicyFile)
		}
	}
}

func TestChartVersionMatchesAppVersion(t *testing.T) {
	// Since 3.0.0 eks-charts releases chart X.Y.Z with controller vX.Y.Z
	// (before, chart 1.X.Y shipped v2.X.Y).
	if "v"+versions.LBControllerChart != versions.LBController {
		t.Fatalf("chart %s does not ship controller %s", versions.LBControllerChart, versions.LBController)
	}
}

func TestPolicyGrantsWhatTheControllerCalls(t *testing.T) {
	stmts := parsePolicy(t)
	for _, action := range []string{
		"elasticloadbalancing:CreateLoadBalancer",
		"elasticloadbalancing:CreateTargetGroup",
		"elasticloadbalancing:DeleteLoadBalancer",
		"elasticloadbalancing:RegisterTargets",
		"ec2:CreateSecurityGroup",
		"ec2:DeleteSecurityGroup",
		"ec2:DescribeSubnets",
		"wafv2:AssociateWebACL",
		"wafv2:GetWebACLForResource",
		"shield:GetSubscriptionState",
		"shield:CreateProtection",
		"acm:DescribeCertificate",
		"iam:CreateServiceLinkedRole",
	} {
		if len(statementsWith(stmts, action)) == 0 {
			t.Errorf("policy does not allow %s", action)
		}
	}
}

func TestCreateLoadBalancerRequiresTheClusterTag(t *testing.T) {
	for _, s := range statementsWith(parsePolicy(t), "elasticloadbalancing:CreateLoadBalancer") {
		if s.Condition["Null"]["aws:RequestTag/elbv2.k8s.aws/cluster"] != "false" {
			t.Errorf("CreateLoadBalancer allowed without the elbv2.k8s.aws/cluster request tag: %+v", s.Condition)
		}
	}
}

func TestAddTagsIsConditioned(t *testing.T) {
	stmts := statementsWith(parsePolicy(t), "elasticloadbalancing:AddTags")
	if len(stmts) == 0 {
		t.Fatal("no statement allows elasticloadbalancing:AddTags")
	}
	var onCreate bool
	for _, s := range stmts {
		for _, r := range strs(s.Resource) {
			if r == "*" {
				t.Errorf("AddTags allowed on every resource: %+v", s)
			}
		}
		if eq, ok := s.Condition["StringEquals"]["elasticloadbalancing:CreateAction"]; ok {
			onCreate = slices.Contains(strs(eq), "CreateLoadBalancer") && slices.Contains(strs(eq), "CreateTargetGroup")
		}
	}
	if !onCreate {
		t.Error("AddTags is not allowed while creating load balancers and target groups (elasticloadbalancing:CreateAction)")
	}
}

func TestHelmValues(t *testing.T) {
	v := HelmValues("myeks", "ap-northeast-2", "vpc-0abc", trust.IRSA, "arn:aws:iam::123456789012:role/lbc", map[string]string{"stack": "dev"})
	if tags, _ := v["defaultTags"].(map[string]any); tags["stack"] != "dev" {
		t.Errorf("defaultTags = %v: the controller's load balancers would not carry the lab's tags", v["defaultTags"])
	}
	for key, want := range map[string]any{"clusterName": "myeks", "region": "ap-northeast-2", "vpcId": "vpc-0abc", "keepTLSSecret": true} {
		if v[key] != want {
			t.Errorf("values[%s] = %v, want %v", key, v[key], want)
		}
	}
	sa := v["serviceAccount"].(map[string]any)
	if got := sa["annotations"].(map[string]any)["eks.amazonaws.com/role-arn"]; got != "arn:aws:iam::123456789012:role/lbc" {
		t.Errorf("role-arn annotation = %v", got)
	}
	if pod := HelmValues("myeks", "ap-northeast-2", "vpc-0abc", trust.PodIdentity, "arn:aws:iam::123456789012:role/lbc", nil); pod["serviceAccount"] != nil {
		t.Errorf("Pod Identity: serviceAccount values %v, want none", pod["serviceAccount"])
	}
}

// Every value the program sets is recorded in ValuePaths, in every mode, and
// every recorded key is set: a new value must be checked against the chart
// and recorded.
func TestValuePathsAreRecorded(t *testing.T) {
	var sets []map[string]any
	for _, mode := range trust.Modes {
		sets = append(sets, HelmValues("myeks", "ap-northeast-2", "vpc-0abc", mode, "arn:aws:iam::1:role/r", map[string]string{"stack": "dev"}))
	}
	if err := chartvalues.Check(ValuePaths, sets...); err != nil {
		t.Error(err)
	}
}

// The vendored CRDs are the chart's crds/ at versions.LBControllerCommit, byte for byte. The
// digests were read from the tag:
//
//	git show 11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4:helm/aws-load-balancer-controller/crds/FILE | sha256sum
//
// in a clone of kubernetes-sigs/aws-load-balancer-controller (git blobs
// f41daf7 crds.yaml, 10cf4f0 gateway-crds.yaml). A new versions.LBController needs the
// new tag's files and digests.
func TestCRDsAreTheTaggedChartsFiles(t *testing.T) {
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(versions.LBControllerCommit) || versions.LBController != "v3.5.0" {
		t.Fatalf("versions.LBControllerCommit %q, versions.LBController %s: the pinned digests are those of v3.5.0's commit", versions.LBControllerCommit, versions.LBController)
	}
	want := map[string]string{
		"crds.yaml":         "cb00e9a8ee22cc51307bbed799faff306ab4d23a9fd201d26fcd53ab035777d9",
		"gateway-crds.yaml": "fce68bbfc74b4ed7dbea675f46981cbef1fffc8981cf19c0c1e7a2e9d6464862",
	}
	if len(CRDFiles) != len(want) {
		t.Fatalf("CRDFiles %v, pinned %v", CRDFiles, want)
	}
	for _, f := range CRDFiles {
		text, err := CRDs(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256([]byte(text))); got != want[f] {
			t.Errorf("crds/%s has SHA-256 %s, the tag's file %s", f, got, want[f])
		}
	}
}
