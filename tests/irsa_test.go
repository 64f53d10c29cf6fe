package tests

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/eks-study/lab/components/externaldns"
	"github.com/eks-study/lab/components/lbcontroller"
)

// Each IRSA role trusts only the cluster's OIDC provider, only for its own
// service account, and only for tokens minted for STS; the Helm release
// annotates exactly that service account with the role.
func TestIRSATrustInEveryStack(t *testing.T) {
	for _, stack := range []string{"dev", "private-nat"} {
		p := stackPlan(t, stack)
		region := str(must(t, p, tAwsProv, "aws").Inputs, "region")
		issuer := fmt.Sprintf("oidc.eks.%s.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", region)
		want := map[string]string{
			"aws-load-balancer-controller-irsa": "system:serviceaccount:" + lbcontroller.Namespace + ":" + lbcontroller.ServiceAccount,
		}
		if stack == "private-nat" {
			want["external-dns-irsa"] = "system:serviceaccount:" + externaldns.Namespace + ":" + externaldns.ServiceAccount
		}
		for name, subject := range want {
			role := must(t, p, tRole, name)
			var doc struct {
				Statement []struct {
					Effect    string
					Action    string
					Principal struct{ Federated string }
					Condition map[string]map[string]string
				}
			}
			if err := json.Unmarshal([]byte(str(role.Inputs, "assumeRolePolicy")), &doc); err != nil || len(doc.Statement) != 1 {
				t.Fatalf("%s %s: trust policy %q (%v)", stack, name, str(role.Inputs, "assumeRolePolicy"), err)
			}
			st := doc.Statement[0]
			expectEqual(t, stack+" "+name+" action", st.Action, "sts:AssumeRoleWithWebIdentity")
			expectEqual(t, stack+" "+name+" federated", st.Principal.Federated, "arn:aws:iam::123456789012:oidc-provider/"+issuer)
			expectEqual(t, stack+" "+name+" sub", st.Condition["StringEquals"][issuer+":sub"], subject)
			expectEqual(t, stack+" "+name+" aud", st.Condition["StringEquals"][issuer+":aud"], "sts.amazonaws.com")
		}
		if len(p.OfType("eks-lab:irsa:Role")) != len(want) {
			t.Errorf("%s: %d IRSA roles, want %d", stack, len(p.OfType("eks-lab:irsa:Role")), len(want))
		}
	}
}
