// Package extdns is what the lab installs ExternalDNS with: the chart and its
// values for one Route 53 zone, and an IAM policy that can change records
// only in that zone. Pure Go, without the Pulumi SDKs: the externaldns
// component, the ExternalDNS test tier and the acceptance test read it.
package extdns

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/internal/versions"
)

// The chart, at versions.ExternalDNSChart, running app versions.ExternalDNS.
const (
	ChartRepo = "https://kubernetes-sigs.github.io/external-dns/"
	ChartName = "external-dns"
	// AnnotationPrefix is the study's annotation prefix
	// (external-dns.alpha.kubernetes.io/hostname). v0.22.0 changed the
	// default to external-dns.kubernetes.io/ without a fallback: without this
	// setting it would ignore the samples' and members' annotations, and
	// with policy sync delete their records.
	AnnotationPrefix = "external-dns.alpha.kubernetes.io/"
)

// Where ExternalDNS runs.
const (
	Namespace      = "kube-system"
	ServiceAccount = "external-dns"
	ReleaseName    = "external-dns"
)

// PolicyName names the policy's attachment, as ExternalDNS's AWS tutorial names the policy.
const PolicyName = "AllowExternalDNSUpdates"

// ZoneID accepts "Z123" and the API's "/hostedzone/Z123".
func ZoneID(id string) string {
	return strings.TrimPrefix(strings.TrimSpace(id), "/hostedzone/")
}

// PolicyDocument allows changing records only in the one hosted zone.
// ListHostedZones has no resource-level permissions, so it needs "*"; the
// record and tag reads are scoped to the zone, which is all ExternalDNS asks
// for once --zone-id-filter is set.
func PolicyDocument(hostedZoneID string) (string, error) {
	id := ZoneID(hostedZoneID)
	if id == "" || strings.ContainsAny(id, "/*: ") {
		return "", fmt.Errorf("hosted zone id %q is not a Route 53 zone id like Z0123456789ABCDEFGHIJ", hostedZoneID)
	}
	zoneArn := "arn:aws:route53:::hostedzone/" + id
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":      "ChangeRecordsInTheLabZone",
				"Effect":   "Allow",
				"Action":   []string{"route53:ChangeResourceRecordSets"},
				"Resource": []string{zoneArn},
			},
			map[string]any{
				"Sid":    "ReadTheLabZone",
				"Effect": "Allow",
				"Action": []string{
					"route53:ListResourceRecordSets",
					"route53:ListTagsForResource",
					"route53:ListTagsForResources",
				},
				"Resource": []string{zoneArn},
			},
			map[string]any{
				"Sid":      "FindZones",
				"Effect":   "Allow",
				"Action":   []string{"route53:ListHostedZones"},
				"Resource": []string{"*"},
			},
		},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// ValuePaths are the chart values HelmValues sets. Each is a key of the
// values.yaml of chart versions.ExternalDNSChart that changes what the chart renders
// (checked by rendering the chart of tag external-dns-helm-chart-1.21.1 with
// helm.sh/helm/v3 v3.22.0, and against its values.schema.json); values equal
// to the chart's defaults are left out (provider.name aws, sources service
// and ingress without Gateway API, registry txt, serviceAccount.name, which
// defaults to the release name, ServiceAccount). A test checks HelmValues
// sets exactly these.
var ValuePaths = []string{
	"annotationPrefix", "domainFilters", "env", "extraArgs", "image.tag", "podAnnotations", "policy",
	"serviceAccount.annotations", "sources", "triggerLoopOnEvent", "txtOwnerId",
}

// Sources are ExternalDNS's sources (--source, the chart's sources value):
// the chart's default, Services and Ingresses, and with gatewayHTTPRoutes
// HTTPRoutes too (gateway-httproute). Set that only while Gateway API's CRDs
// are installed: v0.22.0 exits when a source's informer cannot sync within
// 60 s (source/informers/informers.go, controller/execute.go log.Fatal at
// tag v0.22.0). Never gateway-tcproute or gateway-udproute: v0.22.0 reads
// them at v1alpha2 (source/gateway_tcproute.go), which Gateway API v1.6's
// standard channel does not serve, so ExternalDNS would exit
// (kubernetes-sigs/external-dns#6749).
func Sources(gatewayHTTPRoutes bool) []any {
	if gatewayHTTPRoutes {
		return []any{"service", "ingress", "gateway-httproute"}
	}
	return []any{"service", "ingress"}
}

// HelmValues are the chart values for one zone; ExternalDNS's role is
// roleArn, which it gets the way mode says. Each key is a key of the chart's
// values.yaml at versions.ExternalDNSChart (1.21.1). gatewayHTTPRoutes adds
// the HTTPRoute source (Sources).
func HelmValues(domain, hostedZoneID, region, txtOwnerID string, mode trust.Mode, roleArn string, gatewayHTTPRoutes bool) map[string]any {
	values := map[string]any{
		// image.tag: the app the chart lags behind (its appVersion is 0.21.0).
		"image": map[string]any{"tag": versions.ExternalDNS},
		// annotationPrefix: --annotation-prefix, see AnnotationPrefix.
		"annotationPrefix": AnnotationPrefix,
		// domainFilters: --domain-filter, only names under the lab's domain.
		"domainFilters": []any{domain},
		// policy: --policy=sync deletes the records of a deleted Service or
		// Ingress (the chart's upsert-only would leave them).
		"policy": "sync",
		// txtOwnerId: --txt-owner-id, the records this stack owns.
		"txtOwnerId": txtOwnerID,
		// triggerLoopOnEvent: --events, react to Service/Ingress changes at
		// once instead of at the next one-minute poll, so records go soon
		// after their Service does.
		"triggerLoopOnEvent": true,
		// env: the region for the AWS SDK; with the nodes' IMDS hop limit of 1
		// ExternalDNS cannot discover it.
		"env": []any{
			map[string]any{"name": "AWS_DEFAULT_REGION", "value": region},
		},
		// extraArgs: flags the chart has no values for.
		"extraArgs": []any{
			"--aws-zone-type=public",
			"--zone-id-filter=" + ZoneID(hostedZoneID),
		},
	}
	// sources: --source, left at the chart's default without Gateway API. The
	// chart's ClusterRole then also grants get, watch and list on gateways,
	// httproutes and namespaces (templates/clusterrole.yaml, hasGatewaySources
	// in _helpers.tpl at tag external-dns-helm-chart-1.21.1).
	if gatewayHTTPRoutes {
		values["sources"] = Sources(true)
	}
	// serviceAccount.annotations: the IRSA role annotation, none with Pod Identity.
	if sa := trust.ServiceAccountValues(mode, roleArn); sa != nil {
		values["serviceAccount"] = sa
	}
	// podAnnotations: on the pod template (templates/deployment.yaml at tag external-dns-helm-chart-1.21.1), so that
	// a change of mode restarts the pods with their new credentials.
	values["podAnnotations"] = trust.PodAnnotations(mode)
	return values
}
