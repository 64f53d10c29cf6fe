package plan

import (
	"fmt"

	"github.com/eks-study/lab/internal/estimate"
)

// NodeCapacity is how many pods a node group holds and whether its subnets
// have the addresses for them (the VPC CNI gives every pod a VPC address).
type NodeCapacity struct {
	NodeGroup      string           `json:"nodeGroup"`
	InstanceType   string           `json:"instanceType"`
	ENIs           int              `json:"enis"`
	IPv4PerENI     int              `json:"ipv4PerEni"`
	VCPUs          int              `json:"vcpus"`
	ENIMaxPods     int              `json:"eniMaxPods"`     // the VPC CNI's limit: ENIs x (IPv4 per ENI - 1) + 2
	MaxPodsPerNode int              `json:"maxPodsPerNode"` // ENIMaxPods capped by EKS; 0 when the type is unknown
	DesiredNodes   int              `json:"desiredNodes"`
	MaxNodes       int              `json:"maxNodes"`
	PodsAtDesired  int              `json:"podsAtDesired"`
	PodsAtMax      int              `json:"podsAtMax"`
	Subnets        []SubnetCapacity `json:"subnets"`
	Note           string           `json:"note,omitempty"`
	InstanceTypes  []string         `json:"instanceTypes,omitempty"` // all the types when several; InstanceType has the fewest pods per node
	// AddressInstanceType, with several types, is the one that takes the most
	// subnet addresses per node, which the subnets' figures count with.
	AddressInstanceType string `json:"addressInstanceType,omitempty"`
}

// SubnetCapacity is one node subnet, with nodes spread evenly over the
// subnets as the node group's Auto Scaling group does.
type SubnetCapacity struct {
	Subnet          string `json:"subnet"`
	AZ              string `json:"az"`
	CIDR            string `json:"cidr"`
	UsableAddresses int    `json:"usableAddresses"` // 2^(32-prefix) - 5
	NodesAtDesired  int    `json:"nodesAtDesired"`
	NodesAtMax      int    `json:"nodesAtMax"`
	// PodAddresses is what is left for pods once the nodes at max size hold
	// the primary addresses of the ENIs their pods need.
	PodAddresses int `json:"podAddresses"`
	// PodsAtMax is nodes at max size x max pods per node.
	PodsAtMax int `json:"podsAtMax"`
	// AddressesAtMax is what those nodes take at max pods: pods and ENIs.
	AddressesAtMax int  `json:"addressesAtMax"`
	Fits           bool `json:"fits"`
}

func estimates(d *Document, opts Options) (Estimates, error) {
	f := gatherFacts(d)
	prices, err := estimate.Prices()
	if err != nil {
		return Estimates{}, err
	}
	durations, err := estimate.CriticalPaths(graph(d, f))
	if err != nil {
		return Estimates{}, err
	}
	return Estimates{
		Capacity: capacity(f),
		Cost:     estimate.Estimate(costInputs(f, opts.SessionHours), prices),
		Duration: durations,
	}, nil
}

func capacity(f *facts) []NodeCapacity {
	out := []NodeCapacity{}
	for _, g := range f.nodeGroups {
		c := NodeCapacity{
			NodeGroup: g.Name, InstanceType: g.InstanceType, DesiredNodes: g.Desired, MaxNodes: g.Max,
			ENIs: g.Type.ENIs, IPv4PerENI: g.Type.IPv4PerENI, VCPUs: g.Type.VCPUs, Subnets: []SubnetCapacity{},
		}
		if len(g.InstanceTypes) > 1 {
			c.InstanceTypes, c.AddressInstanceType = g.InstanceTypes, g.AddressType.Name
		}
		if g.TypeErr != nil {
			c.Note = g.TypeErr.Error()
		} else {
			c.ENIMaxPods, c.MaxPodsPerNode = g.Type.ENIMaxPods(), g.Type.MaxPods()
			c.PodsAtDesired, c.PodsAtMax = g.Desired*c.MaxPodsPerNode, g.Max*c.MaxPodsPerNode
		}
		if g.UnresolvedSubnetCount > 0 {
			c.Note = joinNote(c.Note, fmt.Sprintf("%d node subnets are not in this plan", g.UnresolvedSubnetCount))
		}
		for i, s := range g.Subnets {
			sc := SubnetCapacity{
				Subnet: s.Name, AZ: s.AZ, CIDR: s.CIDR, UsableAddresses: s.Usable,
				NodesAtDesired: share(g.Desired, len(g.Subnets), i), NodesAtMax: share(g.Max, len(g.Subnets), i),
			}
			sc.PodAddresses = s.Usable - sc.NodesAtMax*g.AddressType.ENIsAtMaxPods()
			sc.PodsAtMax = sc.NodesAtMax * c.MaxPodsPerNode
			sc.AddressesAtMax = sc.NodesAtMax * g.AddressType.Addresses()
			sc.Fits = g.TypeErr == nil && sc.AddressesAtMax <= s.Usable
			c.Subnets = append(c.Subnets, sc)
		}
		out = append(out, c)
	}
	return out
}

// share is subnet i's part of n nodes spread over k subnets.
func share(n, k, i int) int {
	if k == 0 {
		return 0
	}
	s := n / k
	if i < n%k {
		s++
	}
	return s
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func costInputs(f *facts, hours float64) estimate.Inputs {
	in := estimate.Inputs{Region: f.region, SessionHours: hours}
	for _, r := range f.doc.OfType(typeEKSComponent) {
		in.EKSClusters = append(in.EKSClusters, "cluster "+orDefault(str(r.Inputs, "name"), r.Name))
	}
	for _, r := range f.doc.OfType(typeEKSCluster) {
		in.EKSClusters = append(in.EKSClusters, "cluster "+orDefault(str(r.Inputs, "name"), r.Name))
	}
	for _, g := range f.nodeGroups {
		in.Instances = append(in.Instances, estimate.InstanceGroup{
			What: "node group " + g.Name, InstanceType: g.InstanceTypes[0], Alternatives: g.InstanceTypes[1:], Count: g.Desired,
			Spot: g.CapacityType == "SPOT",
		})
		in.Volumes = append(in.Volumes, estimate.Volume{What: "node group " + g.Name + " root volumes", VolumeType: g.DiskType, GiB: g.DiskGiB, Count: g.Desired})
		if g.AllSubnetsPublic {
			in.PublicIPv4 = append(in.PublicIPv4, estimate.AddressGroup{What: fmt.Sprintf("%d nodes of %s in public subnets", g.Desired, g.Name), Count: g.Desired})
		}
	}
	for _, i := range f.instances {
		if !i.Stopped {
			in.Instances = append(in.Instances, estimate.InstanceGroup{What: "instance " + i.Name, InstanceType: i.InstanceType, Count: 1})
		}
		in.Volumes = append(in.Volumes, estimate.Volume{What: "instance " + i.Name + " root volume", VolumeType: i.RootType, GiB: i.RootGiB, Count: 1})
		if i.Public {
			in.PublicIPv4 = append(in.PublicIPv4, estimate.AddressGroup{What: "instance " + i.Name, Count: 1})
		}
	}
	for _, r := range f.doc.OfType(typeNatGateway) {
		in.NATGateways = append(in.NATGateways, r.Name)
	}
	for _, r := range f.doc.OfType(typeEip) {
		in.PublicIPv4 = append(in.PublicIPv4, estimate.AddressGroup{What: "Elastic IP " + r.Name, Count: 1})
	}
	azs := f.internetAZs()
	for _, lb := range f.lbs {
		switch lb.Kind {
		case "NLB", "ALB":
			in.LoadBalancers = append(in.LoadBalancers, estimate.LoadBalancer{What: lb.Detail, Kind: lb.Kind})
		default:
			in.Unpriced = append(in.Unpriced, fmt.Sprintf("Load balancer: %s (%s)", lb.Detail, lb.Note))
			continue
		}
		if lb.Internet {
			in.PublicIPv4 = append(in.PublicIPv4, estimate.AddressGroup{What: fmt.Sprintf("internet-facing %s for %s, one per AZ", lb.Kind, lb.Detail), Count: azs})
		}
	}
	return in
}

// graph is the dependency graph with per-resource timings.
func graph(d *Document, f *facts) []estimate.Node {
	balanced := map[string]bool{}
	for _, lb := range f.lbs {
		for _, s := range lb.Sources {
			balanced[s.URN] = true
		}
	}
	nodes := make([]estimate.Node, 0, len(d.Resources))
	for _, r := range d.Resources {
		nodes = append(nodes, estimate.Node{
			URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, Dependencies: r.Dependencies,
			Timing: timing(r, f.region, balanced[r.URN]),
		})
	}
	return nodes
}

// timing is a resource's timing; a Cleanup command's delete includes its
// wait for ExternalDNS.
func timing(r Resource, region string, loadBalanced bool) estimate.Timing {
	t := estimate.TimingOf(r.Type, region, loadBalanced)
	if r.Type == estimate.CommandType {
		t.Delete += dnsSyncWait(r.Inputs).Minutes()
	}
	return t
}
