package catalog

import (
	"fmt"
	"strings"
)

// Annotations read by the AWS Load Balancer Controller (guide/service/annotations
// and guide/ingress/annotations of its documentation) and by ExternalDNS.
const (
	AnnNLBTargetType   = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
	AnnScheme          = "service.beta.kubernetes.io/aws-load-balancer-scheme"
	AnnAttributes      = "service.beta.kubernetes.io/aws-load-balancer-attributes"
	AnnProxyProtocol   = "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"
	AnnExternalDNSHost = "external-dns.alpha.kubernetes.io/hostname"

	AnnALBScheme      = "alb.ingress.kubernetes.io/scheme"
	AnnALBTargetType  = "alb.ingress.kubernetes.io/target-type"
	AnnALBGroupName   = "alb.ingress.kubernetes.io/group.name"
	AnnALBCertificate = "alb.ingress.kubernetes.io/certificate-arn"
	AnnALBListenPorts = "alb.ingress.kubernetes.io/listen-ports"
	AnnALBSSLRedirect = "alb.ingress.kubernetes.io/ssl-redirect"

	// NLBClass hands a LoadBalancer Service to the controller instead of the
	// in-tree cloud provider (which would build a Classic Load Balancer).
	NLBClass = "service.k8s.aws/nlb"
	// ALBClass is the IngressClass the controller's chart creates.
	ALBClass = "alb"
)

// NLB target types.
const (
	TargetIP       = "ip"       // the NLB sends to pod IPs directly
	TargetInstance = "instance" // the NLB sends to node ports; kube-proxy forwards
)

// NLBAnnotations are those of an internet-facing NLB with cross-zone load
// balancing, for Services of class NLBClass.
func NLBAnnotations(targetType string) (map[string]string, error) {
	if targetType != TargetIP && targetType != TargetInstance {
		return nil, fmt.Errorf("NLB target type %q: want %q or %q", targetType, TargetIP, TargetInstance)
	}
	return map[string]string{
		AnnNLBTargetType: targetType,
		AnnScheme:        "internet-facing",
		AnnAttributes:    "load_balancing.cross_zone.enabled=true",
	}, nil
}

// ProxyProtocolAnnotations add PROXY protocol v2 on every target group, so the
// client address reaches the pod in the PROXY header.
func ProxyProtocolAnnotations() map[string]string {
	a, _ := NLBAnnotations(TargetIP)
	a[AnnProxyProtocol] = "*"
	return a
}

// HostnameAnnotations give the NLB a DNS name in the zone ExternalDNS manages.
func HostnameAnnotations(host string) (map[string]string, error) {
	if host == "" || strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") {
		return nil, fmt.Errorf("hostname %q: need a full name such as tetris.example.com", host)
	}
	a, _ := NLBAnnotations(TargetIP)
	a[AnnExternalDNSHost] = host
	return a, nil
}

// IngressAnnotations are those of an internet-facing ALB with IP targets.
// groupName, when set, lets several Ingresses share one ALB. certificateArn,
// when set, adds an HTTPS listener with that ACM certificate and redirects HTTP to it.
func IngressAnnotations(groupName, certificateArn string) map[string]string {
	a := map[string]string{
		AnnALBScheme:     "internet-facing",
		AnnALBTargetType: TargetIP,
	}
	if groupName != "" {
		a[AnnALBGroupName] = groupName
	}
	if certificateArn != "" {
		a[AnnALBCertificate] = certificateArn
		a[AnnALBListenPorts] = `[{"HTTP":80},{"HTTPS":443}]`
		a[AnnALBSSLRedirect] = "443"
	}
	return a
}

// URL is the sample's address once its load balancer has a DNS name, else "".
func URL(hostname *string) string {
	if hostname == nil || *hostname == "" {
		return ""
	}
	return "http://" + *hostname
}

// ProxyProtocolNginxConf makes nginx expect the PROXY protocol header on port
// 80 and show both addresses: the client's (from the header) and the TCP peer
// (the NLB). The acceptance test's check reads the answer it defines.
const ProxyProtocolNginxConf = `log_format proxy_protocol '$proxy_protocol_addr (via $remote_addr) [$time_local] "$request" $status';

server {
    listen 80 proxy_protocol;
    access_log /var/log/nginx/access.log proxy_protocol;

    location / {
        default_type text/plain;
        return 200 "client address (PROXY protocol v2): $proxy_protocol_addr\nTCP peer (the NLB): $remote_addr\npod: $hostname\n";
    }
}
`
