package labci

import (
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestCheckRunnerAgainstARealPlan(t *testing.T) {
	// tests/golden/dev.json is `lab plan --format json` of stacks/Pulumi.dev.yaml:
	// its API admits 203.0.113.7/32 (the stack's sshCidr).
	plan := func() *os.File {
		f, err := os.Open("../../tests/golden/dev.json")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	if err := CheckRunner(plan(), "dev", netip.MustParseAddr("203.0.113.7")); err != nil {
		t.Errorf("the stack's own address is refused: %v", err)
	}
	err := CheckRunner(plan(), "dev", netip.MustParseAddr("198.51.100.20"))
	if err == nil {
		t.Fatal("a runner outside the stack's CIDRs passes the check")
	}
	msg := err.Error()
	for _, want := range []string{"stack dev", "203.0.113.7/32", "198.51.100.20", "eks-lab:endpointPublicAccessCidrs"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	// 0.0.0.0/0 alone would be refused by the program's validation.
	if strings.Contains(msg, "0.0.0.0/0") && !strings.Contains(msg, AnywhereKey) {
		t.Errorf("message recommends 0.0.0.0/0 without %s: %s", AnywhereKey, msg)
	}
}

func TestOpenAndRestoreEndpoint(t *testing.T) {
	runner := netip.MustParseAddr("198.51.100.20")
	member := EndpointAccess{EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCidrs: []string{"203.0.113.7/32"}}

	open, change, err := OpenFor(member, runner)
	if err != nil || !change {
		t.Fatalf("OpenFor = %v, %t, %v", open, change, err)
	}
	if want := []string{"203.0.113.7/32", "198.51.100.20/32"}; !reflect.DeepEqual(open.PublicAccessCidrs, want) || !open.EndpointPrivateAccess {
		t.Errorf("opened = %+v, want the member's CIDR kept and the runner's /32 added", open)
	}
	if _, change, _ := OpenFor(open, runner); change {
		t.Error("an endpoint that admits the runner is updated again (EKS rejects a no-op update)")
	}

	// A private-only cluster: EKS lists 0.0.0.0/0 for the disabled public endpoint.
	private := EndpointAccess{EndpointPrivateAccess: true, PublicAccessCidrs: []string{"0.0.0.0/0"}}
	open, _, _ = OpenFor(private, runner)
	if !reflect.DeepEqual(open.PublicAccessCidrs, []string{"198.51.100.20/32"}) {
		t.Errorf("opening a private-only endpoint gives %v, want the runner alone", open.PublicAccessCidrs)
	}

	// After a failed destroy the cluster gets its settings back.
	restore, change := RestoreTo(member, EndpointAccess{EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCidrs: []string{"198.51.100.20/32", "203.0.113.7/32"}})
	if !change || !reflect.DeepEqual(restore, member) {
		t.Errorf("restore = %+v, %t; want %+v", restore, change, member)
	}
	restore, change = RestoreTo(private, open)
	if !change || restore.EndpointPublicAccess || restore.PublicAccessCidrs != nil {
		t.Errorf("restoring a private-only endpoint = %+v, %t; want public access off and no CIDRs", restore, change)
	}
	if _, change := RestoreTo(member, EndpointAccess{EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCidrs: []string{"203.0.113.7/32"}}); change {
		t.Error("an endpoint already as it was is updated (EKS rejects a no-op update)")
	}
}

func TestReadCluster(t *testing.T) {
	// The shape of `aws eks describe-cluster` (DescribeCluster API: cluster.resourcesVpcConfig).
	got, err := ReadCluster(strings.NewReader(`{"cluster":{"name":"myeks","status":"ACTIVE","resourcesVpcConfig":{
		"subnetIds":["subnet-1"],"endpointPublicAccess":true,"endpointPrivateAccess":true,"publicAccessCidrs":["203.0.113.7/32"]}}}`))
	want := EndpointAccess{EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCidrs: []string{"203.0.113.7/32"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadCluster = %+v, %v", got, err)
	}
	if _, err := ReadCluster(strings.NewReader(`{"cluster":{}}`)); err == nil {
		t.Error("output without resourcesVpcConfig accepted")
	}
}

func TestHints(t *testing.T) {
	// The DIY backend's message, as pkg/backend/diy/lock.go words it.
	diy := "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
		"  s3://bucket/.pulumi/locks/organization/eks-lab/dev/1f.json: created by runner@fv-az (pid 1234) at 2026-11-27T09:00:00Z"
	cloud := "error: [409] Conflict: Another update is currently in progress."
	pending := "warning: Attempting to deploy or update resources with 1 pending operations from previous deployment.\n" +
		"  * urn:pulumi:dev::eks-lab::aws:ec2/natGateway:NatGateway::lab-nat-a, interrupted while creating"
	for _, log := range []string{diy, cloud} {
		h := Hints(log, "dev")
		if len(h) != 1 || !strings.Contains(h[0], "pulumi cancel --stack dev --yes") {
			t.Errorf("hints for %q = %v", log, h)
		}
	}
	h := Hints(pending, "dev")
	if len(h) != 1 || !strings.Contains(h[0], "pulumi stack export --stack dev") || !strings.Contains(h[0], "pulumi stack import --stack dev") {
		t.Errorf("hints for pending operations = %v", h)
	}
	if h := Hints("error: update failed\n  aws:ec2:Vpc (lab): InvalidParameterValue", "dev"); len(h) != 0 {
		t.Errorf("hints for an ordinary failure: %v", h)
	}
}
