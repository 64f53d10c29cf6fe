package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/externaldns/extdns"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

const (
	tServiceAccountRole = "eks-lab:identity:ServiceAccountRole"
	tAssociation        = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
)

// controllers are the releases of a stack and their service accounts.
func controllers(p *offline.Plan) map[string]string {
	out := map[string]string{}
	if _, ok := p.Find(tRelease, awslbc.ReleaseName); ok {
		out[awslbc.ReleaseName] = awslbc.Namespace + "/" + awslbc.ServiceAccount
	}
	if _, ok := p.Find(tRelease, extdns.ReleaseName); ok {
		out[extdns.ReleaseName] = extdns.Namespace + "/" + extdns.ServiceAccount
	}
	return out
}

// modeOf is a stack file's workload identity mode, as the program reads it.
func modeOf(t *testing.T, stack string) trust.Mode {
	t.Helper()
	stackCfg, err := offline.LoadStack(root, stack, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stackCfg.LabConfig(offline.Now)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.WorkloadIdentity
}

// Every stack in each mode: one role per controller, trusted only by its
// own service account, and every mode has a stack file (a golden plan).
func TestWorkloadIdentityInEveryStack(t *testing.T) {
	t.Parallel()
	stacks, err := offline.Stacks(root)
	if err != nil {
		t.Fatal(err)
	}
	fileModes := map[trust.Mode]bool{}
	for _, stack := range stacks {
		fileModes[modeOf(t, stack)] = true
		for _, mode := range trust.Modes {
			checkWorkloadIdentity(t, stack, mode, planInMode(t, stack, mode))
		}
	}
	for _, m := range trust.Modes {
		if !fileModes[m] {
			t.Errorf("no stack file uses workloadIdentity %s: the golden plans must cover every mode", m)
		}
	}
}

// planInMode plans a stack file with eks-lab:workloadIdentity set to mode.
func planInMode(t *testing.T, stack string, mode trust.Mode) *offline.Plan {
	t.Helper()
	cfg, err := offline.LoadStack(root, stack, map[string]string{"eks-lab:workloadIdentity": string(mode)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := mock.Run(cfg)
	if err != nil {
		t.Fatalf("stack %s in %s mode: %v", stack, mode, err)
	}
	return p
}

func checkWorkloadIdentity(t *testing.T, stack string, mode trust.Mode, p *offline.Plan) {
	t.Helper()
	what := stack + " (" + string(mode) + ")"
	ctrls := controllers(p)
	if len(ctrls) == 0 {
		t.Fatalf("%s: no controllers", what)
	}
	if n := len(p.OfType(tServiceAccountRole)); n != len(ctrls) {
		t.Errorf("%s: %d service account roles for %d controllers", what, n, len(ctrls))
	}
	for release, sa := range ctrls {
		ns, name, _ := strings.Cut(sa, "/")
		role := must(t, p, tRole, release+"-"+string(mode))
		rel := must(t, p, tRelease, release)
		// The chart names the service account after the release, the name
		// the role is bound to (checked by rendering the pinned chart).
		expectEqual(t, what+" "+release+" service account", name, release)
		saValues, _ := offline.Get(rel.Inputs, "values.serviceAccount").(map[string]any)
		// The pods carry the mode, so that switching it restarts them with
		// their new credentials.
		expectEqual(t, what+" "+release+" pod annotation "+trust.ModeAnnotation, offline.Get(rel.Inputs, "values.podAnnotations."+trust.ModeAnnotation), string(mode))
		switch mode {
		case trust.IRSA:
			checkIRSARole(t, p, what+" "+release, role, ns, name)
			annotations, _ := saValues["annotations"].(map[string]any)
			expectEqual(t, what+" "+release+" role annotation", annotations[trust.RoleArnAnnotation], "arn:aws:iam::123456789012:role/"+role.Name)
		case trust.PodIdentity:
			checkPodIdentityRole(t, p, what+" "+release, role, ns, name)
			if saValues != nil {
				t.Errorf("%s %s: service account values in Pod Identity mode: %v", what, release, saValues)
			}
		}
	}
}

type trustStatement struct {
	Effect    string
	Action    any
	Principal map[string]string
	Condition map[string]map[string]string
}

func trustOf(t *testing.T, what string, role offline.Resource) trustStatement {
	t.Helper()
	var doc struct{ Statement []trustStatement }
	if err := json.Unmarshal([]byte(str(role.Inputs, "assumeRolePolicy")), &doc); err != nil || len(doc.Statement) != 1 {
		t.Fatalf("%s: trust policy %q (%v)", what, str(role.Inputs, "assumeRolePolicy"), err)
	}
	return doc.Statement[0]
}

// IRSA: only the cluster's OIDC provider, only for this service account, only
// for tokens minted for STS; no association.
func checkIRSARole(t *testing.T, p *offline.Plan, what string, role offline.Resource, ns, sa string) {
	region := str(must(t, p, tAwsProv, "aws").Inputs, "region")
	issuer := fmt.Sprintf("oidc.eks.%s.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", region)
	st := trustOf(t, what, role)
	expectEqual(t, what+" action", st.Action, "sts:AssumeRoleWithWebIdentity")
	expectEqual(t, what+" federated", st.Principal["Federated"], "arn:aws:iam::123456789012:oidc-provider/"+issuer)
	expectEqual(t, what+" sub", st.Condition["StringEquals"][issuer+":sub"], "system:serviceaccount:"+ns+":"+sa)
	expectEqual(t, what+" aud", st.Condition["StringEquals"][issuer+":aud"], "sts.amazonaws.com")
	if a := p.OfType(tAssociation); len(a) != 0 {
		t.Errorf("%s: pod identity associations in IRSA mode: %v", what, a)
	}
}

// Pod Identity: the pods.eks.amazonaws.com service, scoped to the cluster and
// service account by session tags, and an association for the service account.
func checkPodIdentityRole(t *testing.T, p *offline.Plan, what string, role offline.Resource, ns, sa string) {
	st := trustOf(t, what, role)
	expectEqual(t, what+" principal", st.Principal, map[string]string{"Service": "pods.eks.amazonaws.com"})
	expectEqual(t, what+" actions", st.Action, []any{"sts:AssumeRole", "sts:TagSession"})
	expectEqual(t, what+" conditions", st.Condition["StringEquals"], map[string]string{
		"aws:RequestTag/eks-cluster-name": "myeks", "aws:RequestTag/kubernetes-namespace": ns, "aws:RequestTag/kubernetes-service-account": sa,
	})
	assoc := must(t, p, tAssociation, role.Name)
	expectEqual(t, what+" association", []any{assoc.Inputs["clusterName"], assoc.Inputs["namespace"], assoc.Inputs["serviceAccount"], assoc.Inputs["roleArn"]},
		[]any{"myeks", ns, sa, "arn:aws:iam::123456789012:role/" + role.Name})
}

// The order Pod Identity needs: the agent runs on the nodes before any
// controller pod starts, and each association exists before its controller's
// pods are created (the credentials are injected at pod creation). On destroy
// the same edges keep the agent, the associations and the roles until the
// cleanup has run and the controllers are gone.
func TestPodIdentityOrder(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "pod-identity")
	nodes := must(t, p, tNodeGroup, "myeks-nodes")
	agent := must(t, p, tAddon, "myeks-eks-pod-identity-agent")
	expectEqual(t, "agent add-on", agent.Inputs["addonName"], "eks-pod-identity-agent")
	if !slices.Contains(agent.Dependencies, nodes.URN) {
		t.Errorf("the agent add-on does not wait for the node group: %v", agent.Dependencies)
	}
	cleanup := must(t, p, tCommand, "cleanup")
	if !slices.Contains(cleanup.Dependencies, agent.URN) {
		t.Errorf("the cleanup may run after the agent is deleted")
	}
	for release := range controllers(p) {
		rel := must(t, p, tRelease, release)
		name := release + "-" + string(trust.PodIdentity)
		assoc := must(t, p, tAssociation, name)
		role := must(t, p, tRole, name)
		for _, dep := range []offline.Resource{agent, assoc, role} {
			if !slices.Contains(rel.Dependencies, dep.URN) {
				t.Errorf("release %s does not depend on %s %s", release, dep.Type, dep.Name)
			}
			if !p.DependsOn(cleanup.URN, dep.URN) {
				t.Errorf("destroy may delete %s %s before the cleanup has run", dep.Type, dep.Name)
			}
		}
		for _, r := range p.Children(must(t, p, tServiceAccountRole, name).URN) {
			if r.Type == tAttachment && !slices.Contains(rel.Dependencies, r.URN) {
				t.Errorf("release %s does not depend on %s", release, r.Name)
			}
		}
	}
	// The OIDC provider stays: the exercises use it.
	expectEqual(t, "OIDC provider", offline.Get(must(t, p, tEksCluster, "myeks").Inputs, "createOidcProvider"), true)
}

// IRSA stacks install no agent.
func TestIRSAStacksHaveNoPodIdentityAgent(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "private-nat"} {
		p := stackPlan(t, stack)
		if _, ok := p.Find(tAddon, "myeks-eks-pod-identity-agent"); ok {
			t.Errorf("%s: pod identity agent in IRSA mode", stack)
		}
	}
}
