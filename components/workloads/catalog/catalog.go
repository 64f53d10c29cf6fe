// Package catalog is the lab's sample workloads as data: one row per sample
// with its config key, default and description (Pulumi.yaml's samples
// section is generated from the rows), what it needs (the AWS Load Balancer
// Controller, ExternalDNS), the stack outputs it gives and its section of
// docs/samples.md; and the load balancer annotations the samples use. Config
// loading and validation, `lab plan`, the tests and the docs read it; the
// workloads component has one builder per row. Pure Go, without the Pulumi
// SDKs.
//
// Adding a sample: a row here, its builder in components/workloads, its
// test (docs/architecture.md, "Adding a sample").
package catalog

import (
	"fmt"
	"maps"
	"slices"
)

// Sample is one sample workload of the networking week.
type Sample struct {
	// Key is the sample's config key (eks-lab:<Key>), a boolean that turns it on.
	Key string
	// Name is how messages name the sample.
	Name string
	// Description is the key's description in Pulumi.yaml (and so in docs/configuration.md).
	Description string
	// Default is the key's default.
	Default bool
	// Namespace is the Kubernetes namespace that holds the sample's objects.
	Namespace string
	// Lesson is what the sample shows, for docs/samples.md's table.
	Lesson string
	// NeedsLBController is true when the sample's Service or Ingress gets its
	// load balancer from the AWS Load Balancer Controller.
	NeedsLBController bool
	// NeedsExternalDNS is true when the sample's name is published by ExternalDNS.
	NeedsExternalDNS bool
	// NeedsGatewayAPI is true when the sample is made of Gateway API objects:
	// the program then installs Gateway API's CRDs and GatewayClasses.
	NeedsGatewayAPI bool
	// Outputs are the stack outputs the sample gives (its URLs), in order.
	Outputs []string
	// Doc is the heading of the sample's section of docs/samples.md.
	Doc string
}

// The samples' config keys.
const (
	EchoNLB          = "sampleEchoNlb"
	ProxyProtocolNLB = "sampleProxyProtocolNlb"
	InstanceModeNLB  = "sampleInstanceModeNlb"
	Game2048ALB      = "sample2048Alb"
	Tetris           = "sampleTetris"
	GatewayALB       = "sampleGatewayAlb"
	GatewayNLB       = "sampleGatewayNlb"
	Netshoot         = "sampleNetshoot"
	Iperf3           = "sampleIperf3"
	KubeOpsView      = "sampleKubeOpsView"
)

// Stack output names of the sample URLs.
const (
	OutEchoNLB             = "echoNlbUrl"
	OutProxyProtocolNLB    = "proxyProtocolNlbUrl"
	OutInstanceModeCluster = "instanceModeClusterUrl"
	OutInstanceModeLocal   = "instanceModeLocalUrl"
	OutGame2048            = "game2048Url"
	OutTetris              = "tetrisUrl"
	OutGatewayALB          = "gatewayAlbUrl"
	OutGatewayNLB          = "gatewayNlbUrl"
)

// GatewayALBHost is the ALB Gateway sample's host under the domain, when
// ExternalDNS publishes it: blue-green.<domain>.
const GatewayALBHost = "blue-green"

// Samples are the lab's samples, in the order Pulumi.yaml and the docs list them.
var Samples = []Sample{
	{
		Key: EchoNLB, Name: "echo NLB", Namespace: "echo-nlb",
		Description:       "Echo server behind an NLB (ip targets, cross-zone).",
		Lesson:            "NLB, IP targets: the pod sees the NLB's address",
		NeedsLBController: true, Outputs: []string{OutEchoNLB},
		Doc: "Echo server behind an NLB (IP targets) — `sampleEchoNlb`",
	},
	{
		Key: ProxyProtocolNLB, Name: "proxy protocol NLB", Namespace: "proxy-protocol",
		Description:       "Echo behind an NLB with PROXY protocol v2 (client IP kept).",
		Lesson:            "PROXY protocol v2: the client address survives",
		NeedsLBController: true, Outputs: []string{OutProxyProtocolNLB},
		Doc: "PROXY protocol v2 — `sampleProxyProtocolNlb`",
	},
	{
		Key: InstanceModeNLB, Name: "instance mode NLB", Namespace: "instance-mode",
		Description:       "NLB instance targets with externalTrafficPolicy Cluster and Local.",
		Lesson:            "instance targets: two hops and SNAT vs one hop and the client address kept",
		NeedsLBController: true, Outputs: []string{OutInstanceModeCluster, OutInstanceModeLocal},
		Doc: "NLB instance mode, externalTrafficPolicy Cluster vs Local — `sampleInstanceModeNlb`",
	},
	{
		Key: Game2048ALB, Name: "2048 ALB", Namespace: "game-2048",
		Description:       "The 2048 game behind an ALB Ingress.",
		Lesson:            "ALB Ingress, IP targets, optional shared ALB and HTTPS",
		NeedsLBController: true, Outputs: []string{OutGame2048},
		Doc: "2048 behind an ALB — `sample2048Alb`",
	},
	{
		Key: Tetris, Name: "tetris", Namespace: "tetris",
		Description:       "Tetris behind an NLB at tetris.<domain> (needs ExternalDNS).",
		Lesson:            "ExternalDNS publishes `tetris.<domain>` for an NLB",
		NeedsLBController: true, NeedsExternalDNS: true, Outputs: []string{OutTetris},
		Doc: "Tetris with an ExternalDNS name — `sampleTetris`",
	},
	{
		Key: GatewayALB, Name: "ALB Gateway", Namespace: "gateway-alb",
		Description:       "An ALB Gateway (Gateway API) with an HTTPRoute: path routing to two backends.",
		Lesson:            "Gateway API on an ALB: /blue and /green to two Services, / split 90/10",
		NeedsLBController: true, NeedsGatewayAPI: true, Outputs: []string{OutGatewayALB},
		Doc: "ALB Gateway with an HTTPRoute — `sampleGatewayAlb`",
	},
	{
		Key: GatewayNLB, Name: "NLB Gateway", Namespace: "gateway-nlb",
		Description:       "An NLB Gateway (Gateway API) with a TCPRoute to an echo server.",
		Lesson:            "Gateway API on an NLB: a TCPRoute, IP targets",
		NeedsLBController: true, NeedsGatewayAPI: true, Outputs: []string{OutGatewayNLB},
		Doc: "NLB Gateway with a TCPRoute — `sampleGatewayNlb`",
	},
	{
		Key: Netshoot, Name: "netshoot", Namespace: "netshoot",
		Description: "netshoot, one pod per node.",
		Lesson:      "a toolbox pod on every node",
		Doc:         "netshoot on every node — `sampleNetshoot`",
	},
	{
		Key: Iperf3, Name: "iperf3", Namespace: "iperf3",
		Description: "iperf3 server and client on different nodes.",
		Lesson:      "pod-to-pod throughput across nodes",
		Doc:         "iperf3 across nodes — `sampleIperf3`",
	},
	{
		Key: KubeOpsView, Name: "kube-ops-view", Namespace: "kube-ops-view",
		Description: "kube-ops-view (reach it with kubectl port-forward).",
		Lesson:      "a picture of nodes and pods",
		Doc:         "kube-ops-view — `sampleKubeOpsView`",
	},
}

// Keys lists every sample's config key, in catalog order.
func Keys() []string {
	out := make([]string, len(Samples))
	for i, s := range Samples {
		out[i] = s.Key
	}
	return out
}

// Lookup returns the sample of a config key.
func Lookup(key string) (Sample, bool) {
	i := slices.IndexFunc(Samples, func(s Sample) bool { return s.Key == key })
	if i < 0 {
		return Sample{}, false
	}
	return Samples[i], true
}

// Selection is which samples a stack turns on: a config key (a Key of
// Samples) maps to true for each one on. The zero value turns none on.
type Selection map[string]bool

// On tells whether the sample of key is on.
func (s Selection) On(key string) bool { return s[key] }

// Enabled lists the samples that are on, in catalog order.
func (s Selection) Enabled() []Sample {
	var out []Sample
	for _, sample := range Samples {
		if s[sample.Key] {
			out = append(out, sample)
		}
	}
	return out
}

// GatewayAPI tells whether a sample that is on needs Gateway API: the one
// source of "the program installs Gateway API".
func (s Selection) GatewayAPI() bool {
	return slices.ContainsFunc(s.Enabled(), func(sample Sample) bool { return sample.NeedsGatewayAPI })
}

// Check refuses a selection that names a key the catalog does not have.
func (s Selection) Check() error {
	for _, key := range slices.Sorted(maps.Keys(s)) {
		if _, ok := Lookup(key); !ok {
			return fmt.Errorf("%q is not a sample of the catalog (%v)", key, Keys())
		}
	}
	return nil
}
