package irsa

import (
	"encoding/json"
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
		Principal struct{ Federated string }
		Action    string
		Condition map[string]map[string]string
	}
}

func TestTrustPolicyBindsOneServiceAccount(t *testing.T) {
	raw, err := TrustPolicy(providerArn, issuer, "kube-system", "aws-load-balancer-controller")
	if err != nil {
		t.Fatal(err)
	}
	var doc trustDoc
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, raw)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) != 1 {
		t.Fatalf("unexpected document: %s", raw)
	}
	st := doc.Statement[0]
	if st.Effect != "Allow" || st.Action != "sts:AssumeRoleWithWebIdentity" {
		t.Errorf("effect/action = %s/%s", st.Effect, st.Action)
	}
	if st.Principal.Federated != providerArn {
		t.Errorf("federated principal = %q, want the OIDC provider ARN", st.Principal.Federated)
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

func TestTrustPolicyIssuerWithoutScheme(t *testing.T) {
	a, _ := TrustPolicy(providerArn, issuer, "ns", "sa")
	b, _ := TrustPolicy(providerArn, host, "ns", "sa")
	if a != b {
		t.Errorf("https:// prefix changes the policy:\n%s\n%s", a, b)
	}
}

func TestTrustPolicyRejectsNonOIDCPrincipal(t *testing.T) {
	if _, err := TrustPolicy("arn:aws:iam::123456789012:role/x", issuer, "ns", "sa"); err == nil {
		t.Error("a role ARN is not an OIDC provider")
	}
}
