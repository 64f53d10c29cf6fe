package acceptance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/workloads/catalog"
)

// PROXY protocol v2 (haproxy's proxy-protocol.txt, section 2.2): a 12-byte
// signature, version 2 + command PROXY, TCP over IPv4, the length of the
// addresses, then source and destination address and port.
var ppv2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")

func ppv2Header(src, dst netip.AddrPort) []byte {
	var b bytes.Buffer
	b.Write(ppv2Signature)
	b.WriteByte(0x21) // version 2, PROXY
	b.WriteByte(0x11) // AF_INET, STREAM
	binary.Write(&b, binary.BigEndian, uint16(12))
	s, d := src.Addr().As4(), dst.Addr().As4()
	b.Write(s[:])
	b.Write(d[:])
	binary.Write(&b, binary.BigEndian, src.Port())
	binary.Write(&b, binary.BigEndian, dst.Port())
	return b.Bytes()
}

func readPPv2(r *bufio.Reader) (netip.AddrPort, error) {
	head := make([]byte, 16)
	if _, err := io.ReadFull(r, head); err != nil {
		return netip.AddrPort{}, err
	}
	if !bytes.Equal(head[:12], ppv2Signature) || head[12] != 0x21 || head[13] != 0x11 {
		return netip.AddrPort{}, errors.New("no PROXY protocol v2 header for TCP over IPv4")
	}
	body := make([]byte, binary.BigEndian.Uint16(head[14:]))
	if _, err := io.ReadFull(r, body); err != nil || len(body) < 12 {
		return netip.AddrPort{}, fmt.Errorf("short PROXY header: %v", err)
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:])), nil
}

// proxyNginx plays the sample's nginx (`listen 80 proxy_protocol`): it reads
// the PROXY header of each connection, then answers every request with the
// real config's `return 200` text, its variables filled in as nginx does.
func proxyNginx(t *testing.T) net.Listener {
	m := regexp.MustCompile(`return 200 "((?:[^"\\]|\\.)*)";`).FindStringSubmatch(catalog.ProxyProtocolNginxConf)
	if m == nil {
		t.Fatal("ProxyProtocolNginxConf has no return 200 \"...\" to answer with")
	}
	answer := strings.ReplaceAll(m[1], `\n`, "\n")
	return serveTCP(t, func(conn net.Conn) {
		r := bufio.NewReader(conn)
		src, err := readPPv2(r)
		if err != nil {
			return // nginx closes a connection without the header
		}
		req, err := http.ReadRequest(r)
		if err != nil {
			return
		}
		req.Body.Close()
		peer, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
		body := strings.NewReplacer("$proxy_protocol_addr", src.Addr().String(), "$remote_addr", peer, "$hostname", "nginx-7c9d8b6f5-abcde").Replace(answer)
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	})
}

// nlb plays the NLB with proxy_protocol_v2.enabled: for each client
// connection it connects to the target, sends a PROXY v2 header naming
// client as the source, then relays the bytes both ways.
func nlb(t *testing.T, target string, client netip.AddrPort) net.Listener {
	return serveTCP(t, func(in net.Conn) {
		out, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer out.Close()
		if _, err := out.Write(ppv2Header(client, netip.MustParseAddrPort(target))); err != nil {
			return
		}
		go io.Copy(out, in)
		io.Copy(in, out)
	})
}

// serveTCP serves each loopback connection with handle, then closes it.
func serveTCP(t *testing.T, handle func(net.Conn)) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				handle(conn)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln
}

func TestProxyProtocolCheckReadsTheAddressFromTheHeader(t *testing.T) {
	backend := proxyNginx(t)
	caller := netip.MustParseAddrPort("203.0.113.7:51234")
	front := nlb(t, backend.Addr().String(), caller)
	c := check(t, HTTPChecks(loopback, publicIP), catalog.OutProxyProtocolNLB)

	// The TCP peer is the "NLB" on 127.0.0.1, playing the VPC; the header carries the caller.
	if err := c.Check(context.Background(), client(), "http://"+front.Addr().String()); err != nil {
		t.Errorf("through a PROXY v2 NLB: %v", err)
	}

	// Another caller's address in the header is not yours.
	err := check(t, HTTPChecks(loopback, otherUser), catalog.OutProxyProtocolNLB).Check(context.Background(), client(), "http://"+front.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "203.0.113.7") {
		t.Errorf("header with someone else's address: %v; want a failure naming it", err)
	}

	// Without the header (proxy protocol off on the NLB) nginx drops the connection.
	if err := c.Check(context.Background(), client(), "http://"+backend.Addr().String()); err == nil {
		t.Error("no PROXY header, yet the check passed")
	}
}
