package trust

import (
	"encoding/json"
	"slices"
	"testing"
)

const (
	providerArn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.ap-northeast-2.amazonaws.com/id/ABC123"
	issuer      = "https://oidc.eks.ap-northeast-2.amazonaws.com/id/ABC123"
	host        = "oidc.eks.ap-northeast-2.amazonaws.com/id/ABC123"
)

type trustDoc struct {
	Version   string
	Statement []struct {
		Effect    string
		Principal map[string]string
		Action    any
		Condition map[string]map[string]string
	}
}

func parse(t *testing.T, raw string) trustDoc {
	t.Helper()
	var doc trustDoc
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) != 1 || doc.Statement[0].Effect != "Allow" {
		t.Fatalf("unexpected document: %s", raw)
	}
	return doc
}

func TestIRSATrustPolicyBindsOneServiceAccount(t *testing.T) {
	raw, err := IRSATrustPolicy(providerArn, issuer, "kube-system", "aws-load-balancer-controller")
	if err != nil {
		t.Fatal(err)
	}
	st := parse(t, raw).Statement[0]
	if st.Action != "sts:AssumeRoleWithWebIdentity" {
		t.Errorf("action = %v", st.Action)
	}
	if st.Principal["Federated"] != providerArn || len(st.Principal) != 1 {
		t.Errorf("principal = %v, want only the OIDC provider", st.Principal)
	}
	eq := st.Condition["StringEquals"]
	if got := eq[host+":sub"]; got != "system:serviceaccount:kube-system:aws-load-balancer-controller" {
		t.Errorf("sub condition = %q", got)
	}
	if got := eq[host+":aud"]; got != "sts.amazonaws.com" {
		t.Errorf("aud condition = %q", got)
	}
	if len(st.Condition) != 1 || len(eq) != 2 {
		t.Errorf("conditions must be exactly StringEquals on sub and aud (no wildcards): %v", st.Condition)
	}
}

func TestIRSATrustPolicyIssuerWithoutScheme(t *testing.T) {
	a, _ := IRSATrustPolicy(providerArn, issuer, "ns", "sa")
	b, _ := IRSATrustPolicy(providerArn, host, "ns", "sa")
	if a != b {
		t.Errorf("https:// prefix changes the policy:\n%s\n%s", a, b)
	}
}

func TestIRSATrustPolicyRejectsNonOIDCPrincipal(t *testing.T) {
	if _, err := IRSATrustPolicy("arn:aws:iam::123456789012:role/x", issuer, "ns", "sa"); err == nil {
		t.Error("a role ARN is not an OIDC provider")
	}
}

// The EKS user guide's trust policy for Pod Identity (pod-id-role), scoped by
// the session tags EKS sends: no OIDC provider, no web identity.
func TestPodIdentityTrustPolicyIsTheServiceScopedToOneServiceAccount(t *testing.T) {
	raw, err := PodIdentityTrustPolicy("myeks", "kube-system", "external-dns")
	if err != nil {
		t.Fatal(err)
	}
	st := parse(t, raw).Statement[0]
	if st.Principal["Service"] != "pods.eks.amazonaws.com" || len(st.Principal) != 1 {
		t.Errorf("principal = %v, want only the pods.eks.amazonaws.com service", st.Principal)
	}
	actions, _ := st.Action.([]any)
	if !slices.Equal(actions, []any{"sts:AssumeRole", "sts:TagSession"}) {
		t.Errorf("actions = %v, want sts:AssumeRole and sts:TagSession", st.Action)
	}
	want := map[string]string{
		"aws:RequestTag/eks-cluster-name":           "myeks",
		"aws:RequestTag/kubernetes-namespace":       "kube-system",
		"aws:RequestTag/kubernetes-service-account": "external-dns",
	}
	eq := st.Condition["StringEquals"]
	if len(st.Condition) != 1 || len(eq) != len(want) {
		t.Errorf("conditions = %v, want exactly StringEquals on %v", st.Condition, want)
	}
	for k, v := range want {
		if eq[k] != v {
			t.Errorf("%s = %q, want %q", k, eq[k], v)
		}
	}
}

func TestPodIdentityTrustPolicyNeedsEveryScope(t *testing.T) {
	for _, c := range [][3]string{{"", "ns", "sa"}, {"myeks", "", "sa"}, {"myeks", "ns", ""}} {
		if _, err := PodIdentityTrustPolicy(c[0], c[1], c[2]); err == nil {
			t.Errorf("%v: a trust policy without a scope would let any association assume the role", c)
		}
	}
}

func TestServiceAccountValues(t *testing.T) {
	irsa := ServiceAccountValues(IRSA, "arn:aws:iam::1:role/r")
	if a, _ := irsa["annotations"].(map[string]any); len(irsa) != 1 || len(a) != 1 || a[RoleArnAnnotation] != "arn:aws:iam::1:role/r" {
		t.Errorf("IRSA service account values = %v, want only the %s annotation", irsa, RoleArnAnnotation)
	}
	if pod := ServiceAccountValues(PodIdentity, "arn:aws:iam::1:role/r"); pod != nil {
		t.Errorf("Pod Identity needs no service account values, got %v", pod)
	}
}
