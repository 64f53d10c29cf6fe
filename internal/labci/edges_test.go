package labci

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// `go list` lines name the module and a package inside it: the module's
// root package is one, a package of another module that merely starts
// with the same path is not.
func TestParseGoListModuleBoundary(t *testing.T) {
	p, err := parseGoList("github.com/eks-study/lab github.com/eks-study/lab\n\tmain.go\n")
	if err != nil || !p.Dirs["."] || !p.Files["main.go"] {
		t.Errorf("the module's root package: %+v, %v; want dir . with main.go", p, err)
	}
	if _, err := parseGoList("github.com/eks-study/lab github.com/eks-study/labtools/x\n"); err == nil || !strings.Contains(err.Error(), "unexpected line") {
		t.Errorf("a package of another module: %v; want it refused", err)
	}
}

// A lab exactly Overdue past its expiry is not yet reported: its destroy
// may still be under way.
func TestSweepReportsOnlyPastOverdue(t *testing.T) {
	if _, problems := Sweep([]BackendStack{live("edge", now.Add(-Overdue).Format(time.RFC3339))}, now); len(problems) != 0 {
		t.Errorf("problems = %v, want none exactly %s late", problems, Overdue)
	}
}

// An unreadable expiry in a stack file is refused with an example eight
// hours from now, the default lifetime.
func TestDecideDeployExampleExpiry(t *testing.T) {
	_, _, err := DecideDeploy(DeployRequest{Stack: "dev", NewExpiry: "friday", Now: now})
	if err == nil || !strings.Contains(err.Error(), "such as 2026-11-27T18:00:00Z") {
		t.Errorf("error %v, want the example 2026-11-27T18:00:00Z (now + 8h)", err)
	}
}

// A cluster whose public endpoint is off cannot be reached from a runner,
// whatever its CIDRs admit.
func TestCheckRunnerPrivateEndpoint(t *testing.T) {
	plan := `{"resources":[{"type":"eks:index:Cluster","inputs":{"endpointPublicAccess":false,"publicAccessCidrs":["0.0.0.0/0"]}}]}`
	if err := CheckRunner(strings.NewReader(plan), "dev", netip.MustParseAddr("198.51.100.20")); err == nil {
		t.Error("a private-only endpoint passes the check")
	}
	open := strings.Replace(plan, "false", "true", 1)
	if err := CheckRunner(strings.NewReader(open), "dev", netip.MustParseAddr("198.51.100.20")); err != nil {
		t.Errorf("a public endpoint open to all: %v", err)
	}
}

// endpoint-open writes the access that admits the runner, nothing when the
// cluster admits it already, and fails on input it cannot read.
func TestEndpointOpenCommand(t *testing.T) {
	cluster := func(cidr string) *strings.Reader {
		return strings.NewReader(`{"cluster":{"resourcesVpcConfig":{"endpointPublicAccess":true,"endpointPrivateAccess":true,"publicAccessCidrs":["` + cidr + `"]}}}`)
	}
	var out strings.Builder
	if err := EndpointOpen(cluster("203.0.113.7/32"), "198.51.100.20", &out); err != nil || out.String() != `{"endpointPublicAccess":true,"endpointPrivateAccess":true,"publicAccessCidrs":["203.0.113.7/32","198.51.100.20/32"]}`+"\n" {
		t.Errorf("open: %q, %v", out.String(), err)
	}
	out.Reset()
	if err := EndpointOpen(cluster("198.51.100.0/24"), "198.51.100.20", &out); err != nil || out.Len() != 0 {
		t.Errorf("already open: %q, %v; want nothing", out.String(), err)
	}
	if err := EndpointOpen(cluster("203.0.113.7/32"), "not-an-ip", &out); err == nil {
		t.Error("a bad runner address is accepted")
	}
	if err := EndpointOpen(strings.NewReader(`{"cluster":{}}`), "198.51.100.20", &out); err == nil {
		t.Error("a cluster without resourcesVpcConfig is accepted")
	}
}
