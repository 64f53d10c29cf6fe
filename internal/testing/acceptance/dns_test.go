package acceptance

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// zone is a tiny authoritative DNS server on loopback UDP: A records of
// names (fully qualified, lower case), NS records of the zone apex. A name
// appears only from its appearAfter-th query on, as a record ExternalDNS
// has not written yet.
type zone struct {
	apex        string
	ns          []string
	a           map[string][]netip.Addr
	appearAfter int32
	queries     atomic.Int32
	addr        string
}

func serveZone(t *testing.T, z *zone) *zone {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	z.addr = pc.LocalAddr().String()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp, err := z.answer(buf[:n]); err == nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return z
}

func (z *zone) answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(q.Name.String())
	n := z.queries.Add(1)
	_, known := z.a[name]
	known = (known && n > z.appearAfter) || name == z.apex
	rcode := dnsmessage.RCodeSuccess
	if !known {
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RCode: rcode})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	switch {
	case !known:
	case q.Type == dnsmessage.TypeA:
		for _, a := range z.a[name] {
			if err := b.AResource(rh, dnsmessage.AResource{A: a.As4()}); err != nil {
				return nil, err
			}
		}
	case q.Type == dnsmessage.TypeNS && name == z.apex:
		for _, ns := range z.ns {
			if err := b.NSResource(rh, dnsmessage.NSResource{NS: dnsmessage.MustNewName(ns)}); err != nil {
				return nil, err
			}
		}
	}
	return b.Finish()
}

func TestResolveAtAsksTheZonesOwnServer(t *testing.T) {
	nlbAddrs := []netip.Addr{netip.MustParseAddr("3.35.10.20"), netip.MustParseAddr("43.201.5.6")}
	z := serveZone(t, &zone{apex: "example.com.", a: map[string][]netip.Addr{"tetris.example.com.": nlbAddrs}})
	got, err := ResolveAt(context.Background(), z.addr, "tetris.example.com")
	if err != nil || len(got) != 2 || got[0] != nlbAddrs[0] || got[1] != nlbAddrs[1] {
		t.Fatalf("ResolveAt = %v, %v; want %v", got, err, nlbAddrs)
	}
	if _, err := ResolveAt(context.Background(), z.addr, "pacman.example.com"); err == nil || !strings.Contains(err.Error(), "pacman.example.com") {
		t.Errorf("a name that does not exist: %v; want an error naming it", err)
	}
}

func TestResolveAtUnderPollWaitsForExternalDNS(t *testing.T) {
	addr := netip.MustParseAddr("3.35.10.20")
	z := serveZone(t, &zone{apex: "example.com.", a: map[string][]netip.Addr{"tetris.example.com.": {addr}}, appearAfter: 2})
	clock := newFakeClock()
	err := clock.poll(10*time.Minute, 15*time.Second).Until(context.Background(), func(ctx context.Context) error {
		_, err := ResolveAt(ctx, z.addr, "tetris.example.com")
		return err
	})
	if err != nil {
		t.Fatalf("the record appeared on the 3rd query, yet: %v", err)
	}
	if len(clock.sleeps) != 2 {
		t.Errorf("%d waits, want 2 (two NXDOMAIN answers before the record)", len(clock.sleeps))
	}
}

func TestNameServerIsTheZonesFirstByName(t *testing.T) {
	z := serveZone(t, &zone{apex: "example.com.", ns: []string{"ns-912.awsdns-50.net.", "ns-1536.awsdns-00.co.uk."}})
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, z.addr)
	}}
	got, err := NameServer(context.Background(), r, "example.com")
	if err != nil || got != "ns-1536.awsdns-00.co.uk:53" {
		t.Errorf("NameServer = %q, %v; want ns-1536.awsdns-00.co.uk:53", got, err)
	}
}
