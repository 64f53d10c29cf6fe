package estimate

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Timing is how long the engine waits on one resource, in minutes.
type Timing struct {
	Create float64
	Delete float64
	Update float64 // in place; 0: as Create
}

// Timings by type token. These are typical wall times, not measurements of
// this project: the EKS control plane's creation is measured per region
// (controlPlaneCreate) and its deletion takes a few minutes; a managed node
// group joins in 3-5 minutes; a NAT gateway becomes available in 1-2 minutes
// and takes about a minute to delete; pulumi-kubernetes waits for a Helm
// release's workloads to become ready (a minute or two for the controllers'
// images) and for a LoadBalancer Service, an Ingress or a Gateway until the
// load balancer controller writes its load balancer's address, about a
// minute: the controller writes it once it has created the load balancer,
// its target groups and listeners, not once the load balancer is active
// (aws-load-balancer-controller v3.5.0: controllers/service/service_controller.go
// updates the Service's status right after deployModel, which has no waiter;
// controllers/gateway/gateway_controller.go sets a Gateway's addresses while
// Programmed is Unknown, "while ALB is provisioning"), so the load balancer
// answers 2-3 minutes after pulumi up is done; deleting such an object waits
// for the controller's finalizer, i.e. for the load balancer to go.
// IAM, VPC plumbing and Kubernetes objects are seconds. Adjust the table when
// real runs differ: the acceptance test prints each type's measured times
// next to it (docs/acceptance.md).
var Timings = map[string]Timing{
	"eks:index:Cluster":                                   {Delete: 5}, // pulumi-eks: control plane, OIDC provider, access entries; Create: ControlPlaneCreate
	"aws:eks/cluster:Cluster":                             {Delete: 5},
	NodeGroupType:                                         {Create: 4, Delete: 3},
	"aws:eks/addon:Addon":                                 {Create: 1, Delete: 0.5},
	"aws:eks/accessEntry:AccessEntry":                     {Create: 0.1, Delete: 0.1},
	"aws:ec2/natGateway:NatGateway":                       {Create: 2, Delete: 1},
	"aws:ec2/eip:Eip":                                     {Create: 0.1, Delete: 0.1},
	"aws:ec2/instance:Instance":                           {Create: 1, Delete: 1},
	"aws:ec2/vpc:Vpc":                                     {Create: 0.2, Delete: 0.2},
	"aws:ec2/subnet:Subnet":                               {Create: 0.2, Delete: 0.2},
	"aws:ec2/internetGateway:InternetGateway":             {Create: 0.2, Delete: 0.5},
	"aws:ec2/routeTable:RouteTable":                       {Create: 0.1, Delete: 0.1, Update: 0.1},
	"aws:ec2/routeTableAssociation:RouteTableAssociation": {Create: 0.1, Delete: 0.1},
	"aws:ec2/securityGroup:SecurityGroup":                 {Create: 0.2, Delete: 0.2},
	"aws:ec2/securityGroupRule:SecurityGroupRule":         {Create: 0.1, Delete: 0.1},
	"aws:ec2/launchTemplate:LaunchTemplate":               {Create: 0.1, Delete: 0.1},
	"aws:iam/role:Role":                                   {Create: 0.1, Delete: 0.1},
	"aws:iam/policy:Policy":                               {Create: 0.1, Delete: 0.1},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":   {Create: 0.1, Delete: 0.1},
	"aws:iam/instanceProfile:InstanceProfile":             {Create: 0.2, Delete: 0.1},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider": {Create: 0.1, Delete: 0.1},
	"aws:cloudwatch/logGroup:LogGroup":                    {Create: 0.1, Delete: 0.1},
	"aws:route53/record:Record":                           {Create: 1, Delete: 1},
	ReleaseType:                                           {Create: 2, Delete: 1},
	"kubernetes:helm.sh/v4:Chart":                         {Create: 2, Delete: 1},
	"kubernetes:apps/v1:Deployment":                       {Create: 1, Delete: 0.5},
	"kubernetes:apps/v1:DaemonSet":                        {Create: 1, Delete: 0.5},
	"kubernetes:core/v1:Namespace":                        {Create: 0.1, Delete: 0.5},
	// Stops or starts the bastion and waits (the EC2 instance's figure).
	InstanceStateType: {Create: 1, Update: 1},
	// A Cleanup: lab cleanup's delete, plus its --dns-sync-wait (the plan adds it).
	CommandType: {Delete: 0.5},
}

// Span is a duration in minutes as the plan shows it: seconds under a
// minute, else whole minutes.
func Span(m float64) string {
	if m < 1 {
		return fmt.Sprintf("%.0f s", m*60)
	}
	return fmt.Sprintf("%.0f min", m)
}

// CommandType is the Cleanup's command.
const CommandType = "command:local:Command"

// ReleaseType is a Helm release's, NodeGroupType a managed node group's,
// InstanceStateType the bastion's running or stopped state's.
const (
	ReleaseType       = "kubernetes:helm.sh/v3:Release"
	NodeGroupType     = "aws:eks/nodeGroup:NodeGroup"
	InstanceStateType = "aws:ec2transitgateway/instanceState:InstanceState"
)

// helmUpgradeMinutes is Helm's own part of an upgrade, without waiting for
// pods: render the chart, patch what changed, record the release.
const helmUpgradeMinutes = 0.2

// UpdateMinutes is how long an in-place update of a resource of typ takes,
// given its new inputs: a Helm release upgrade waits for the chart's
// workloads unless skipAwait (a paused lab's); otherwise the type's Update,
// else its Create.
func UpdateMinutes(typ, region string, inputs map[string]any) float64 {
	t := TimingOf(typ, region, false)
	switch {
	case typ == ReleaseType && inputs["skipAwait"] == true:
		return helmUpgradeMinutes
	case t.Update > 0:
		return t.Update
	}
	return t.Create
}

// controlPlaneCreate is the minutes an EKS control plane takes to create, by
// region: one cluster of identical configuration created in each of 21
// regions, "Unofficial EKS Cluster Creation Performance" (Eason Cao,
// https://easontechtalk.com/unofficial-eks-cluster-creation-performance-across-aws-regions;
// the copy read in 2026 shows no publication date), seconds / 60 rounded up
// to a tenth. The regions that copy cuts off (eu-south-1 and the slower
// rest) get ControlPlaneCreate's default. A real run's time is what the
// acceptance test prints next to it.
var controlPlaneCreate = map[string]float64{
	"eu-west-2":      13.3, // 792.85 s
	"ap-northeast-2": 14,   // 834.38 s
	"ap-southeast-2": 14.1, // 840.96 s
	"eu-west-3":      14.3, // 854.17 s
	"sa-east-1":      14.4, // 860.00 s
	"ap-northeast-1": 14.9, // 893.76 s
	"ap-southeast-1": 15,   // 897.10 s
	"us-west-2":      15,   // 899.90 s
	"us-east-2":      15.1, // 904.62 s
	"eu-west-1":      15.3, // 912.86 s
	"ca-central-1":   15.3, // 913.77 s
	"eu-central-1":   15.3, // 916.08 s
	"eu-north-1":     15.4, // 919.79 s
	"af-south-1":     15.7, // 936.71 s
	"ap-south-1":     16.1, // 965.44 s
	"ap-east-1":      16.2, // 968.06 s
	"us-west-1":      16.2, // 970.99 s
}

// ControlPlaneCreate is the minutes an EKS control plane takes to create in
// region; for a region the measurements do not list, the slowest region
// measured: an estimate should not promise more than any region delivered.
func ControlPlaneCreate(region string) float64 {
	if m, ok := controlPlaneCreate[region]; ok {
		return m
	}
	return slices.Max(slices.Collect(maps.Values(controlPlaneCreate)))
}

// controlPlaneTypes are the types whose creation is an EKS control plane's.
var controlPlaneTypes = map[string]bool{"eks:index:Cluster": true, "aws:eks/cluster:Cluster": true}

// Timings of load-balanced Kubernetes objects, which depend on their spec.
var (
	loadBalancerTiming = Timing{Create: 1, Delete: 1}
	kubernetesTiming   = Timing{Create: 0.1, Delete: 0.1}
	defaultTiming      = Timing{Create: 0.2, Delete: 0.2}
)

// TimingOf returns a resource's timing in a region. Providers and this
// project's components (type package eks-lab) take no time themselves.
func TimingOf(typ, region string, loadBalanced bool) Timing {
	switch {
	case loadBalanced:
		return loadBalancerTiming
	case strings.HasPrefix(typ, "pulumi:providers:"), strings.HasPrefix(typ, "eks-lab:"):
		return Timing{}
	}
	if t, ok := Timings[typ]; ok {
		if controlPlaneTypes[typ] {
			t.Create = ControlPlaneCreate(region)
		}
		return t
	}
	if strings.HasPrefix(typ, "kubernetes:") {
		return kubernetesTiming
	}
	return defaultTiming
}

// Node is one resource of the graph.
type Node struct {
	URN, Type, Name string
	Parent          string   // parent URN; "" or unknown = the stack
	Dependencies    []string // URNs it depends on
	Timing          Timing
}

// Durations are the estimated wall times of `pulumi up` and `pulumi destroy`.
type Durations struct {
	UpMinutes      float64  `json:"upMinutes"`
	DestroyMinutes float64  `json:"destroyMinutes"`
	UpPath         []Step   `json:"upCriticalPath"`
	DestroyPath    []Step   `json:"destroyCriticalPath"`
	Assumptions    []string `json:"assumptions"`
}

// Step is one resource on a critical path.
type Step struct {
	URN     string  `json:"urn"`
	Type    string  `json:"type"`
	Name    string  `json:"name"`
	Minutes float64 `json:"minutes"`
}

// PathString is a critical path as the plan prints it: each step's type
// (the last part of its token: NodeGroup, Release), name and time.
func PathString(steps []Step) string {
	parts := make([]string, 0, len(steps))
	for _, s := range steps {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", s.Type[strings.LastIndex(s.Type, ":")+1:], s.Name, Span(s.Minutes)))
	}
	return strings.Join(parts, " -> ")
}

// CriticalPaths computes the longest chains of waits. Creation: a child
// starts after its parent, and a resource starts after everything it depends
// on is done, where depending on a component means depending on all of its
// descendants (as the engine does). Destroy reverses every edge.
func CriticalPaths(nodes []Node) (Durations, error) {
	byURN, up, down := orderGraph(nodes)
	d := Durations{
		Assumptions: []string{
			"Each resource waits for its parent and for everything it depends on (all of a component's children included); independent resources proceed in parallel, as `pulumi up` does.",
			"`pulumi destroy` runs the same graph backwards: dependents and children go first.",
			"Per-type times are typical, not measured by this project: EKS control plane 13.3-16.2 min to create by region (published per-region measurements, internal/estimate controlPlaneCreate) and 5 to delete, managed node group 4/3, NAT gateway 2/1, Helm release 2/1, LoadBalancer Service, ALB Ingress or Gateway 1/1 (until the controller writes the load balancer's address, which answers 2-3 minutes later, once provisioned; until it is deleted), EKS add-on 1/0.5, EC2 instance 1/1, IAM, VPC and Kubernetes objects seconds.",
		},
	}
	var err error
	if d.UpMinutes, d.UpPath, err = longest(nodes, byURN, up, func(n *Node, _ float64) float64 { return n.Timing.Create }); err != nil {
		return d, fmt.Errorf("create order: %w", err)
	}
	if d.DestroyMinutes, d.DestroyPath, err = longest(nodes, byURN, down, func(n *Node, _ float64) float64 { return n.Timing.Delete }); err != nil {
		return d, fmt.Errorf("destroy order: %w", err)
	}
	return d, nil
}

// weightFunc is how long a node takes once it starts at start (minutes
// after the update began).
type weightFunc func(n *Node, start float64) float64

// schedule runs the DAG as the engine does, every node as soon as all its
// predecessors are done, visiting nodes in URN order so that ties resolve
// the same way every run. It returns when each node finishes, what it
// weighed, and the predecessor it waited for last.
func schedule(nodes []Node, byURN map[string]*Node, next map[string]map[string]bool, weight weightFunc) (finish, took map[string]float64, prev map[string]string, err error) {
	urns := make([]string, 0, len(nodes))
	indegree := map[string]int{}
	for _, n := range nodes {
		urns = append(urns, n.URN)
	}
	slices.Sort(urns)
	for _, bs := range next {
		for b := range bs {
			indegree[b]++
		}
	}
	finish, took, prev = map[string]float64{}, map[string]float64{}, map[string]string{}
	var queue []string
	for _, u := range urns {
		if indegree[u] == 0 {
			queue = append(queue, u)
		}
	}
	done := 0
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		done++
		took[u] = weight(byURN[u], finish[u]) // finish[u] holds its start until here
		finish[u] += took[u]
		succ := make([]string, 0, len(next[u]))
		for b := range next[u] {
			succ = append(succ, b)
		}
		slices.Sort(succ)
		for _, b := range succ {
			if _, seen := prev[b]; !seen || finish[u] > finish[b] {
				finish[b], prev[b] = finish[u], u
			}
			if indegree[b]--; indegree[b] == 0 {
				queue = append(queue, b)
			}
		}
	}
	if done != len(urns) {
		return nil, nil, nil, fmt.Errorf("the dependency graph has a cycle")
	}
	return finish, took, prev, nil
}

// longest is the heaviest path of the DAG: when its last node finishes,
// and the nodes that took time along it.
func longest(nodes []Node, byURN map[string]*Node, next map[string]map[string]bool, weight weightFunc) (float64, []Step, error) {
	finish, took, prev, err := schedule(nodes, byURN, next, weight)
	if err != nil {
		return 0, nil, err
	}
	end, best := "", -1.0
	for _, n := range nodes {
		if u := n.URN; finish[u] > best || (finish[u] == best && u < end) {
			end, best = u, finish[u]
		}
	}
	var path []Step
	for u := end; u != ""; u = prev[u] {
		if w := took[u]; w > 0 {
			n := byURN[u]
			path = append(path, Step{URN: n.URN, Type: n.Type, Name: n.Name, Minutes: round(w)})
		}
	}
	slices.Reverse(path)
	if path == nil {
		path = []Step{}
	}
	return round(best), path, nil
}

// orderGraph is the create order of nodes (up: a resource before what
// depends on it and before its children, a component's dependents after
// all its children) and its reverse, the destroy order (down).
func orderGraph(nodes []Node) (byURN map[string]*Node, up, down map[string]map[string]bool) {
	byURN = map[string]*Node{}
	for i := range nodes {
		byURN[nodes[i].URN] = &nodes[i]
	}
	children := map[string][]string{}
	for _, n := range nodes {
		if _, ok := byURN[n.Parent]; ok {
			children[n.Parent] = append(children[n.Parent], n.URN)
		}
	}
	var subtree func(urn string, out []string) []string
	subtree = func(urn string, out []string) []string {
		out = append(out, urn)
		for _, c := range children[urn] {
			out = subtree(c, out)
		}
		return out
	}
	ancestor := func(a, of string) bool {
		for p := byURN[of].Parent; p != ""; {
			if p == a {
				return true
			}
			n, ok := byURN[p]
			if !ok {
				return false
			}
			p = n.Parent
		}
		return false
	}

	// up[a] holds b when a must be done before b starts.
	up = map[string]map[string]bool{}
	edge := func(a, b string) {
		if a == b {
			return
		}
		if up[a] == nil {
			up[a] = map[string]bool{}
		}
		up[a][b] = true
	}
	for _, n := range nodes {
		if _, ok := byURN[n.Parent]; ok {
			edge(n.Parent, n.URN)
		}
		for _, d := range n.Dependencies {
			if _, ok := byURN[d]; !ok || ancestor(d, n.URN) {
				continue // outside the plan, or already ordered by parenthood
			}
			for _, m := range subtree(d, nil) {
				edge(m, n.URN)
			}
		}
	}
	down = map[string]map[string]bool{}
	for a, bs := range up {
		for b := range bs {
			if down[b] == nil {
				down[b] = map[string]bool{}
			}
			down[b][a] = true
		}
	}

	return byURN, up, down
}
