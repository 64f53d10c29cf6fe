package acceptance

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// NameServer returns "host:53" of one of domain's authoritative name servers
// (the first by name), looked up through r (nil: the system resolver).
func NameServer(ctx context.Context, r *net.Resolver, domain string) (string, error) {
	if r == nil {
		r = net.DefaultResolver
	}
	ns, err := r.LookupNS(ctx, domain)
	if err != nil {
		return "", fmt.Errorf("name servers of %s: %w", domain, err)
	}
	if len(ns) == 0 {
		return "", fmt.Errorf("name servers of %s: none", domain)
	}
	hosts := make([]string, 0, len(ns))
	for _, n := range ns {
		hosts = append(hosts, strings.TrimSuffix(n.Host, "."))
	}
	slices.Sort(hosts)
	return net.JoinHostPort(hosts[0], "53"), nil
}

// ResolveAt asks the DNS server at server ("host:port") for name's IPv4
// addresses. Asking the zone's own name server skips every cache between:
// the name did not exist minutes ago, and a resolver that cached that
// answer would repeat it for up to the zone's negative TTL (15 minutes on
// Route 53's default SOA).
func ResolveAt(ctx context.Context, server, name string) ([]netip.Addr, error) {
	r := &net.Resolver{
		PreferGo: true, // the Go resolver honours Dial; cgo's would ask the system's servers
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}
	addrs, err := r.LookupNetIP(ctx, "ip4", strings.TrimSuffix(name, ".")+".")
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", name, server, err)
	}
	return addrs, nil
}
