package estimate

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/eks-study/lab/infra/awsfacts"
)

// Every priced type is a known type, so a plan never prices a type that
// the config check would refuse.
func TestPricedTypesAreKnown(t *testing.T) {
	p, err := Prices()
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range p.RegionNames() {
		r, _ := p.Region(region)
		for typ := range r.EC2Hourly {
			if _, err := awsfacts.Lookup(typ); err != nil {
				t.Errorf("%s: %v", region, err)
			}
		}
	}
}

func TestPriceTableCoversTheLabRegions(t *testing.T) {
	p, err := Prices()
	if err != nil {
		t.Fatal(err)
	}
	if p.Date == "" || p.HoursPerMonth != 730 || p.EKSStandardHourly != 0.10 || p.PublicIPv4Hourly != 0.005 || len(p.Sources) == 0 {
		t.Errorf("table header: date %q, hours/month %g, EKS %g, IPv4 %g, %d sources", p.Date, p.HoursPerMonth, p.EKSStandardHourly, p.PublicIPv4Hourly, len(p.Sources))
	}
	fields := map[string]bool{}
	rt := reflect.TypeOf(RegionPrices{})
	for i := 0; i < rt.NumField(); i++ {
		fields[strings.Split(rt.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	for _, region := range []string{"ap-northeast-2", "ap-northeast-1", "us-east-1", "eu-west-1"} {
		r, ok := p.Region(region)
		if !ok {
			t.Errorf("%s is not priced", region)
			continue
		}
		for _, it := range []string{"t3.small", "t3.medium", "m5.large", "c5.xlarge"} {
			if r.EC2Hourly[it] <= 0 {
				t.Errorf("%s: no price for %s", region, it)
			}
		}
		if r.NATGatewayHourly <= 0 || r.ALBHourly <= 0 || r.NLBHourly <= 0 || r.EBSGp3GBMonth <= 0 {
			t.Errorf("%s: missing rates %+v", region, r)
		}
		for _, u := range r.Unverified {
			if !fields[u] {
				t.Errorf("%s: unverified %q is not a rate of the table", region, u)
			}
		}
	}
	if r, _ := p.Region("us-east-1"); r.EC2Hourly["t3.medium"] != 0.0416 || r.EC2Hourly["m5.large"] != 0.096 {
		t.Errorf("us-east-1 t3.medium %g, m5.large %g; want the price list's 0.0416 and 0.096", r.EC2Hourly["t3.medium"], r.EC2Hourly["m5.large"])
	}
}

func TestEstimateAddsEveryComponent(t *testing.T) {
	p, _ := Prices()
	r, _ := p.Region("us-east-1")
	c := Estimate(Inputs{
		Region: "us-east-1", SessionHours: 8,
		EKSClusters:   []string{"cluster a"},
		Instances:     []InstanceGroup{{What: "nodes", InstanceType: "t3.medium", Count: 3}, {What: "bastion", InstanceType: "t3.small", Count: 1}},
		NATGateways:   []string{"nat-a", "nat-b"},
		LoadBalancers: []LoadBalancer{{What: "svc", Kind: "NLB"}, {What: "ing", Kind: "ALB"}},
		Volumes:       []Volume{{What: "disks", VolumeType: "gp3", GiB: 30, Count: 4}},
		PublicIPv4:    []AddressGroup{{What: "nodes", Count: 3}, {What: "nlb", Count: 3}},
	}, p)
	want := 0.10 + 3*0.0416 + 0.0208 + 2*r.NATGatewayHourly + r.NLBHourly + r.ALBHourly + 120*r.EBSGp3GBMonth/730 + 6*0.005
	if math.Abs(c.HourlyTotal-want) > 1e-6 {
		t.Errorf("hourly total %g, want %g", c.HourlyTotal, want)
	}
	if math.Abs(c.SessionTotal-8*want) > 1e-5 {
		t.Errorf("session total %g, want %g", c.SessionTotal, 8*want)
	}
	if len(c.Items) != 10 || len(c.Unpriced) != 0 {
		t.Errorf("%d items, unpriced %v; want 10 priced items", len(c.Items), c.Unpriced)
	}
	if !strings.Contains(strings.Join(c.Assumptions, "\n"), "data they process is extra") {
		t.Errorf("assumptions do not mention NAT data processing: %v", c.Assumptions)
	}
}

func TestUnknownRegionOrTypeIsUnpriced(t *testing.T) {
	p, _ := Prices()
	c := Estimate(Inputs{Region: "sa-east-1", SessionHours: 8, EKSClusters: []string{"cluster a"}}, p)
	if c.HourlyTotal != 0 || len(c.Unpriced) != 1 || !strings.Contains(c.Unpriced[0], "sa-east-1 is not in "+PriceFile) {
		t.Errorf("unknown region: total %g, unpriced %v", c.HourlyTotal, c.Unpriced)
	}
	c = Estimate(Inputs{Region: "ap-northeast-2", SessionHours: 8,
		Instances: []InstanceGroup{{What: "nodes", InstanceType: "m7g.large", Count: 2}, {What: "bastion", InstanceType: "t3.small", Count: 1}}}, p)
	if c.HourlyTotal != 0.026 || len(c.Unpriced) != 1 || !strings.Contains(c.Unpriced[0], "m7g.large has no ap-northeast-2 price") {
		t.Errorf("unknown type: total %g, unpriced %v", c.HourlyTotal, c.Unpriced)
	}
}

func TestCriticalPathsFollowDependenciesAndParents(t *testing.T) {
	n := func(urn, typ, parent string, deps ...string) Node {
		return Node{URN: urn, Type: typ, Name: urn, Parent: parent, Dependencies: deps, Timing: TimingOf(typ, "ap-northeast-2", false)}
	}
	nodes := []Node{
		n("net", "eks-lab:network:Network", ""),
		n("vpc", "aws:ec2/vpc:Vpc", "net"),
		n("subnet", "aws:ec2/subnet:Subnet", "net", "vpc"),
		n("nat", "aws:ec2/natGateway:NatGateway", "net", "subnet"),
		// Depending on the network component waits for all of its children, the NAT gateway included.
		n("cluster", "eks:index:Cluster", "", "net"),
		n("nodes", "aws:eks/nodeGroup:NodeGroup", "", "cluster"),
		n("role", "aws:iam/role:Role", ""),
		n("release", "kubernetes:helm.sh/v3:Release", "", "nodes", "role"),
		{URN: "svc", Type: "kubernetes:core/v1:Service", Name: "svc", Dependencies: []string{"release"}, Timing: TimingOf("kubernetes:core/v1:Service", "ap-northeast-2", true)},
	}
	d, err := CriticalPaths(nodes)
	if err != nil {
		t.Fatal(err)
	}
	// vpc 0.2 + subnet 0.2 + nat 2 + cluster 14 (Seoul) + nodes 4 + release 2 + LB service 1
	if math.Abs(d.UpMinutes-23.4) > 1e-9 {
		t.Errorf("up %g min, want 23.4", d.UpMinutes)
	}
	var names []string
	for _, s := range d.UpPath {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "vpc subnet nat cluster nodes release svc" {
		t.Errorf("up path %q", got)
	}
	// Destroy: svc 1 + release 1 + nodes 3 + cluster 5 + nat 1 + subnet 0.2 + vpc 0.2
	if math.Abs(d.DestroyMinutes-11.4) > 1e-9 {
		t.Errorf("destroy %g min, want 11.4", d.DestroyMinutes)
	}
	names = nil
	for _, s := range d.DestroyPath {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "svc release nodes cluster nat subnet vpc" {
		t.Errorf("destroy path %q", got)
	}
}

// The control plane's creation is its region's published measurement, the
// slowest region's where none is published; nothing else depends on the region.
func TestControlPlaneCreationByRegion(t *testing.T) {
	for region, want := range map[string]float64{"ap-northeast-2": 14, "eu-west-2": 13.3, "us-west-1": 16.2, "me-central-1": 16.2} {
		for _, typ := range []string{"eks:index:Cluster", "aws:eks/cluster:Cluster"} {
			if got := TimingOf(typ, region, false); got.Create != want || got.Delete != 5 {
				t.Errorf("%s in %s: %+v, want create %g", typ, region, got, want)
			}
		}
		if got := TimingOf("aws:eks/nodeGroup:NodeGroup", region, false); got != (Timing{Create: 4, Delete: 3}) {
			t.Errorf("node group in %s: %+v", region, got)
		}
	}
}

func TestCriticalPathsRejectCycles(t *testing.T) {
	nodes := []Node{
		{URN: "a", Type: "aws:iam/role:Role", Dependencies: []string{"b"}, Timing: Timing{Create: 1, Delete: 1}},
		{URN: "b", Type: "aws:iam/role:Role", Dependencies: []string{"a"}, Timing: Timing{Create: 1, Delete: 1}},
	}
	if _, err := CriticalPaths(nodes); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("got %v, want a cycle error", err)
	}
}

// Each item shows its unit price and its hourly cost, quantity times price.
func TestItemsShowUnitAndHourlyPrice(t *testing.T) {
	p, _ := Prices()
	c := Estimate(Inputs{Region: "us-east-1", SessionHours: 8,
		Instances: []InstanceGroup{{What: "nodes", InstanceType: "t3.medium", Count: 3}}}, p)
	if len(c.Items) != 1 || c.Items[0].UnitHourly != 0.0416 || c.Items[0].Hourly != 0.1248 {
		t.Errorf("items %+v; want 3 x t3.medium at 0.0416, 0.1248 an hour", c.Items)
	}
}

// A rate the table lacks for a region leaves its item unpriced, never priced
// at zero, and the rates no source confirmed are named.
func TestMissingRatesAreUnpricedAndUnverifiedOnesNamed(t *testing.T) {
	p, _ := Prices()
	table := *p
	us, _ := p.Region("us-east-1")
	gaps := us
	gaps.NATGatewayHourly, gaps.ALBHourly, gaps.EBSGp3GBMonth, gaps.Unverified = 0, 0, 0, []string{"nlbHourly"}
	full := us
	full.Unverified = nil
	table.Regions = map[string]RegionPrices{"xx-gaps-1": gaps, "xx-full-1": full}
	in := Inputs{SessionHours: 8, NATGateways: []string{"nat"}, LoadBalancers: []LoadBalancer{{What: "ing", Kind: "ALB"}},
		Volumes: []Volume{{What: "disks", VolumeType: "gp3", GiB: 30, Count: 1}}}

	in.Region = "xx-gaps-1"
	c := Estimate(in, &table)
	unpriced := strings.Join(c.Unpriced, "\n")
	for _, want := range []string{"no NAT gateway rate", "no rate for ALB", "only gp3 volumes are priced"} {
		if !strings.Contains(unpriced, want) {
			t.Errorf("unpriced %q lacks %q", unpriced, want)
		}
	}
	if c.HourlyTotal != 0 || len(c.Unpriced) != 3 {
		t.Errorf("total %g, unpriced %v; want nothing priced", c.HourlyTotal, c.Unpriced)
	}
	if a := strings.Join(c.Assumptions, "\n"); !strings.Contains(a, "Unverified xx-gaps-1 rates (see the price file's notes): nlbHourly.") {
		t.Errorf("assumptions do not name the unverified rate:\n%s", a)
	}

	in.Region = "xx-full-1"
	c = Estimate(in, &table)
	if len(c.Unpriced) != 0 || strings.Contains(strings.Join(c.Assumptions, "\n"), "Unverified") {
		t.Errorf("every rate known and verified: unpriced %v, assumptions %v", c.Unpriced, c.Assumptions)
	}
}

func timed(urn, typ, parent string, deps ...string) Node {
	return Node{URN: urn, Type: typ, Name: urn, Parent: parent, Dependencies: deps, Timing: TimingOf(typ, "ap-northeast-2", false)}
}

// A resource that depends on its own component waits for the component's
// start only, not for its siblings: parenthood already orders them.
func TestCriticalPathsDependencyOnTheParentWaitsForNoSibling(t *testing.T) {
	d, err := CriticalPaths([]Node{
		timed("net", "eks-lab:network:Network", ""),
		timed("nat", "aws:ec2/natGateway:NatGateway", "net"),
		timed("role", "aws:iam/role:Role", "net", "net"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.UpMinutes != 2 || len(d.UpPath) != 1 || d.UpPath[0].Name != "nat" {
		t.Errorf("up %g min along %+v; want the NAT gateway's 2 min alone", d.UpMinutes, d.UpPath)
	}
}

// Ties resolve to the first URN: between two predecessors of equal finish,
// and between two ends of equal length.
func TestCriticalPathsTiesGoToTheFirstURN(t *testing.T) {
	d, err := CriticalPaths([]Node{
		timed("a", "aws:ec2/natGateway:NatGateway", ""),
		timed("b", "aws:ec2/natGateway:NatGateway", ""),
		timed("c", "aws:iam/role:Role", "", "a", "b"),
		timed("d", "aws:ec2/natGateway:NatGateway", ""),
		timed("e", "aws:iam/role:Role", "", "d"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range d.UpPath {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "a c" || math.Abs(d.UpMinutes-2.1) > 1e-9 {
		t.Errorf("up path %q, %g min; want a c, 2.1", got, d.UpMinutes)
	}
}

// A plan shorter than a minute still has its path.
func TestCriticalPathsUnderAMinute(t *testing.T) {
	d, err := CriticalPaths([]Node{timed("role", "aws:iam/role:Role", "")})
	if err != nil {
		t.Fatal(err)
	}
	if d.UpMinutes != 0.1 || len(d.UpPath) != 1 || d.DestroyMinutes != 0.1 || len(d.DestroyPath) != 1 {
		t.Errorf("one IAM role: up %g along %+v, destroy %g along %+v; want 0.1 min and the role each way", d.UpMinutes, d.UpPath, d.DestroyMinutes, d.DestroyPath)
	}
}

// The deletes of what an update drops run in antichains of direct
// dependencies among the dropped: a chain through a kept resource (route
// table) orders nothing, a parent and a component's children do.
func TestDeleteLayersFollowOnlyDirectCondemnedDependencies(t *testing.T) {
	nodes := []Node{
		{URN: "svc", Dependencies: []string{"cleanup"}, Timing: Timing{Delete: 1}},
		{URN: "cleanup", Parent: "cleanupComponent", Dependencies: []string{"nodes"}, Timing: Timing{Delete: 0.5}},
		{URN: "cleanupComponent"},
		{URN: "nodes", Dependencies: []string{"routes"}, Timing: Timing{Delete: 3}},
		{URN: "routes", Dependencies: []string{"nat"}}, // kept
		{URN: "nat", Dependencies: []string{"eip"}, Timing: Timing{Delete: 1}},
		{URN: "eip", Timing: Timing{Delete: 0.1}},
		{URN: "sample", Dependencies: []string{"cleanupComponent"}}, // on a component: on its children
	}
	condemned := map[string]bool{"svc": true, "cleanup": true, "cleanupComponent": true, "nodes": true, "nat": true, "eip": true, "sample": true}
	layers, err := DeleteLayers(nodes, condemned)
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, l := range layers {
		for _, u := range l {
			at[u] = i
		}
	}
	for _, before := range [][2]string{{"svc", "cleanup"}, {"cleanup", "cleanupComponent"}, {"cleanup", "nodes"}, {"sample", "cleanup"}, {"nat", "eip"}} {
		if at[before[0]] >= at[before[1]] {
			t.Errorf("%s (layer %d) does not go before %s (layer %d): %v", before[0], at[before[0]], before[1], at[before[1]], layers)
		}
	}
	// nodes -> routes (kept) -> nat: no order between them; both depth 0 or
	// 1 here, so nodes shares a layer with nat or comes after it.
	if at["nodes"] < at["nat"] {
		t.Errorf("a kept resource in between ordered nodes before nat: %v", layers)
	}
	p, err := Pause(nodes, condemned, map[string]float64{})
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for _, l := range layers {
		var m float64
		for _, u := range l {
			for _, n := range nodes {
				if n.URN == u {
					m = max(m, n.Timing.Delete)
				}
			}
		}
		want += m
	}
	if p.Minutes != round(want) {
		t.Errorf("pause %g min, want the sum of each layer's slowest delete %g", p.Minutes, want)
	}
}

// A resume's releases wait for pods that start when the node group is back,
// every release's at once: the one that waits for the other's upgrade is
// done with Helm's own part; without a node group to wait for, an upgrade
// weighs its update time.
func TestResumeReleasesWaitForTheirPodsFromWhenTheNodesAreBack(t *testing.T) {
	n := func(urn, typ string, deps ...string) Node {
		return Node{URN: urn, Type: typ, Name: urn, Dependencies: deps, Timing: TimingOf(typ, "ap-northeast-2", typ == "kubernetes:gateway.networking.k8s.io/v1:Gateway")}
	}
	nodes := []Node{
		n("nodes", NodeGroupType),
		n("lbc", ReleaseType, "nodes"),
		n("edns", ReleaseType, "lbc"),
		n("gateway", "kubernetes:gateway.networking.k8s.io/v1:Gateway", "edns"),
	}
	updated := map[string]float64{"lbc": 2, "edns": 2}
	r, err := Resume(nodes, map[string]bool{"nodes": true, "gateway": true}, updated)
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, s := range r.Path {
		path = append(path, fmt.Sprintf("%s %g", s.Name, s.Minutes))
	}
	// nodes 4 + the controller's pods 2 + ExternalDNS's upgrade 0.2 + the gateway 1
	if r.Minutes != 7.2 || strings.Join(path, ", ") != "nodes 4, lbc 2, edns 0.2, gateway 1" {
		t.Errorf("resume %g min along %v, want 7.2 along nodes 4, lbc 2, edns 0.2, gateway 1", r.Minutes, path)
	}
	r, err = Resume(nodes, map[string]bool{"gateway": true}, updated)
	if err != nil {
		t.Fatal(err)
	}
	if r.Minutes != 5 {
		t.Errorf("upgrades with no node group to wait for: %g min, want 2 + 2 + 1", r.Minutes)
	}
}
