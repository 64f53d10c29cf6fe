package tests

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/plan"
)

const tInstanceState = "aws:ec2transitgateway/instanceState:InstanceState"

// bothStates is a stack's running plan and its paused plan (in an account
// holding the lab), and what a pause deletes (condemned) and updates.
func bothStates(t *testing.T, stack string) (running, paused *offline.Plan, condemned map[string]bool, onPause map[string]float64) {
	t.Helper()
	running, paused, err := mock.BothStates(root, stack, nil)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	condemned, onPause, _, err = plan.Transitions(running, paused, "")
	if err != nil {
		t.Fatal(err)
	}
	return running, paused, condemned, onPause
}

// nodes is a plan's graph for estimate.DeleteLayers.
func nodes(p *offline.Plan) []estimate.Node {
	var out []estimate.Node
	for _, r := range p.Resources {
		out = append(out, estimate.Node{URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, Dependencies: r.Dependencies})
	}
	return out
}

// layerOf is the antichain each condemned resource is deleted in.
func layerOf(t *testing.T, g []estimate.Node, condemned map[string]bool) map[string]int {
	t.Helper()
	layers, err := estimate.DeleteLayers(g, condemned)
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, l := range layers {
		for _, u := range l {
			at[u] = i
		}
	}
	return at
}

// deletedBefore asserts that every resource of each group is deleted in an
// earlier antichain than every resource of the next group.
func deletedBefore(t *testing.T, at map[string]int, groups ...[]offline.Resource) {
	t.Helper()
	for i := 0; i+1 < len(groups); i++ {
		for _, a := range groups[i] {
			for _, b := range groups[i+1] {
				if at[a.URN] >= at[b.URN] {
					t.Errorf("%s %s (antichain %d) is not deleted before %s %s (antichain %d)", a.Type, a.Name, at[a.URN], b.Type, b.Name, at[b.URN])
				}
			}
		}
	}
}

func loadBalanced(p *offline.Plan) []offline.Resource {
	var out []offline.Resource
	for _, r := range p.OfType("kubernetes:core/v1:Service") {
		if offline.Get(r.Inputs, "spec.type") == "LoadBalancer" {
			out = append(out, r)
		}
	}
	return append(out, p.OfType("kubernetes:networking.k8s.io/v1:Ingress")...)
}

func condemnedOf(rs []offline.Resource, condemned map[string]bool) []offline.Resource {
	var out []offline.Resource
	for _, r := range rs {
		if condemned[r.URN] {
			out = append(out, r)
		}
	}
	return out
}

// A pause is one pulumi up whose updates all finish before its first delete
// (Pulumi's engine), so the order that matters is the deletes': sample load
// balancers, then every cleanup (members' load balancers and records),
// then the nodes, then the NAT gateways, then their elastic IPs. Nothing the
// cleanups need is updated.
func TestPauseDeletesInOrderAndUpdatesNothingTheCleanupsNeed(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "private-nat", "pod-identity"} {
		t.Run(stack, func(t *testing.T) {
			running, paused, condemned, onPause := bothStates(t, stack)
			at := layerOf(t, nodes(running), condemned)
			commands := condemnedOf(running.OfType(tCommand), condemned)
			groups := [][]offline.Resource{loadBalanced(running), commands, running.OfType(tNodeGroup)}
			if stack == "private-nat" {
				groups = append(groups, running.OfType(tNat), running.OfType(tEip))
			}
			for _, g := range groups {
				if len(g) == 0 {
					t.Fatalf("an empty group in %v", groups)
				}
				if got := condemnedOf(g, condemned); len(got) != len(g) {
					t.Errorf("a pause keeps %s: %v", g[0].Type, names(g))
				}
			}
			deletedBefore(t, at, groups...)
			// The cleanups that run: pause-cleanup and one per controller.
			var ran []string
			for _, c := range commands {
				ran = append(ran, c.Name)
			}
			if !slices.Contains(ran, "pause-cleanup") || !slices.Contains(ran, "aws-load-balancer-controller-cleanup") {
				t.Errorf("cleanups run by a pause: %v, want pause-cleanup and each controller's", ran)
			}
			if _, kept := paused.Find(tCommand, "cleanup"); !kept {
				t.Errorf("the destroy cleanup must stay while paused")
			}

			var updated []string
			for urn := range onPause {
				r, _ := running.ByURN(urn)
				updated = append(updated, r.Type+" "+r.Name)
			}
			slices.Sort(updated)
			want := []string{tInstanceState + " bastion", tRelease + " aws-load-balancer-controller"}
			if stack != "dev" {
				want = append(want, tRelease+" external-dns")
			}
			if !slices.Equal(updated, want) {
				t.Errorf("a pause updates %v, want only %v (updates run before the cleanups)", updated, want)
			}
		})
	}
}

// The edges the order rests on are direct: Pulumi orders the deletes of
// dropped resources only by dependencies among them.
func TestPauseEdgesAreDirect(t *testing.T) {
	t.Parallel()
	running, _, condemned, _ := bothStates(t, "private-nat")
	group := must(t, running, tNodeGroup, "myeks-nodes")
	nats := running.OfType(tNat)
	for _, c := range condemnedOf(running.OfType(tCommand), condemned) {
		for _, dep := range append([]offline.Resource{group}, nats...) {
			if !slices.Contains(c.Dependencies, dep.URN) {
				t.Errorf("cleanup command %s does not depend directly on %s %s", c.Name, dep.Type, dep.Name)
			}
		}
	}
	for _, dep := range nats {
		if !slices.Contains(group.Dependencies, dep.URN) {
			t.Errorf("the node group does not depend on NAT %s: a resume boots private nodes without egress", dep.Name)
		}
	}
	var routes int
	for _, rt := range running.OfType(tRouteTable) {
		if strings.Contains(rt.Name, "private") {
			routes++
			if !slices.Contains(group.Dependencies, rt.URN) {
				t.Errorf("the node group does not depend on route table %s", rt.Name)
			}
		}
	}
	if routes != 3 {
		t.Errorf("%d private route tables, want 3", routes)
	}
}

// A pause from a state written before the NAT edge existed: the layering
// still runs every cleanup before the NAT gateways go.
func TestPauseFromAnOlderStateStillCleansUpFirst(t *testing.T) {
	t.Parallel()
	running, _, condemned, _ := bothStates(t, "private-nat")
	natURNs := map[string]bool{}
	for _, n := range running.OfType(tNat) {
		natURNs[n.URN] = true
	}
	g := nodes(running)
	for i := range g {
		g[i].Dependencies = slices.DeleteFunc(slices.Clone(g[i].Dependencies), func(d string) bool { return natURNs[d] && g[i].Type != tRouteTable })
	}
	at := layerOf(t, g, condemned)
	deletedBefore(t, at, condemnedOf(running.OfType(tCommand), condemned), running.OfType(tNat))
}

// The paused program: no node group, NAT, elastic IP, sample or
// pause-cleanup; private routes, bastion settings ignored; the bastion
// stopped; outputs say so.
func TestPausedPlan(t *testing.T) {
	t.Parallel()
	_, paused, _, _ := bothStates(t, "private-nat")
	for _, typ := range []string{tNodeGroup, tNat, tEip, "kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress", "eks-lab:workloads:Workloads"} {
		if got := paused.OfType(typ); len(got) > 0 {
			t.Errorf("paused plan has %s: %v", typ, names(got))
		}
	}
	if _, ok := paused.Find(tCommand, "pause-cleanup"); ok {
		t.Errorf("pause-cleanup is registered while paused: the pause would not run it")
	}
	for _, rt := range paused.OfType(tRouteTable) {
		if strings.Contains(rt.Name, "private") && !slices.Contains(rt.IgnoreChanges, "routes") {
			t.Errorf("route table %s updates its routes while paused (ignoreChanges %v): the update would cut egress before the cleanups", rt.Name, rt.IgnoreChanges)
		}
	}
	inst := must(t, paused, "aws:ec2/instance:Instance", "bastion")
	for _, k := range []string{"ami", "userData", "instanceType"} {
		if !slices.Contains(inst.IgnoreChanges, k) {
			t.Errorf("the stopped bastion does not ignore %s: a change would start it", k)
		}
	}
	if s := must(t, paused, tInstanceState, "bastion"); s.Inputs["state"] != "stopped" {
		t.Errorf("bastion state %v, want stopped", s.Inputs["state"])
	}
	for _, r := range paused.OfType(tRelease) {
		if r.Inputs["skipAwait"] != true {
			t.Errorf("release %s waits for pods while paused", r.Name)
		}
	}
	o := paused.Outputs
	if o["paused"] != true || o["bastionPublicIp"] != "" || o["sshCommand"] != "" || o["ssmCommand"] != "" {
		t.Errorf("paused outputs: paused %v, bastionPublicIp %q, sshCommand %q, ssmCommand %q", o["paused"], o["bastionPublicIp"], o["sshCommand"], o["ssmCommand"])
	}
	if _, ok := o["tetrisUrl"]; ok {
		t.Errorf("sample URL outputs while paused: %v", slices.Sorted(maps.Keys(o)))
	}
}

// A lab is paused after it has been up: in an account without its cluster
// the program refuses before registering anything.
func TestPauseOfALabThatIsNotUpIsRefused(t *testing.T) {
	t.Parallel()
	p, err := withConfig(t, map[string]string{"eks-lab:paused": "true"})
	want := "eks-lab:paused = true but cluster myeks does not exist in ap-northeast-2: a lab is paused after it has been up; run pulumi config rm eks-lab:paused, then pulumi up"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if len(p.Resources) > 1 {
		t.Errorf("%d resources registered before the refusal", len(p.Resources))
	}
}

// Resume: the releases wait for the node group, the samples for the
// releases and the cleanups; the figures are the plan's.
func TestResumeWaitsForNodesBeforeControllersAndSamples(t *testing.T) {
	t.Parallel()
	running, _, _, _ := bothStates(t, "private-nat")
	group := must(t, running, tNodeGroup, "myeks-nodes")
	for _, r := range running.OfType(tRelease) {
		if !slices.Contains(r.Dependencies, group.URN) {
			t.Errorf("release %s does not wait for the node group", r.Name)
		}
	}
	s := bothStatesPlan(t, root, "private-nat", nil).Estimates.States
	var path []string
	for _, st := range s.Resume.Path {
		path = append(path, st.Type)
	}
	// The NAT comes back before the nodes, the controllers before the samples.
	order := []string{tEip, tNat, tRouteTable, tNodeGroup, tRelease}
	var seen []string
	for _, typ := range path {
		if slices.Contains(order, typ) && !slices.Contains(seen, typ) {
			seen = append(seen, typ)
		}
	}
	if !slices.Equal(seen, order) {
		t.Errorf("resume critical path %v, want %v in order", path, order)
	}
}

// A resume's release upgrades change nothing but Helm's wait, however long
// the lab was paused (the expiry moves with each update): Helm then patches
// no object and waits for the pods the pause left Pending, which the resume
// estimate rests on (estimate.Resume). A changed value would restart the
// controllers after their pods came up.
func TestResumeUpgradesChangeOnlyHelmsWait(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "private-nat", "pod-identity"} {
		t.Run(stack, func(t *testing.T) {
			running := stackPlan(t, stack)
			cfg, err := offline.LoadStack(root, stack, map[string]string{"eks-lab:paused": "true"})
			if err != nil {
				t.Fatal(err)
			}
			cfg.At = offline.Now.Add(30 * time.Hour) // paused a day after the first up
			paused, err := mock.RunState(cfg)
			if err != nil {
				t.Fatal(err)
			}
			releases := running.OfType(tRelease)
			if len(releases) == 0 {
				t.Fatal("no release")
			}
			for _, r := range releases {
				p := must(t, paused, tRelease, r.Name)
				if got := plan.Changed(p.Inputs, r.Inputs, r.IgnoreChanges); !slices.Equal(got, []string{"skipAwait"}) {
					t.Errorf("resuming release %s changes %v, want only skipAwait", r.Name, got)
				}
			}
		})
	}
}
