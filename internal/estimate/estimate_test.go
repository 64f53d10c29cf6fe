package estimate

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestMaxPodsFollowsTheENIFormula(t *testing.T) {
	// Expected values are misc/eni-max-pods.txt of amazon-vpc-cni-k8s.
	for it, want := range map[string]int{
		"t3.medium": 17, "m5.large": 29, "c5.xlarge": 58, "t3.small": 11, "t3.large": 35,
		"t3a.small": 8, "t4g.medium": 17, "m6g.medium": 8, "m5.4xlarge": 234, "c5.9xlarge": 234,
		"m5.16xlarge": 737, "m7i.48xlarge": 737, "c7g.xlarge": 58, "r6i.large": 29,
	} {
		l, err := Limits(it)
		if err != nil {
			t.Errorf("%s: %v", it, err)
			continue
		}
		if got := l.MaxPods(); got != want {
			t.Errorf("%s: %d ENIs x %d IPv4 -> max pods %d, want %d", it, l.ENIs, l.IPv4PerENI, got, want)
		}
	}
	if l, _ := Limits("t3.medium"); l.Addresses() != 18 {
		t.Errorf("t3.medium holds %d addresses with every ENI full, want 3 x 6 = 18", l.Addresses())
	}
}

func TestUnknownInstanceTypesAreNotGuessed(t *testing.T) {
	for _, it := range []string{"m5.medium", "t3.4xlarge", "x9.large", "t3medium", ""} {
		if l, err := Limits(it); err == nil {
			t.Errorf("%s: got %+v, want an error", it, l)
		} else if !strings.Contains(err.Error(), "eni-max-pods.txt") {
			t.Errorf("%s: error %q does not say where to look it up", it, err)
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
		return Node{URN: urn, Type: typ, Name: urn, Parent: parent, Dependencies: deps, Timing: TimingOf(typ, false)}
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
		{URN: "svc", Type: "kubernetes:core/v1:Service", Name: "svc", Dependencies: []string{"release"}, Timing: TimingOf("kubernetes:core/v1:Service", true)},
	}
	d, err := CriticalPaths(nodes)
	if err != nil {
		t.Fatal(err)
	}
	// vpc 0.2 + subnet 0.2 + nat 2 + cluster 10 + nodes 4 + release 2 + LB service 3
	if math.Abs(d.UpMinutes-21.4) > 1e-9 {
		t.Errorf("up %g min, want 21.4", d.UpMinutes)
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

func TestCriticalPathsRejectCycles(t *testing.T) {
	nodes := []Node{
		{URN: "a", Type: "aws:iam/role:Role", Dependencies: []string{"b"}, Timing: Timing{1, 1}},
		{URN: "b", Type: "aws:iam/role:Role", Dependencies: []string{"a"}, Timing: Timing{1, 1}},
	}
	if _, err := CriticalPaths(nodes); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("got %v, want a cycle error", err)
	}
}
