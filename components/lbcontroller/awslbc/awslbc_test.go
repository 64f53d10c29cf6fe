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
	v := HelmValues("myeks", "ap-northeast-2", "vpc-0abc", trust.IRSA, "arn:aws:iam::123456789012:role/lbc", map[string]string{"stack": "dev"}, false)
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
	if pod := HelmValues("myeks", "ap-northeast-2", "vpc-0abc", trust.PodIdentity, "arn:aws:iam::123456789012:role/lbc", nil, false); pod["serviceAccount"] != nil {
		t.Errorf("Pod Identity: serviceAccount values %v, want none", pod["serviceAccount"])
	}
}

// Every value the program sets is recorded in ValuePaths, in every mode, and
// every recorded key is set: a new value must be checked against the chart
// and recorded.
func TestValuePathsAreRecorded(t *testing.T) {
	var sets []map[string]any
	for _, mode := range trust.Modes {
		for _, gatewayAPI := range []bool{false, true} {
			sets = append(sets, HelmValues("myeks", "ap-northeast-2", "vpc-0abc", mode, "arn:aws:iam::1:role/r", map[string]string{"stack": "dev"}, gatewayAPI))
		}
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

// With Gateway API the controller's pods carry its version, so installing it
// rolls them (the controller detects the CRDs only at start); without it,
// no such annotation, so a lab without Gateways is not restarted.
func TestHelmValuesRollThePodsWithGatewayAPI(t *testing.T) {
	for _, mode := range trust.Modes {
		on := HelmValues("myeks", "ap-northeast-2", "vpc-0abc", mode, "arn:aws:iam::1:role/r", nil, true)["podAnnotations"].(map[string]any)
		if on[GatewayAPIAnnotation] != "v1.6.0" || on[trust.ModeAnnotation] != string(mode) {
			t.Errorf("%s with Gateway API: podAnnotations %v, want %s=v1.6.0 beside the mode", mode, on, GatewayAPIAnnotation)
		}
		off := HelmValues("myeks", "ap-northeast-2", "vpc-0abc", mode, "arn:aws:iam::1:role/r", nil, false)["podAnnotations"].(map[string]any)
		if _, ok := off[GatewayAPIAnnotation]; ok {
			t.Errorf("%s without Gateway API: podAnnotations %v", mode, off)
		}
	}
}

// The vendored Gateway API file is the standard-install.yaml of
// versions.GatewayAPI. The release workflow builds the asset with
// hack/build-install-yaml.sh (RELEASE.md, "make build-install-yaml"; the tag's
// .github/workflows/verify-release-artifacts.yml diffs the published asset
// against that build): the boilerplate, a channel header, then each
// config/crd/standard/gateway*.yaml in glob order behind a "---" and a comment
// naming it. Rebuilt from the tag's commit (89b3b0c3, kubernetes-sigs/gateway-api)
// it has the SHA-256 below; each piece's is that of the tag's file
// (git show v1.6.0:config/crd/standard/FILE | sha256sum). With internet:
//
//	curl -sL https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.0/standard-install.yaml | sha256sum
func TestGatewayAPIIsTheReleaseFile(t *testing.T) {
	if versions.GatewayAPI != "v1.6.0" || versions.GatewayAPICommit != "89b3b0c3fa63f9342f43ba0fb2cf93d6aab53af7" {
		t.Fatalf("versions.GatewayAPI %s (%s): the pinned digests are v1.6.0's", versions.GatewayAPI, versions.GatewayAPICommit)
	}
	text, err := CRDs(GatewayAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256([]byte(text))); got != "a557172e8348f758479e9ee4000bbbb4b4aa48302a6b73461823ea5349bad56d" || len(text) != 1170953 {
		t.Errorf("%s: SHA-256 %s, %d bytes; the release's is a557172e..., 1170953 bytes", GatewayAPIFile, got, len(text))
	}
	pieces := map[string]string{
		"gateway.networking.k8s.io_backendtlspolicies.yaml": "05dd20abea3eb1b5108b9a842a8482d5099db24bd9047bfd3965c7f27a047db7",
		"gateway.networking.k8s.io_gatewayclasses.yaml":     "a09b320e69257056e34f268160f883e98d4da9b8786fff3463484ba5fda719df",
		"gateway.networking.k8s.io_gateways.yaml":           "7dcaf56db92b197207bc149f049c1be0208bedc8608a56905900d3bfc71b8632",
		"gateway.networking.k8s.io_grpcroutes.yaml":         "a97b717e425979726039c813f308f8ab9686e5478ee5072eec5f94ec61db3bf5",
		"gateway.networking.k8s.io_httproutes.yaml":         "8c05f321e53b5df6aa4bdbf622a01db9c331f26d7b9723b0fc47001c1341858a",
		"gateway.networking.k8s.io_listenersets.yaml":       "2dc80892f2bf636bd678e504bca04f52856f21eef2202091ea842ef39b52339f",
		"gateway.networking.k8s.io_referencegrants.yaml":    "37ab52cd8db78fb1fe14140aba96b64f6012a1fb6eb9b98daa321adb57b42f17",
		"gateway.networking.k8s.io_tcproutes.yaml":          "a4659f3e1fd7cdd21c44757d9f0febef930dac4fe5f0430c857d5eb853d6e686",
		"gateway.networking.k8s.io_tlsroutes.yaml":          "b3f7a900cb767b7be07fec6d277afe43a9b1db36053fef95beacccb1190fa6ca",
		"gateway.networking.k8s.io_udproutes.yaml":          "33250d34719f05cd1791e5ea2f36d2c8323f6828c204643c53734df41d3d6e1b",
		"gateway.networking.k8s.io_vap_safeupgrades.yaml":   "f3c4889dc8ad81a76b3c99b43462d492c8396de7c1387dbfb818edaf24841261",
	}
	parts := regexp.MustCompile(`(?m)^---\n#\n# config/crd/standard/(\S+)\n#\n`).Split(text, -1)
	names := regexp.MustCompile(`(?m)^---\n#\n# config/crd/standard/(\S+)\n#\n`).FindAllStringSubmatch(text, -1)
	if len(names) != len(pieces) {
		t.Fatalf("%s has %d pieces, the tag's channel %d", GatewayAPIFile, len(names), len(pieces))
	}
	if !strings.HasPrefix(parts[0], "# Copyright The Kubernetes Authors.\n") || !strings.HasSuffix(parts[0], "#\n# Gateway API Standard channel install\n#\n") {
		t.Errorf("header %q is not the boilerplate and the channel's title", parts[0])
	}
	for i, m := range names {
		if got := fmt.Sprintf("%x", sha256.Sum256([]byte(parts[i+1]))); got != pieces[m[1]] {
			t.Errorf("%s: config/crd/standard/%s has SHA-256 %s, the tag's %s", GatewayAPIFile, m[1], got, pieces[m[1]])
		}
	}
}
