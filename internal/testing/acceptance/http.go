package acceptance

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"

	"github.com/eks-study/lab/components/workloads/catalog"
)

// CheckIPURL is AWS's own service that answers with the caller's public IPv4 address.
const CheckIPURL = "https://checkip.amazonaws.com"

// SSHCidr is the lab's sshCidr for the test machine: override (EnvSSHCidr)
// when set, else the public address url (CheckIPURL) sees, as a /32. The
// samples' checks expect this address wherever the client's survives.
func SSHCidr(ctx context.Context, c *http.Client, url, override string) (netip.Prefix, error) {
	if override != "" {
		p, err := netip.ParsePrefix(override)
		if err != nil || !p.Addr().Is4() {
			return netip.Prefix{}, fmt.Errorf("%s=%q: want your public IPv4 address as a CIDR, e.g. 203.0.113.7/32", EnvSSHCidr, override)
		}
		return p.Masked(), nil
	}
	body, err := fetch(ctx, c, url)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("asking %s for your public address (or set %s): %w", url, EnvSSHCidr, err)
	}
	a, err := netip.ParseAddr(strings.TrimSpace(body))
	if err != nil || !a.Is4() || a.IsPrivate() || a.IsLoopback() {
		return netip.Prefix{}, fmt.Errorf("%s answered %q, not a public IPv4 address; set %s", url, strings.TrimSpace(body), EnvSSHCidr)
	}
	return netip.PrefixFrom(a, 32), nil
}

// fetch GETs url and returns the body of a 200 answer.
func fetch(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("GET %s: reading the answer: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: HTTP %d, want 200", url, resp.StatusCode)
	}
	return string(body), nil
}

// HTTPCheck is one sample's check from the test machine.
type HTTPCheck struct {
	Name   string // what it proves
	Output string // the stack output holding the sample's URL
	Check  func(ctx context.Context, c *http.Client, url string) error
}

// HTTPChecks are the checks of the samples that export a URL: what address
// each pod sees as its client is the week's lesson. vpc is the lab's VPC
// CIDR (load balancers' and nodes' private addresses), caller the test
// machine's public address (sshCidr).
func HTTPChecks(vpc, caller netip.Prefix) []HTTPCheck {
	return []HTTPCheck{
		{
			Name: "echo NLB with ip targets: the pod sees the NLB's private address", Output: catalog.OutEchoNLB,
			Check: func(ctx context.Context, c *http.Client, url string) error {
				return expectEchoClient(ctx, c, url, vpc, "the NLB's private address (ip targets do not keep the client's)")
			},
		},
		{
			Name: "NLB with PROXY protocol v2: the header carries your address", Output: catalog.OutProxyProtocolNLB,
			Check: func(ctx context.Context, c *http.Client, url string) error {
				return expectProxyProtocol(ctx, c, url, caller, vpc)
			},
		},
		{
			Name: "NLB instance mode, externalTrafficPolicy Cluster: the pod sees a node's address", Output: catalog.OutInstanceModeCluster,
			Check: func(ctx context.Context, c *http.Client, url string) error {
				return expectEchoClient(ctx, c, url, vpc, "a node's address (kube-proxy SNATs the second hop)")
			},
		},
		{
			Name: "NLB instance mode, externalTrafficPolicy Local: the pod sees your address", Output: catalog.OutInstanceModeLocal,
			Check: func(ctx context.Context, c *http.Client, url string) error {
				return expectEchoClient(ctx, c, url, caller, "your own address (one hop, client address kept)")
			},
		},
		{
			Name: "ALB Gateway: /blue and /green reach their own backends", Output: catalog.OutGatewayALB,
			Check: func(ctx context.Context, c *http.Client, url string) error {
				for _, app := range []string{"blue", "green"} {
					if err := expectHostname(ctx, c, url+"/"+app, app+"-"); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			Name: "NLB Gateway with ip targets: the pod sees the NLB's private address", Output: catalog.OutGatewayNLB,
			Check: func(ctx context.Context, c *http.Client, url string) error {
				return expectEchoClient(ctx, c, url, vpc, "the NLB's private address (ip targets do not keep the client's)")
			},
		},
		{
			Name: "2048 ALB answers 200", Output: catalog.OutGame2048,
			Check: func(ctx context.Context, c *http.Client, url string) error {
				_, err := fetch(ctx, c, url)
				return err
			},
		},
	}
}

// expectEchoClient checks that the echo server behind url reports a client
// address inside want.
func expectEchoClient(ctx context.Context, c *http.Client, url string, want netip.Prefix, what string) error {
	body, err := fetch(ctx, c, url)
	if err != nil {
		return err
	}
	seen, err := field(body, "client_address=")
	if err != nil {
		return fmt.Errorf("GET %s: not the echo server's answer: %w", url, err)
	}
	if !want.Contains(seen) {
		return fmt.Errorf("GET %s: the pod saw client address %s; want %s, inside %s", url, seen, what, want)
	}
	return nil
}

// expectHostname checks that the echo server that answered url runs in a
// pod whose name starts with prefix (echoserver prints "Hostname: <pod>"):
// the route sent the path to that Deployment.
func expectHostname(ctx context.Context, c *http.Client, url, prefix string) error {
	body, err := fetch(ctx, c, url)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if pod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Hostname: "); ok {
			if !strings.HasPrefix(pod, prefix) {
				return fmt.Errorf("GET %s: answered by pod %s; want a pod of Deployment %s", url, pod, strings.TrimSuffix(prefix, "-"))
			}
			return nil
		}
	}
	return fmt.Errorf("GET %s: not the echo server's answer: no line \"Hostname:\"", url)
}

// Labels of the PROXY protocol sample's answer (catalog.ProxyProtocolNginxConf).
const (
	proxyClientLabel = "client address (PROXY protocol v2): "
	proxyPeerLabel   = "TCP peer (the NLB): "
)

// expectProxyProtocol checks that nginx behind url read the caller's address
// from the PROXY protocol v2 header while its TCP peer was the NLB.
func expectProxyProtocol(ctx context.Context, c *http.Client, url string, caller, vpc netip.Prefix) error {
	body, err := fetch(ctx, c, url)
	if err != nil {
		return err
	}
	client, err := field(body, proxyClientLabel)
	if err != nil {
		return fmt.Errorf("GET %s: not the PROXY protocol sample's answer: %w", url, err)
	}
	peer, err := field(body, proxyPeerLabel)
	if err != nil {
		return fmt.Errorf("GET %s: not the PROXY protocol sample's answer: %w", url, err)
	}
	if !caller.Contains(client) {
		return fmt.Errorf("GET %s: the PROXY header's client address is %s; want your address, inside %s", url, client, caller)
	}
	if !vpc.Contains(peer) {
		return fmt.Errorf("GET %s: the TCP peer is %s; want the NLB's private address, inside %s", url, peer, vpc)
	}
	return nil
}

// field finds the line holding label (after optional indentation) and parses
// the address that follows it.
func field(body, label string) (netip.Addr, error) {
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), label)
		if !ok {
			continue
		}
		a, err := netip.ParseAddr(strings.TrimSpace(rest))
		if err != nil {
			return netip.Addr{}, fmt.Errorf("%q is not an IP address", rest)
		}
		return a.Unmap(), nil
	}
	return netip.Addr{}, fmt.Errorf("no line %q in the answer", strings.TrimSpace(label))
}
