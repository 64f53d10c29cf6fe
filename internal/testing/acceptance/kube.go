package acceptance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/eks-study/lab/components/externaldns/extdns"
	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/infra/config"
)

// condition is a node's or pod's status condition.
type condition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
}

func ready(conds []condition) bool {
	for _, c := range conds {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

// CheckNodes checks a NodeList (GET /api/v1/nodes): want nodes, all Ready,
// each with maxPods allocatable pods, the number `lab plan` computed from
// the instance type's ENIs (max pods = ENIs x (IPv4 per ENI - 1) + 2).
func CheckNodes(nodeList []byte, want, maxPods int) error {
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Status struct {
				Allocatable map[string]string `json:"allocatable"`
				Conditions  []condition       `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(nodeList, &list); err != nil {
		return fmt.Errorf("not a NodeList: %w", err)
	}
	var problems []string
	readyNodes := 0
	for _, n := range list.Items {
		if ready(n.Status.Conditions) {
			readyNodes++
		} else {
			problems = append(problems, "node "+n.Metadata.Name+" is not Ready")
		}
		if got := n.Status.Allocatable["pods"]; got != fmt.Sprint(maxPods) {
			problems = append(problems, fmt.Sprintf("node %s allocates %q pods; the plan says %d per node (is the VPC CNI's prefix delegation or a custom max-pods on?)", n.Metadata.Name, got, maxPods))
		}
	}
	if len(list.Items) != want || readyNodes != want {
		problems = append([]string{fmt.Sprintf("%d node(s), %d Ready; want %d Ready", len(list.Items), readyNodes, want)}, problems...)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// CheckPodsReady checks a PodList: at least one pod, and every pod not
// being deleted is Ready. what names the pods in the error.
func CheckPodsReady(podList []byte, what string) error {
	var list struct {
		Items []struct {
			Metadata struct {
				Name              string  `json:"name"`
				DeletionTimestamp *string `json:"deletionTimestamp"`
			} `json:"metadata"`
			Status struct {
				Phase      string      `json:"phase"`
				Conditions []condition `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(podList, &list); err != nil {
		return fmt.Errorf("%s: not a PodList: %w", what, err)
	}
	var notReady []string
	live := 0
	for _, p := range list.Items {
		if p.Metadata.DeletionTimestamp != nil {
			continue
		}
		live++
		if !ready(p.Status.Conditions) {
			notReady = append(notReady, fmt.Sprintf("%s (%s)", p.Metadata.Name, p.Status.Phase))
		}
	}
	switch {
	case live == 0:
		return fmt.Errorf("%s: no pods", what)
	case len(notReady) > 0:
		return fmt.Errorf("%s: %d of %d pod(s) not Ready: %s", what, len(notReady), live, strings.Join(notReady, ", "))
	}
	return nil
}

// Pods names a controller's pods and the API path that lists them.
type Pods struct {
	What string
	Path string
}

// ControllerPods are the pods of the controllers the config installs, found
// by their charts' selector labels (app.kubernetes.io/name and /instance,
// the _helpers.tpl of both charts).
func ControllerPods(cfg *config.Config) []Pods {
	list := func(ns, name, release string) string {
		q := url.Values{"labelSelector": {"app.kubernetes.io/name=" + name + ",app.kubernetes.io/instance=" + release}}
		return "/api/v1/namespaces/" + ns + "/pods?" + q.Encode()
	}
	var out []Pods
	if cfg.LBController {
		out = append(out, Pods{"AWS Load Balancer Controller", list(awslbc.Namespace, awslbc.ChartName, awslbc.ReleaseName)})
	}
	if cfg.ExternalDNS {
		out = append(out, Pods{"ExternalDNS", list(extdns.Namespace, extdns.ChartName, extdns.ReleaseName)})
	}
	return out
}

// LoadBalancerHostname reads a Service's or Ingress's
// status.loadBalancer.ingress[0].hostname, or a Gateway's
// status.addresses[0].value: the controller writes it once the NLB or ALB
// exists. "" until then.
func LoadBalancerHostname(object []byte) (string, error) {
	var o struct {
		Status struct {
			LoadBalancer struct {
				Ingress []struct {
					Hostname string `json:"hostname"`
				} `json:"ingress"`
			} `json:"loadBalancer"`
			Addresses []struct {
				Value string `json:"value"`
			} `json:"addresses"`
		} `json:"status"`
	}
	if err := json.Unmarshal(object, &o); err != nil {
		return "", fmt.Errorf("not a Service, Ingress or Gateway: %w", err)
	}
	if ing := o.Status.LoadBalancer.Ingress; len(ing) > 0 {
		return ing[0].Hostname, nil
	}
	if a := o.Status.Addresses; len(a) > 0 {
		return a[0].Value, nil
	}
	return "", nil
}

// Object is one Kubernetes object the test creates through the API.
type Object struct {
	What           string // e.g. "Service default/member-nlb"
	CollectionPath string // POST here to create it
	Name           string
	Body           []byte // JSON
	// LoadBalanced: the AWS Load Balancer Controller builds a load balancer for it.
	LoadBalanced bool
}

// Path is the object's own API path.
func (o Object) Path() string { return o.CollectionPath + "/" + o.Name }

// Names of the member-style objects.
const (
	MemberNamespace = "default"
	memberApp       = "member-web"
)

// MemberObjects are what a member makes by hand with kubectl in the week's
// exercises, which Pulumi does not know about: a LoadBalancer Service (an
// NLB, annotated as the study's manifests do) and an Ingress of class alb
// (its own ALB) with the ClusterIP Service it routes to; with gatewayAPI
// (the stack installs it) also a Gateway of class alb (an internal ALB) and
// an HTTPRoute to that Service. `pulumi destroy` must delete their load
// balancers before the controller goes.
func MemberObjects(gatewayAPI bool) []Object {
	labels := map[string]string{"app": memberApp, "app.kubernetes.io/part-of": "eks-lab-acceptance"}
	obj := func(apiVersion, kind, collection, name string, lb bool, annotations map[string]string, spec map[string]any) Object {
		body, _ := json.Marshal(map[string]any{
			"apiVersion": apiVersion,
			"kind":       kind,
			"metadata":   map[string]any{"name": name, "namespace": MemberNamespace, "labels": labels, "annotations": annotations},
			"spec":       spec,
		})
		return Object{What: kind + " " + MemberNamespace + "/" + name, CollectionPath: collection, Name: name, Body: body, LoadBalanced: lb}
	}
	services := "/api/v1/namespaces/" + MemberNamespace + "/services"
	ingresses := "/apis/networking.k8s.io/v1/namespaces/" + MemberNamespace + "/ingresses"
	ports := []map[string]any{{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}}
	selector := map[string]string{"app": memberApp}
	nlb, _ := catalog.NLBAnnotations(catalog.TargetIP)
	backend := map[string]any{"service": map[string]any{"name": "member-web", "port": map[string]any{"number": 80}}}
	objs := []Object{
		obj("v1", "Service", services, "member-nlb", true, nlb, map[string]any{
			"type": "LoadBalancer", "loadBalancerClass": catalog.NLBClass, "selector": selector, "ports": ports,
		}),
		// The Ingress's backend: the controller resolves it before it builds the ALB.
		obj("v1", "Service", services, "member-web", false, nil, map[string]any{
			"type": "ClusterIP", "selector": selector, "ports": ports,
		}),
		obj("networking.k8s.io/v1", "Ingress", ingresses, "member-alb", true, catalog.IngressAnnotations("", ""), map[string]any{
			"ingressClassName": catalog.ALBClass,
			"rules": []map[string]any{{"http": map[string]any{"paths": []map[string]any{
				{"path": "/", "pathType": "Prefix", "backend": backend},
			}}}},
		}),
	}
	if !gatewayAPI {
		return objs
	}
	gateways := "/apis/gateway.networking.k8s.io/v1/namespaces/" + MemberNamespace + "/gateways"
	routes := "/apis/gateway.networking.k8s.io/v1/namespaces/" + MemberNamespace + "/httproutes"
	return append(objs,
		obj("gateway.networking.k8s.io/v1", "Gateway", gateways, "member-gw", true, nil, map[string]any{
			"gatewayClassName": awslbc.ALBGatewayClass,
			"listeners":        []map[string]any{{"name": "http", "protocol": "HTTP", "port": 80}},
		}),
		obj("gateway.networking.k8s.io/v1", "HTTPRoute", routes, "member-route", false, nil, map[string]any{
			"parentRefs": []map[string]any{{"name": "member-gw"}},
			"rules":      []map[string]any{{"backendRefs": []map[string]any{{"name": memberApp, "port": 80}}}},
		}),
	)
}
