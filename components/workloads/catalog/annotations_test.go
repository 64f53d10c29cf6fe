package catalog

import (
	"maps"
	"testing"
)

func TestNLBAnnotations(t *testing.T) {
	for _, tt := range []string{TargetIP, TargetInstance} {
		got, err := NLBAnnotations(tt)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": tt,
			"service.beta.kubernetes.io/aws-load-balancer-scheme":          "internet-facing",
			"service.beta.kubernetes.io/aws-load-balancer-attributes":      "load_balancing.cross_zone.enabled=true",
		}
		if !maps.Equal(got, want) {
			t.Errorf("NLBAnnotations(%s) = %v, want %v", tt, got, want)
		}
	}
	if _, err := NLBAnnotations("alb"); err == nil {
		t.Error("NLBAnnotations accepted target type alb")
	}
}

func TestProxyProtocolAnnotations(t *testing.T) {
	a := ProxyProtocolAnnotations()
	if a["service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"] != "*" {
		t.Errorf("proxy-protocol = %q, want *", a["service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"])
	}
	if a[AnnNLBTargetType] != TargetIP || a[AnnScheme] != "internet-facing" {
		t.Errorf("proxy protocol NLB is not an internet-facing ip-target NLB: %v", a)
	}
}

func TestHostnameAnnotations(t *testing.T) {
	a, err := HostnameAnnotations("tetris.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if a["external-dns.alpha.kubernetes.io/hostname"] != "tetris.example.com" || a[AnnNLBTargetType] != TargetIP {
		t.Errorf("HostnameAnnotations = %v", a)
	}
	for _, bad := range []string{"", "tetris.", ".example.com"} {
		if _, err := HostnameAnnotations(bad); err == nil {
			t.Errorf("HostnameAnnotations(%q) accepted an incomplete name", bad)
		}
	}
}

func TestIngressAnnotations(t *testing.T) {
	plain := IngressAnnotations("", "")
	if !maps.Equal(plain, map[string]string{
		"alb.ingress.kubernetes.io/scheme":      "internet-facing",
		"alb.ingress.kubernetes.io/target-type": "ip",
	}) {
		t.Errorf("IngressAnnotations without group or certificate = %v", plain)
	}
	cert := "arn:aws:acm:ap-northeast-2:123456789012:certificate/abc"
	full := IngressAnnotations("lab", cert)
	for k, want := range map[string]string{
		"alb.ingress.kubernetes.io/group.name":      "lab",
		"alb.ingress.kubernetes.io/certificate-arn": cert,
		"alb.ingress.kubernetes.io/listen-ports":    `[{"HTTP":80},{"HTTPS":443}]`,
		"alb.ingress.kubernetes.io/ssl-redirect":    "443",
	} {
		if full[k] != want {
			t.Errorf("%s = %q, want %q", k, full[k], want)
		}
	}
	if _, ok := IngressAnnotations("lab", "")["alb.ingress.kubernetes.io/ssl-redirect"]; ok {
		t.Error("ssl-redirect set without a certificate")
	}
}

func TestURL(t *testing.T) {
	host := "k8s-echonlb-echonlb-0123456789.elb.ap-northeast-2.amazonaws.com"
	if got := URL(&host); got != "http://"+host {
		t.Errorf("URL = %q", got)
	}
	empty := ""
	if URL(nil) != "" || URL(&empty) != "" {
		t.Error("URL of a load balancer without a DNS name is not empty")
	}
}
