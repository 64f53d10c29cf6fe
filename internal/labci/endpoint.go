package labci

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
)

// AnywhereKey is the stack config key without which the program refuses
// 0.0.0.0/0 in eks-lab:endpointPublicAccessCidrs.
const AnywhereKey = "eks-lab:allowApiFromAnywhere"

// admits reports whether ip is inside one of cidrs.
func admits(cidrs []string, ip netip.Addr) (bool, error) {
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return false, fmt.Errorf("public access CIDR %q: %v", c, err)
		}
		if p.Contains(ip) {
			return true, nil
		}
	}
	return false, nil
}

// CheckRunner reads a plan (`lab plan --format json`) and fails, with the
// fix, when the stack's cluster does not admit ip on its public endpoint:
// `pulumi up` or `preview` from that runner would hang on the EKS API.
func CheckRunner(plan io.Reader, stack string, ip netip.Addr) error {
	var doc struct {
		Resources []struct {
			Type   string `json:"type"`
			Inputs struct {
				EndpointPublicAccess *bool    `json:"endpointPublicAccess"`
				PublicAccessCidrs    []string `json:"publicAccessCidrs"`
			} `json:"inputs"`
		} `json:"resources"`
	}
	if err := json.NewDecoder(plan).Decode(&doc); err != nil {
		return fmt.Errorf("stack %s: reading its plan: %v", stack, err)
	}
	for _, r := range doc.Resources {
		if r.Type != "eks:index:Cluster" {
			continue
		}
		in := r.Inputs
		ok, err := admits(in.PublicAccessCidrs, ip)
		if err != nil {
			return fmt.Errorf("stack %s: %v", stack, err)
		}
		if (in.EndpointPublicAccess == nil || *in.EndpointPublicAccess) && ok {
			return nil
		}
		return fmt.Errorf("stack %s allows the EKS API only from %s, not from this runner (%s), and GitHub-hosted "+
			"runners' addresses change: deploy this stack from your machine, or use a runner with a fixed address and add it "+
			"to eks-lab:endpointPublicAccessCidrs. 0.0.0.0/0 there is refused unless %s is true "+
			"(the API then still needs IAM and an access entry, see eks-lab:adminRoleArns)",
			stack, strings.Join(in.PublicAccessCidrs, ", "), ip, AnywhereKey)
	}
	return fmt.Errorf("stack %s: its plan has no eks:index:Cluster", stack)
}

// EndpointAccess is the part of a cluster's resourcesVpcConfig that opening
// the API for a runner changes; its JSON is what `aws eks
// update-cluster-config --resources-vpc-config` takes.
type EndpointAccess struct {
	EndpointPublicAccess  bool     `json:"endpointPublicAccess"`
	EndpointPrivateAccess bool     `json:"endpointPrivateAccess"`
	PublicAccessCidrs     []string `json:"publicAccessCidrs,omitempty"`
}

// ReadCluster reads `aws eks describe-cluster` output.
func ReadCluster(r io.Reader) (EndpointAccess, error) {
	var doc struct {
		Cluster *struct {
			ResourcesVpcConfig *EndpointAccess `json:"resourcesVpcConfig"`
		} `json:"cluster"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return EndpointAccess{}, fmt.Errorf("reading describe-cluster output: %v", err)
	}
	if doc.Cluster == nil || doc.Cluster.ResourcesVpcConfig == nil {
		return EndpointAccess{}, fmt.Errorf("describe-cluster output has no cluster.resourcesVpcConfig")
	}
	return *doc.Cluster.ResourcesVpcConfig, nil
}

// OpenFor returns the access that admits ip, and false when current already
// does. A cluster whose public endpoint is off is opened to ip alone: EKS
// lists 0.0.0.0/0 as the CIDRs of a disabled endpoint, which must not carry
// over.
func OpenFor(current EndpointAccess, ip netip.Addr) (EndpointAccess, bool, error) {
	ok, err := admits(current.PublicAccessCidrs, ip)
	if err != nil {
		return EndpointAccess{}, false, err
	}
	if current.EndpointPublicAccess && ok {
		return current, false, nil
	}
	runner := netip.PrefixFrom(ip, ip.BitLen()).String()
	open := EndpointAccess{EndpointPublicAccess: true, EndpointPrivateAccess: current.EndpointPrivateAccess}
	if current.EndpointPublicAccess {
		open.PublicAccessCidrs = append(open.PublicAccessCidrs, current.PublicAccessCidrs...)
	}
	open.PublicAccessCidrs = append(open.PublicAccessCidrs, runner)
	return open, true, nil
}

// RestoreTo returns the update that gives the cluster its original access
// back, and false when current already matches it (EKS rejects an update
// that changes nothing).
func RestoreTo(original, current EndpointAccess) (EndpointAccess, bool) {
	if original.EndpointPublicAccess == current.EndpointPublicAccess &&
		original.EndpointPrivateAccess == current.EndpointPrivateAccess &&
		(!original.EndpointPublicAccess || sameSet(original.PublicAccessCidrs, current.PublicAccessCidrs)) {
		return current, false
	}
	restore := original
	if !restore.EndpointPublicAccess {
		restore.PublicAccessCidrs = nil // not accepted with the public endpoint off
	}
	return restore, true
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
