package tests

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/workloads/catalog"

	"github.com/eks-study/lab/internal/offline"
)

// Pulumi deletes a resource before the resources it depends on, by the
// dependencies recorded in the state: on `pulumi destroy`, and for the
// resources an update drops from the program. These tests check that the
// plan records what makes each cleanup run before the controller it serves
// goes, on destroy and when a live stack turns the controller off.

// noSamples turns every sample off, as a stack without the load balancer
// controller must (config validation requires it for the LB samples).
var noSamples = samplesOff(func(catalog.Sample) bool { return true })

func merged(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

func urns(p *offline.Plan) map[string]offline.Resource {
	out := map[string]offline.Resource{}
	for _, r := range p.Resources {
		out[r.URN] = r
	}
	return out
}

// deleteCommand is what a Cleanup runs when it is deleted: its interpreter
// (printed as a list) and its delete string.
func deleteCommand(r offline.Resource) string {
	return fmt.Sprint(r.Inputs["interpreter"], " ", r.Inputs["delete"])
}

func TestTurningAControllerOffRunsItsCleanupFirst(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key, release, cleanup, targets string
	}{
		{"eks-lab:lbController", "aws-load-balancer-controller", "aws-load-balancer-controller-cleanup", "--targets load-balancers"},
		{"eks-lab:externalDns", "external-dns", "external-dns-cleanup", "--targets dns-names"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			on, err := withConfig(t, merged(withDNS, noSamples))
			if err != nil {
				t.Fatal(err)
			}
			off, err := withConfig(t, merged(withDNS, noSamples, map[string]string{tc.key: "false"}))
			if err != nil {
				t.Fatal(err)
			}
			release := must(t, on, tRelease, tc.release)
			cleanup := must(t, on, tCommand, tc.cleanup)
			if !strings.Contains(deleteCommand(cleanup), tc.targets) {
				t.Errorf("%s runs %q, want %s", tc.cleanup, deleteCommand(cleanup), tc.targets)
			}

			// The update deletes what the program no longer registers: the
			// release and the controller's own Cleanup, nothing else of the
			// cleanup (the other Cleanups would run too, deleting members'
			// objects while their controller stays).
			before, after := urns(on), urns(off)
			var dropped []offline.Resource
			for urn, r := range before {
				if _, ok := after[urn]; !ok {
					dropped = append(dropped, r)
				}
			}
			has := func(typ, name string) bool {
				return slices.ContainsFunc(dropped, func(r offline.Resource) bool { return r.Type == typ && r.Name == name })
			}
			if !has(tRelease, tc.release) || !has(tCommand, tc.cleanup) {
				t.Fatalf("turning %s off drops %v; want its release and %s", tc.key, names(dropped), tc.cleanup)
			}
			for _, r := range dropped {
				if r.Type == tCommand && r.Name != tc.cleanup {
					t.Errorf("turning %s off also drops the command %s, which would run now", tc.key, r.Name)
				}
			}

			// Pulumi deletes the Cleanup (running it) before the release: the
			// command depends on the release itself, not on a component.
			if !slices.Contains(cleanup.Dependencies, release.URN) {
				t.Errorf("%s does not depend on the %s release: Pulumi could uninstall the controller first", tc.cleanup, tc.release)
			}
			// And before every other dropped resource of the controller that
			// the controller needs to run (its role, policy, attachments).
			for _, r := range dropped {
				if r.Custom && r.URN != cleanup.URN && !strings.Contains(r.Type, "teardown") && !strings.HasPrefix(r.Type, "pulumi:providers:") &&
					!on.DependsOn(cleanup.URN, r.URN) {
					t.Errorf("%s does not run before %s %s goes", tc.cleanup, r.Type, r.Name)
				}
			}
		})
	}
}

func names(rs []offline.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Type+" "+r.Name)
	}
	slices.Sort(out)
	return out
}

// On destroy every Cleanup runs before any controller goes, after every
// sample object: the DNS cleanup deletes LoadBalancer Services that the
// load balancer controller must still release.
func TestEveryCleanupRunsBeforeEveryControllerOnDestroy(t *testing.T) {
	t.Parallel()
	p := stackPlan(t, "private-nat")
	releases := p.OfType(tRelease)
	commands := p.OfType(tCommand)
	if len(releases) != 2 || len(commands) != 4 {
		t.Fatalf("%d releases and %d cleanup commands, want 2 and 4 (cleanup, pause-cleanup, one per controller)", len(releases), len(commands))
	}
	for _, c := range commands {
		for _, r := range releases {
			if !slices.Contains(c.Dependencies, r.URN) {
				t.Errorf("command %s does not depend on the %s release", c.Name, r.Name)
			}
		}
		if !strings.HasSuffix(deleteCommand(c), "--include-pulumi-owned") {
			t.Errorf("command %s runs %q: on destroy every object must go", c.Name, deleteCommand(c))
		}
	}
	// dev has the Gateway samples: their Gateways, routes and the
	// controller's configurations too. The GatewayClasses are never deleted.
	for _, p := range []*offline.Plan{p, stackPlan(t, "dev")} {
		commands := p.OfType(tCommand)
		for _, r := range p.Resources {
			if r.Custom && strings.HasPrefix(r.Type, "kubernetes:") && r.Type != tRelease && !r.RetainOnDelete {
				for _, c := range commands {
					if !slices.Contains(r.Dependencies, c.URN) {
						t.Errorf("%s: %s %s is not deleted before the %s command runs", p.Stack, r.Type, r.Name, c.Name)
					}
				}
			}
		}
	}
}

// Without any controller the cluster's Cleanup still runs on destroy, and
// pause-cleanup on a pause: EKS's in-tree cloud provider gives LoadBalancer
// Services Classic Load Balancers.
func TestTheClusterCleanupStaysWithoutControllers(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, merged(noSamples, map[string]string{"eks-lab:lbController": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	commands := p.OfType(tCommand)
	if got := names(commands); !slices.Equal(got, []string{tCommand + " cleanup", tCommand + " pause-cleanup"}) {
		t.Fatalf("commands %v, want the cluster's cleanup and pause-cleanup", got)
	}
}

// The cluster's cleanup runs when the cluster is destroyed: with ExternalDNS
// installed it waits one ExternalDNS sync after the objects are gone (their
// records go before ExternalDNS is uninstalled), and it is the only cleanup
// that deletes volumes' claims (a controller's runs while the cluster stays).
func TestTheClusterCleanupWaitsForExternalDNSAndDeletesVolumes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		config  map[string]string
		dnsWait string
	}{
		{"with ExternalDNS", merged(withDNS, noSamples), "--dns-sync-wait 1m30s"},
		{"without ExternalDNS", noSamples, "--dns-sync-wait 0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := withConfig(t, tc.config)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.OfType(tCommand) {
				del := deleteCommand(c)
				if c.Name == "cleanup" && (!strings.Contains(del, tc.dnsWait) || !strings.Contains(del, "--persistent-volumes")) {
					t.Errorf("the cluster's cleanup runs %q, want %s and --persistent-volumes", del, tc.dnsWait)
				}
				if c.Name != "cleanup" && strings.Contains(del, "--persistent-volumes") {
					t.Errorf("%s runs %q: only the cluster's cleanup may delete volumes", c.Name, del)
				}
			}
		})
	}
}
