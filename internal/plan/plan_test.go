package plan

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/estimate"
)

const repoRoot = "../.."

// goldenPlan is the plan of a stack file as `lab plan --format json` writes
// it: tests/golden/<stack>.json, which tests/golden_test.go keeps equal to
// what the program plans. tests/ runs the program; this package's tests
// do not link it.
func goldenPlan(t *testing.T, stack string) *Document {
	t.Helper()
	d, err := ReadFile(filepath.Join(repoRoot, "tests", "golden", stack+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPlanHidesTheKubeconfig(t *testing.T) {
	d := goldenPlan(t, "dev")
	providers := d.OfType("pulumi:providers:kubernetes")
	if len(providers) != 1 || providers[0].Inputs["kubeconfig"] != Secret {
		t.Fatalf("kubernetes provider inputs: %v", providers)
	}
	if d.Outputs["kubeconfig"] != Secret {
		t.Errorf("kubeconfig output %v", d.Outputs["kubeconfig"])
	}
	for _, format := range Formats {
		var b bytes.Buffer
		if err := Render(&b, d, format); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "mock.eks.amazonaws.com") || strings.Contains(b.String(), `"kind":"Config"`) {
			t.Errorf("%s output shows the kubeconfig", format)
		}
	}
}

func TestRedactsSecretLookingInputs(t *testing.T) {
	in := map[string]any{
		"password": "hunter2", "metadata": map[string]any{"name": "x"},
		"nested": []any{map[string]any{"token": "abc", "port": 80.0}},
		"key":    "-----BEGIN RSA PRIVATE KEY-----\n...",
	}
	got := redact("aws:x/y:Z", "", in).(map[string]any)
	if got["password"] != Secret || got["key"] != Secret || got["metadata"].(map[string]any)["name"] != "x" {
		t.Errorf("redacted %v", got)
	}
	if n := got["nested"].([]any)[0].(map[string]any); n["token"] != Secret || n["port"] != 80.0 {
		t.Errorf("nested %v", n)
	}
	if in["password"] != "hunter2" {
		t.Error("redact changed its input")
	}
	s := redact("kubernetes:core/v1:Secret", "", map[string]any{"stringData": map[string]any{"a": "b"}}).(map[string]any)
	if s["stringData"] != Secret {
		t.Errorf("Secret data %v", s)
	}
}

func TestDevCapacity(t *testing.T) {
	d := goldenPlan(t, "dev")
	if len(d.Estimates.Capacity) != 1 {
		t.Fatalf("capacity %+v", d.Estimates.Capacity)
	}
	c := d.Estimates.Capacity[0]
	if c.InstanceType != "t3.medium" || c.ENIs != 3 || c.IPv4PerENI != 6 || c.MaxPodsPerNode != 17 || c.PodsAtDesired != 51 || c.PodsAtMax != 102 {
		t.Errorf("node group capacity %+v", c)
	}
	if len(c.Subnets) != 3 {
		t.Fatalf("node subnets %+v", c.Subnets)
	}
	for _, s := range c.Subnets {
		if !strings.Contains(s.Subnet, "public") || s.UsableAddresses != 1019 || s.NodesAtDesired != 1 || s.NodesAtMax != 2 ||
			s.PodsAtMax != 34 || s.AddressesAtMax != 36 || s.PodAddresses != 1013 || !s.Fits {
			t.Errorf("subnet %+v", s)
		}
	}
}

func TestDevHourlyCostIsTheSumOfItsResources(t *testing.T) {
	d := goldenPlan(t, "dev")
	p, err := estimate.Prices()
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.Region("ap-northeast-2")
	// The dev stack: EKS control plane; 3 t3.medium nodes with 30 GiB gp3
	// disks and public IPs; a t3.small bastion with a 30 GiB gp3 disk and a
	// public IP; no NAT; 4 internet-facing NLB samples (echo, PROXY protocol,
	// instance mode Cluster and Local), one ALB (2048), and the Gateway
	// samples' NLB and ALB, each with a public IP in each of the 3 AZs.
	nlbs, albs := 5, 2
	want := p.EKSStandardHourly +
		3*r.EC2Hourly["t3.medium"] + r.EC2Hourly["t3.small"] +
		float64(nlbs)*r.NLBHourly + float64(albs)*r.ALBHourly +
		(3*30+30)*r.EBSGp3GBMonth/p.HoursPerMonth +
		float64(3+1+3*(nlbs+albs))*p.PublicIPv4Hourly
	c := d.Estimates.Cost
	if math.Abs(c.HourlyTotal-want) > 1e-6 {
		t.Errorf("dev costs %g per hour, want %g; items:", c.HourlyTotal, want)
		for _, it := range c.Items {
			t.Logf("  %s %s: %g", it.Component, it.Detail, it.Hourly)
		}
	}
	if math.Abs(c.SessionTotal-8*want) > 1e-5 || c.SessionHours != 8 || len(c.Unpriced) != 0 {
		t.Errorf("session %g for %g h, unpriced %v", c.SessionTotal, c.SessionHours, c.Unpriced)
	}
	var lbs int
	for _, it := range c.Items {
		if it.Component == "Load balancer" {
			lbs++
		}
	}
	if lbs != nlbs+albs {
		t.Errorf("%d load balancers priced, want %d", lbs, nlbs+albs)
	}
}

func TestPrivateNatCostsItsNATGateways(t *testing.T) {
	d := goldenPlan(t, "private-nat")
	var nat, eips, nodeIPs int
	for _, it := range d.Estimates.Cost.Items {
		switch {
		case it.Component == "NAT gateway":
			nat++
		case strings.HasPrefix(it.Detail, "Elastic IP"):
			eips++
		case strings.Contains(it.Detail, "nodes of"):
			nodeIPs++
		}
	}
	if nat != 3 || eips != 3 || nodeIPs != 0 {
		t.Errorf("private-nat: %d NAT gateways, %d Elastic IPs, %d node address items; want 3, 3, 0 (nodes are private)", nat, eips, nodeIPs)
	}
	if d.Estimates.Cost.Region != "ap-northeast-1" {
		t.Errorf("region %s", d.Estimates.Cost.Region)
	}
}

func TestDevDurationsFollowTheClusterAndTheLoadBalancers(t *testing.T) {
	du := goldenPlan(t, "dev").Estimates.Duration
	if du.UpMinutes < 18 || du.UpMinutes > 30 || du.DestroyMinutes < 9 || du.DestroyMinutes > 20 {
		t.Errorf("up %g min, destroy %g min", du.UpMinutes, du.DestroyMinutes)
	}
	types := func(steps []estimate.Step) string {
		var s []string
		for _, st := range steps {
			s = append(s, st.Type)
		}
		return strings.Join(s, " ")
	}
	up, down := types(du.UpPath), types(du.DestroyPath)
	for _, typ := range []string{"eks:index:Cluster", "aws:eks/nodeGroup:NodeGroup", "kubernetes:helm.sh/v3:Release"} {
		if !strings.Contains(up, typ) || !strings.Contains(down, typ) {
			t.Errorf("%s missing from the critical paths:\nup %s\ndestroy %s", typ, up, down)
		}
	}
	// Destroy deletes a load-balanced object while the controller still runs.
	release := strings.Index(down, "kubernetes:helm.sh/v3:Release")
	lb := -1
	for _, typ := range []string{typeIngress, typeService, typeGateway} {
		if i := strings.Index(down, typ); i >= 0 && (lb < 0 || i < lb) {
			lb = i
		}
	}
	if lb < 0 || lb > release {
		t.Errorf("destroy path does not remove a Service, Ingress or Gateway before the controller's release: %s", down)
	}
}

func TestLoadBalancerKinds(t *testing.T) {
	svc := func(class string, ann map[string]any) Resource {
		spec := map[string]any{"type": "LoadBalancer"}
		if class != "" {
			spec["loadBalancerClass"] = class
		}
		return Resource{URN: "u", Name: "s", Type: typeService, Inputs: map[string]any{"spec": spec, "metadata": map[string]any{"annotations": ann}}}
	}
	for _, tc := range []struct {
		name       string
		r          Resource
		controller bool
		kind       string
		target     string
		scheme     string
	}{
		{"controller NLB, ip, internet-facing", svc(nlbClass, map[string]any{annNLBTargetType: "ip", annNLBScheme: "internet-facing"}), true, "NLB", "ip", "internet-facing"},
		{"controller NLB defaults", svc(nlbClass, nil), true, "NLB", "instance", "internal"},
		{"external type annotation", svc("", map[string]any{annLBType: "external", annNLBTargetType: "ip"}), false, "NLB", "ip", "internal"},
		{"legacy nlb-ip", svc("", map[string]any{annLBType: "nlb-ip"}), false, "NLB", "ip", "internal"},
		{"in-tree NLB", svc("", map[string]any{annLBType: "nlb"}), false, "NLB", "instance", "internet-facing"},
		{"webhook default", svc("", nil), true, "NLB", "instance", "internal"},
		{"classic without controller", svc("", nil), false, "CLB", "instance", "internet-facing"},
		{"foreign class", svc("example.com/lb", nil), true, "", "", ""},
	} {
		lb := serviceLB(tc.r, tc.controller)
		if lb.Kind != tc.kind || lb.Target != tc.target || lb.Scheme != tc.scheme {
			t.Errorf("%s: got %s %s %s, want %s %s %s", tc.name, lb.Kind, lb.Target, lb.Scheme, tc.kind, tc.target, tc.scheme)
		}
	}
}

func TestIngressesOfOneGroupShareAnALB(t *testing.T) {
	ing := func(name, group string) Resource {
		ann := map[string]any{annALBScheme: "internet-facing", annALBTargetType: "ip"}
		if group != "" {
			ann[annALBGroup] = group
		}
		return Resource{URN: "urn:" + name, Name: name, Type: typeIngress, Inputs: map[string]any{
			"metadata": map[string]any{"name": name, "namespace": "web", "annotations": ann},
			"spec":     map[string]any{"ingressClassName": "alb"},
		}}
	}
	other := ing("nginx", "")
	other.Inputs["spec"] = map[string]any{"ingressClassName": "nginx"}
	d := &Document{Resources: []Resource{ing("a", "shop"), ing("b", "shop"), ing("c", ""), other}}
	lbs := gatherFacts(d).lbs
	if len(lbs) != 2 {
		t.Fatalf("got %d load balancers %+v, want 2 ALBs (group shop, ingress c)", len(lbs), lbs)
	}
	if lbs[0].Detail != "Ingress group shop (web/a, web/b)" || len(lbs[0].Sources) != 2 || lbs[1].Detail != "Ingress web/c" || !lbs[1].Internet {
		t.Errorf("load balancers %+v", lbs)
	}
}

func TestTrustNamesPrincipalsAndServiceAccounts(t *testing.T) {
	irsa := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/oidc.eks.x/id/A"},` +
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.x/id/A:aud":"sts.amazonaws.com","oidc.eks.x/id/A:sub":"system:serviceaccount:kube-system:external-dns"}}}]}`
	if got := trust(irsa); len(got) != 1 || got[0] != "Federated arn:aws:iam::1:oidc-provider/oidc.eks.x/id/A; sub system:serviceaccount:kube-system:external-dns" {
		t.Errorf("IRSA trust %q", got)
	}
	ec2 := `{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ssm.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`
	if got := trust(ec2); len(got) != 1 || got[0] != "Service ec2.amazonaws.com, Service ssm.amazonaws.com" {
		t.Errorf("service trust %q", got)
	}
	if got := trust("{"); got[0] != "(assume-role policy is not JSON)" {
		t.Errorf("bad policy %q", got)
	}
}

func TestTextPlanShowsWhatAMemberNeeds(t *testing.T) {
	d := goldenPlan(t, "dev")
	var b bytes.Buffer
	if err := Render(&b, d, "text"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"├─ myeks  eks-lab:cluster:Cluster", // tree with parents
		"│  ├─ myeks-nodes  aws:eks/nodeGroup:NodeGroup  t3.medium x 3 (min 3, max 6), 17 pods per node",
		"ap-northeast-2a 192.168.0.0/22, 1019 usable addresses", // subnet AZ, CIDR, usable
		"sub system:serviceaccount:kube-system:aws-load-balancer-controller",
		"aws-load-balancer-controller  aws-load-balancer-controller  ", // helm release and chart
		"LoadBalancer -> NLB ip internet-facing",
		"ALB ip internet-facing",
		"3 ENIs x 6 IPv4 -> 17 pods per node",
		"Total: $", "per 8-hour lab session",
		"pulumi destroy", "data they process is extra",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text plan lacks %q", want)
		}
	}
	b.Reset()
	if err := Render(&b, d, "markdown"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Lab plan for stack dev", "```text\n", "| node subnet |", "<details><summary>Assumptions</summary>"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown plan lacks %q", want)
		}
	}
}

// lab plan shows both states: a spot lab's paused share against its likely
// spot range too; a paused plan no time for a fresh pulumi up, which the
// program refuses while paused.
func TestTextPlanShowsBothStates(t *testing.T) {
	render := func(stack string) string {
		var b bytes.Buffer
		if err := Render(&b, goldenPlan(t, stack), "text"); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	spot := render("pod-identity")
	if want := "paused costs 17.3 % of running with on-demand prices, 22.8-26.1 % of spot's likely range"; !strings.Contains(spot, want) {
		t.Errorf("spot plan lacks %q:\n%s", want, spot)
	}
	running := render("dev")
	if !strings.Contains(running, "paused costs 17.9 % of running;") || !strings.Contains(running, "`pulumi up` ~") || !strings.Contains(running, "\n  pulumi up ") {
		t.Errorf("running plan: no paused share or no fresh up:\n%s", running)
	}
	paused := render("dev-paused")
	if strings.Contains(paused, "`pulumi up` ~") || strings.Contains(paused, "\n  pulumi up ") {
		t.Errorf("paused plan shows the time of a fresh pulumi up:\n%s", paused)
	}
	for _, want := range []string{"this plan is paused (eks-lab:paused is true)", "\n  pulumi destroy ", "\n  resume (eks-lab:paused: false) "} {
		if !strings.Contains(paused, want) {
			t.Errorf("paused plan lacks %q:\n%s", want, paused)
		}
	}
}

func TestDiffOfAPlanWithItselfIsEmpty(t *testing.T) {
	d := goldenPlan(t, "dev")
	diff := Compare(d, d)
	var b bytes.Buffer
	if err := RenderDiff(&b, diff, "markdown"); err != nil {
		t.Fatal(err)
	}
	if !diff.Empty() || !strings.Contains(b.String(), "No changes") {
		t.Errorf("self-diff:\n%s", b.String())
	}
}

func TestFlattenPaths(t *testing.T) {
	got := flatten("", map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}},
		"spec":     map[string]any{"ports": []any{map[string]any{"port": 80.0}}, "selector": map[string]any{}},
		"tags":     []any{},
	})
	want := map[string]string{
		`metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]`: `"internet-facing"`,
		"spec.ports[0].port": "80", "spec.selector": "{}", "tags": "[]",
	}
	if len(got) != len(want) {
		t.Errorf("flatten: %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("flatten[%s] = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestLongValuesCollapseInMarkdown(t *testing.T) {
	long := `"` + strings.Repeat("a|", 100) + `"`
	v := mdValue(long)
	if !strings.HasPrefix(v, "<details><summary><code>") || strings.Contains(v, "a|a") || !strings.Contains(v, "(202 chars)") {
		t.Errorf("collapsed value %q", v)
	}
	if mdValue("") != "*(none)*" || mdValue(`"x|y"`) != "`\"x\\|y\"`" {
		t.Errorf("short values %q %q", mdValue(""), mdValue(`"x|y"`))
	}
}

func TestTextPlanNamesWhoIsClusterAdmin(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, goldenPlan(t, "dev"), "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"myeks-bastion  aws:eks/accessEntry:AccessEntry  principal arn:aws:iam::123456789012:role/bastion",
		"myeks-bastion-cluster-admin  aws:eks/accessPolicyAssociation:AccessPolicyAssociation  AmazonEKSClusterAdminPolicy, cluster scope",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text plan lacks %q", want)
		}
	}
}

// A resource renamed with pulumi.Aliases is the same live resource: the diff
// shows the rename, not a replacement, and dependencies on it are not changes.
func TestDiffMatchesRenamesByAlias(t *testing.T) {
	const (
		oldRole = "urn:pulumi:dev::eks-lab::eks-lab:irsa:Role$aws:iam/role:Role::r"
		newRole = "urn:pulumi:dev::eks-lab::eks-lab:identity:ServiceAccountRole$aws:iam/role:Role::r"
		rel     = "urn:pulumi:dev::eks-lab::kubernetes:helm.sh/v3:Release::rel"
	)
	base := &Document{Stack: "dev", Resources: []Resource{
		{URN: oldRole, Type: typeRole, Name: "r", Inputs: map[string]any{"description": "d"}},
		{URN: rel, Type: typeHelmRelease, Name: "rel", Inputs: map[string]any{}, Dependencies: []string{oldRole}},
	}}
	head := &Document{Stack: "dev", Resources: []Resource{
		{URN: newRole, Type: typeRole, Name: "r", Inputs: map[string]any{"description": "d"}, Aliases: []string{oldRole}},
		{URN: rel, Type: typeHelmRelease, Name: "rel", Inputs: map[string]any{}, Dependencies: []string{newRole}},
	}}
	d := Compare(base, head)
	if len(d.Added)+len(d.Removed) != 0 || d.Unchanged != 1 || len(d.Changed) != 1 {
		t.Fatalf("added %v, removed %v, changed %v, %d unchanged; want one rename", d.Added, d.Removed, d.Changed, d.Unchanged)
	}
	want := Change{Path: "(renamed, alias kept)", Old: "eks-lab:irsa:Role$aws:iam/role:Role::r", New: "eks-lab:identity:ServiceAccountRole$aws:iam/role:Role::r"}
	if c := d.Changed[0].Changes; len(c) != 1 || c[0] != want {
		t.Errorf("changes = %+v, want %+v", c, want)
	}
}

// lab plan says, in each mode, through what and for which service account
// each role may be assumed.
func TestRolesShowWhoMayAssumeThemInEachMode(t *testing.T) {
	d := goldenPlan(t, "pod-identity")
	f := gatherFacts(d)
	role := func(name string) Resource {
		for _, r := range d.OfType(typeRole) {
			if r.Name == name {
				return r
			}
		}
		t.Fatalf("no role %s", name)
		return Resource{}
	}
	how, sas := f.roleUse(role("external-dns-pod-identity"))
	if how != viaPodIdentity || len(sas) != 1 || sas[0] != "kube-system/external-dns (association in myeks)" {
		t.Errorf("external-dns role: %s %v", how, sas)
	}
	if got := trust(str(role("external-dns-pod-identity").Inputs, "assumeRolePolicy")); len(got) != 1 || got[0] != "Service pods.eks.amazonaws.com; session tags "+
		"eks-cluster-name=myeks, kubernetes-namespace=kube-system, kubernetes-service-account=external-dns" {
		t.Errorf("trust %q", got)
	}
	if how, sas := f.roleUse(role("myeks-nodes")); how != viaService || len(sas) != 0 {
		t.Errorf("node role: %s %v", how, sas)
	}
	// A Pod Identity role no association uses is useless, and the plan says so.
	orphan := role("external-dns-pod-identity")
	orphan.Name = "orphan"
	if _, sas := f.roleUse(orphan); len(sas) != 1 || !strings.HasPrefix(sas[0], "none") {
		t.Errorf("role without association: %v", sas)
	}

	irsa := goldenPlan(t, "dev")
	for _, r := range irsa.OfType(typeRole) {
		if r.Name == "aws-load-balancer-controller-irsa" {
			if how, sas := gatherFacts(irsa).roleUse(r); how != viaIRSA || len(sas) != 1 || sas[0] != "kube-system/aws-load-balancer-controller" {
				t.Errorf("IRSA role: %s %v", how, sas)
			}
		}
	}
	for stack, want := range map[string]string{
		"pod-identity": "EKS Pod Identity  kube-system/aws-load-balancer-controller (association in myeks)",
		"dev":          "IRSA (web identity)  kube-system/aws-load-balancer-controller",
	} {
		var b bytes.Buffer
		if err := Render(&b, goldenPlan(t, stack), "text"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s: the IAM section lacks %q", stack, want)
		}
	}
}

// dev's Gateways are load balancers: the ALB Gateway's and the NLB
// Gateway's, internet-facing with ip targets, priced with one public IPv4
// address per AZ.
func TestDevGatewaysAreLoadBalancers(t *testing.T) {
	f := gatherFacts(goldenPlan(t, "dev"))
	var got []string
	for _, lb := range f.lbs {
		if strings.HasPrefix(lb.Detail, "Gateway ") {
			got = append(got, strings.Join([]string{lb.Detail, lb.Kind, lb.Target, lb.Scheme, lb.By}, " | "))
		}
	}
	want := []string{
		"Gateway gateway-alb/web | ALB | ip | internet-facing | AWS Load Balancer Controller (Gateway API)",
		"Gateway gateway-nlb/echo | NLB | ip | internet-facing | AWS Load Balancer Controller (Gateway API)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Gateway load balancers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A Gateway's class decides ALB or NLB; a class of another controller is
// no load balancer of the price table. Without a LoadBalancerConfiguration
// a Gateway is internal, and without a TargetGroupConfiguration its targets
// are instances (the controller's defaults).
func TestGatewayLoadBalancerDefaultsAndForeignClasses(t *testing.T) {
	class := func(name, controller string) Resource {
		return Resource{URN: "urn:gc:" + name, Type: typeGatewayClass, Inputs: map[string]any{
			"metadata": map[string]any{"name": name}, "spec": map[string]any{"controllerName": controller}}}
	}
	gw := func(name, class string) Resource {
		return Resource{URN: "urn:gw:" + name, Type: typeGateway, Inputs: map[string]any{
			"metadata": map[string]any{"name": name, "namespace": "web"}, "spec": map[string]any{"gatewayClassName": class}}}
	}
	route := Resource{URN: "urn:route", Type: routeTypePrefix + "HTTPRoute", Inputs: map[string]any{
		"metadata": map[string]any{"name": "r", "namespace": "web"},
		"spec": map[string]any{"parentRefs": []any{map[string]any{"name": "plain"}},
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": "svc", "port": 80.0}}}}},
	}}
	d := &Document{Resources: []Resource{class("alb", "gateway.k8s.aws/alb"), class("istio", "istio.io/gateway-controller"), gw("plain", "alb"), gw("mesh", "istio"), route}}
	lbs := gatherFacts(d).lbs
	if len(lbs) != 2 {
		t.Fatalf("load balancers %+v, want one per Gateway", lbs)
	}
	if lb := lbs[1]; lb.Detail != "Gateway web/plain" || lb.Kind != "ALB" || lb.Scheme != "internal" || lb.Target != "instance" || lb.Internet {
		t.Errorf("Gateway of class alb without configurations: %+v, want an internal ALB with instance targets", lb)
	}
	if lb := lbs[0]; lb.Detail != "Gateway web/mesh" || lb.Kind != "" || !strings.Contains(lb.Note, "istio") {
		t.Errorf("Gateway of another controller's class: %+v, want no kind and a note naming the class", lb)
	}
}

// An ignored path keeps only its own value, as the engine's ignoreChanges
// does: the rest of the same input still counts.
func TestChangedAppliesIgnoreChangesPathByPath(t *testing.T) {
	old := map[string]any{"skipAwait": true, "values": map[string]any{"defaultTags": map[string]any{"expiry": "a", "owner": "x"}}, "routes": []any{"nat-1"}}
	same := map[string]any{"skipAwait": false, "values": map[string]any{"defaultTags": map[string]any{"expiry": "b", "owner": "x"}}, "routes": []any{"nat-2"}}
	ignore := []string{`values.defaultTags["expiry"]`, "routes"}
	if got := Changed(old, same, ignore); !slices.Equal(got, []string{"skipAwait"}) {
		t.Errorf("changed %v, want [skipAwait]: the expiry and routes are ignored", got)
	}
	other := map[string]any{"skipAwait": true, "values": map[string]any{"defaultTags": map[string]any{"expiry": "b", "owner": "y"}}, "extra": 1.0}
	if got := Changed(old, other, ignore); !slices.Equal(got, []string{"extra", "values"}) {
		t.Errorf("changed %v, want [extra values]: an ignored path inside values hides no other change", got)
	}
}
