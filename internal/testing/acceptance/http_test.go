package acceptance

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eks-study/lab/components/workloads/catalog"
)

var (
	loopback  = netip.MustParsePrefix("127.0.0.0/8")
	vpcCIDR   = netip.MustParsePrefix("192.168.0.0/16")
	publicIP  = netip.MustParsePrefix("203.0.113.7/32")
	otherUser = netip.MustParsePrefix("198.51.100.0/24")
)

func client() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

func TestSSHCidrAsksCheckIPOrTakesTheOverride(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		fmt.Fprintln(w, "203.0.113.7") // checkip.amazonaws.com answers with the address and a newline
	}))
	defer srv.Close()
	got, err := SSHCidr(context.Background(), client(), srv.URL, "")
	if err != nil || got != publicIP {
		t.Fatalf("SSHCidr = %v, %v; want %v", got, err, publicIP)
	}
	got, err = SSHCidr(context.Background(), client(), srv.URL, "198.51.100.9/24")
	if err != nil || got != otherUser {
		t.Errorf("with the override SSHCidr = %v, %v; want the override, masked, %v", got, err, otherUser)
	}
	if asked.Load() != 1 {
		t.Errorf("checkip asked %d times; the override must not ask", asked.Load())
	}
	if _, err := SSHCidr(context.Background(), client(), srv.URL, "2001:db8::1/128"); err == nil || !strings.Contains(err.Error(), EnvSSHCidr) {
		t.Errorf("an IPv6 override gave %v; want an error naming %s", err, EnvSSHCidr)
	}
}

func TestSSHCidrRefusesAnAnswerThatIsNotAPublicAddress(t *testing.T) {
	for _, body := range []string{"10.1.2.3", "<html>captive portal</html>"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
		_, err := SSHCidr(context.Background(), client(), srv.URL, "")
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), EnvSSHCidr) {
			t.Errorf("answer %q gave %v; want an error pointing at %s", body, err, EnvSSHCidr)
		}
	}
}

// echoServer answers like registry.k8s.io/echoserver:1.10 (its nginx.conf
// template in kubernetes/kubernetes test/images/echoserver): client_address is
// nginx's $remote_addr, the TCP peer.
func echoServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, "\n\nHostname: echo-5d8d9c7f4b-x2x7k\n\nPod Information:\n\t-no pod information available-\n\n"+
			"Server values:\n\tserver_version=nginx: 1.13.3 - lua: 10008\n\n"+
			"Request Information:\n\tclient_address=%s\n\tmethod=GET\n\treal path=/\n\tquery=\n\trequest_version=1.1\n", host)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func check(t *testing.T, checks []HTTPCheck, output string) HTTPCheck {
	t.Helper()
	for _, c := range checks {
		if c.Output == output {
			return c
		}
	}
	t.Fatalf("no check for output %s", output)
	return HTTPCheck{}
}

func TestEchoChecksExpectTheAddressEachModeShows(t *testing.T) {
	url := echoServer(t) // the pod sees 127.0.0.1
	ctx := context.Background()

	// The loopback address plays the NLB's (ip mode) or a node's (Cluster) private address.
	inVPC := HTTPChecks(loopback, publicIP)
	for _, out := range []string{catalog.OutEchoNLB, catalog.OutInstanceModeCluster} {
		if err := check(t, inVPC, out).Check(ctx, client(), url); err != nil {
			t.Errorf("%s: %v", out, err)
		}
	}
	if err := check(t, inVPC, catalog.OutInstanceModeLocal).Check(ctx, client(), url); err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("Local policy with the pod seeing a private address: %v; want a failure naming it", err)
	}

	// Here the loopback address plays the caller's: client IP preservation.
	seesCaller := HTTPChecks(vpcCIDR, netip.MustParsePrefix("127.0.0.1/32"))
	if err := check(t, seesCaller, catalog.OutInstanceModeLocal).Check(ctx, client(), url); err != nil {
		t.Errorf("Local policy keeping the client address: %v", err)
	}
	err := check(t, seesCaller, catalog.OutEchoNLB).Check(ctx, client(), url)
	if err == nil || !strings.Contains(err.Error(), "saw client address 127.0.0.1") || !strings.Contains(err.Error(), "NLB's private address") {
		t.Errorf("ip mode with the client's own address: %v; want a failure explaining the lesson", err)
	}
}

func TestEchoCheckRefusesAnotherServersPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>Welcome to nginx!</body></html>")
	}))
	defer srv.Close()
	err := check(t, HTTPChecks(loopback, publicIP), catalog.OutEchoNLB).Check(context.Background(), client(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "not the echo server's answer") {
		t.Errorf("check = %v; want a failure saying the answer is not the echo server's", err)
	}
}

func TestGame2048CheckWants200(t *testing.T) {
	var code atomic.Int32
	code.Store(http.StatusServiceUnavailable) // the ALB before its targets are healthy
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
		fmt.Fprint(w, "<title>2048</title>")
	}))
	defer srv.Close()
	c := check(t, HTTPChecks(vpcCIDR, publicIP), catalog.OutGame2048)
	if err := c.Check(context.Background(), client(), srv.URL); err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("503: %v; want a failure naming the status", err)
	}
	code.Store(http.StatusOK)
	if err := c.Check(context.Background(), client(), srv.URL); err != nil {
		t.Errorf("200: %v", err)
	}
}

// The ALB Gateway's check wants /blue from a blue pod and /green from a
// green one: a route that sent both to one backend fails, naming the pod.
func TestALBGatewayCheckWantsEachPathOnItsBackend(t *testing.T) {
	serve := func(pods map[string]string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "\n\nHostname: %s\n\nRequest Information:\n\tclient_address=10.0.0.1\n", pods[r.URL.Path])
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	c := check(t, HTTPChecks(vpcCIDR, publicIP), catalog.OutGatewayALB)
	right := serve(map[string]string{"/blue": "blue-5d8d9c7f4b-x2x7k", "/green": "green-6f7c8d9e0a-k3k9z"})
	if err := c.Check(context.Background(), client(), right); err != nil {
		t.Errorf("each path on its backend: %v", err)
	}
	wrong := serve(map[string]string{"/blue": "blue-5d8d9c7f4b-x2x7k", "/green": "blue-5d8d9c7f4b-x2x7k"})
	if err := c.Check(context.Background(), client(), wrong); err == nil || !strings.Contains(err.Error(), "/green: answered by pod blue-5d8d9c7f4b-x2x7k") {
		t.Errorf("/green answered by blue: %v; want a failure naming the pod", err)
	}
}

// The NLB Gateway's check is the echo NLB's: with ip targets the pod sees
// the NLB's private address.
func TestNLBGatewayCheckWantsTheNLBsAddress(t *testing.T) {
	url := echoServer(t) // the pod sees 127.0.0.1
	if err := check(t, HTTPChecks(loopback, publicIP), catalog.OutGatewayNLB).Check(context.Background(), client(), url); err != nil {
		t.Errorf("the NLB's private address: %v", err)
	}
	if err := check(t, HTTPChecks(vpcCIDR, publicIP), catalog.OutGatewayNLB).Check(context.Background(), client(), url); err == nil || !strings.Contains(err.Error(), "NLB's private address") {
		t.Errorf("an address outside the VPC: %v; want a failure explaining the lesson", err)
	}
}
