package extdns

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/components/internal/chartvalues"
	"github.com/eks-study/lab/internal/versions"
)

type statement struct {
	Effect   string
	Action   []string
	Resource []string
}

func parse(t *testing.T, zone string) []statement {
	t.Helper()
	doc, err := PolicyDocument(zone)
	if err != nil {
		t.Fatalf("PolicyDocument(%q): %v", zone, err)
	}
	var p struct {
		Version   string
		Statement []statement
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy is not JSON: %v\n%s", err, doc)
	}
	if p.Version != "2012-10-17" {
		t.Fatalf("policy version %q", p.Version)
	}
	return p.Statement
}

// resourcesFor returns every resource an Allow statement grants action on.
func resourcesFor(stmts []statement, action string) []string {
	var out []string
	for _, s := range stmts {
		if s.Effect == "Allow" && slices.Contains(s.Action, action) {
			out = append(out, s.Resource...)
		}
	}
	return out
}

func TestPolicyScopesWritesToTheZone(t *testing.T) {
	for _, zone := range []string{"Z0123456789ABCDEFGHIJ", "/hostedzone/Z0123456789ABCDEFGHIJ"} {
		stmts := parse(t, zone)
		zoneArn := "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
		for _, action := range []string{
			"route53:ChangeResourceRecordSets",
			"route53:ListResourceRecordSets",
			"route53:ListTagsForResources",
		} {
			if got := resourcesFor(stmts, action); !slices.Equal(got, []string{zoneArn}) {
				t.Errorf("%s: %s allowed on %v, want only %s", zone, action, got, zoneArn)
			}
		}
		if got := resourcesFor(stmts, "route53:ListHostedZones"); !slices.Equal(got, []string{"*"}) {
			t.Errorf("route53:ListHostedZones on %v, want * (it has no resource-level permissions)", got)
		}
	}
}

func TestPolicyGrantsNothingElse(t *testing.T) {
	allowed := []string{
		"route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets",
		"route53:ListTagsForResource", "route53:ListTagsForResources", "route53:ListHostedZones",
	}
	for _, s := range parse(t, "Z1") {
		for _, a := range s.Action {
			if !slices.Contains(allowed, a) {
				t.Errorf("unexpected action %s", a)
			}
		}
	}
}

func TestPolicyRejectsBadZoneIDs(t *testing.T) {
	for _, zone := range []string{"", "  ", "*", "arn:aws:route53:::hostedzone/Z1", "Z1/extra"} {
		if _, err := PolicyDocument(zone); err == nil {
			t.Errorf("PolicyDocument(%q) accepted a bad zone id", zone)
		}
	}
}

func TestHelmValues(t *testing.T) {
	v := HelmValues("example.com", "/hostedzone/Z1", "ap-northeast-2", "eks-lab-alice", trust.IRSA, "arn:aws:iam::123456789012:role/edns", false)
	if v["policy"] != "sync" || v["txtOwnerId"] != "eks-lab-alice" || v["triggerLoopOnEvent"] != true {
		t.Errorf("policy/txtOwnerId/triggerLoopOnEvent = %v/%v/%v", v["policy"], v["txtOwnerId"], v["triggerLoopOnEvent"])
	}
	if v["image"].(map[string]any)["tag"] != versions.ExternalDNS || v["annotationPrefix"] != "external-dns.alpha.kubernetes.io/" {
		t.Errorf("image/annotationPrefix = %v/%v", v["image"], v["annotationPrefix"])
	}
	if !slices.Equal(v["domainFilters"].([]any), []any{"example.com"}) {
		t.Errorf("domainFilters = %v", v["domainFilters"])
	}
	if !slices.Equal(v["extraArgs"].([]any), []any{"--aws-zone-type=public", "--zone-id-filter=Z1"}) {
		t.Errorf("extraArgs = %v", v["extraArgs"])
	}
	env := v["env"].([]any)[0].(map[string]any)
	if env["name"] != "AWS_DEFAULT_REGION" || env["value"] != "ap-northeast-2" {
		t.Errorf("env = %v", v["env"])
	}
	if v["serviceAccount"].(map[string]any)["annotations"].(map[string]any)["eks.amazonaws.com/role-arn"] != "arn:aws:iam::123456789012:role/edns" {
		t.Errorf("serviceAccount = %v", v["serviceAccount"])
	}
	if pod := HelmValues("example.com", "Z1", "ap-northeast-2", "o", trust.PodIdentity, "arn", false); pod["serviceAccount"] != nil {
		t.Errorf("Pod Identity: serviceAccount values %v, want none", pod["serviceAccount"])
	}
}

// Every value the program sets is recorded in ValuePaths, in every mode, and
// every recorded key is set.
func TestValuePathsAreRecorded(t *testing.T) {
	var sets []map[string]any
	for _, mode := range trust.Modes {
		for _, gateway := range []bool{false, true} {
			sets = append(sets, HelmValues("example.com", "Z1", "ap-northeast-2", "o", mode, "arn:aws:iam::1:role/r", gateway))
		}
	}
	if err := chartvalues.Check(ValuePaths, sets...); err != nil {
		t.Error(err)
	}
}

// Without Gateway API the sources are the chart's default (no key); with it
// HTTPRoutes are added, and never a TCPRoute or UDPRoute source, which
// v0.22.0 reads at a version Gateway API v1.6 does not serve.
func TestGatewaySourcesOnlyHTTPRoutes(t *testing.T) {
	if v, ok := HelmValues("example.com", "Z1", "ap-northeast-2", "o", trust.IRSA, "arn", false)["sources"]; ok {
		t.Errorf("without Gateway API: sources %v, want the chart's default", v)
	}
	got := HelmValues("example.com", "Z1", "ap-northeast-2", "o", trust.IRSA, "arn", true)["sources"]
	if !slices.Equal(got.([]any), []any{"service", "ingress", "gateway-httproute"}) {
		t.Errorf("with Gateway API: sources %v, want service, ingress and gateway-httproute", got)
	}
}
