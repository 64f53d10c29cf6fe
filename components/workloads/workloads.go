// Package workloads deploys the sample workloads of the networking week, each
// in its own namespace and each toggled by its config key: NLBs in IP and
// instance mode, PROXY protocol v2, an ALB Ingress, an ExternalDNS name, and
// the lab tools (netshoot, iperf3, kube-ops-view). The samples are the rows
// of components/workloads/catalog; builders has one builder per row.
package workloads

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/components/workloads/catalog"
)

// Public images, pinned. The 2048 and tetris images publish only "latest".
const (
	EchoImage        = "registry.k8s.io/echoserver:1.10" // prints the client address it sees
	NginxImage       = "nginx:1.27.4-alpine"
	Game2048Image    = "public.ecr.aws/l6m2t8p7/docker-2048:latest"
	TetrisImage      = "bsord/tetris:latest"
	NetshootImage    = "nicolaka/netshoot:v0.13" // also carries iperf3
	KubeOpsViewImage = "hjacobs/kube-ops-view:20.4.0"
)

// WorkloadsArgs selects and configures the samples.
type WorkloadsArgs struct {
	// Samples are the samples to deploy, by catalog key. Default: none.
	Samples catalog.Selection
	// Domain is the zone ExternalDNS manages; tetris is tetris.<Domain>. Required with Samples.Tetris.
	Domain string
	// ExternalDNS tells that ExternalDNS publishes names under Domain; the ALB
	// Gateway sample is then also catalog.GatewayALBHost.<Domain>. Optional. Default false.
	ExternalDNS bool
	// ALBGroupName is the 2048 Ingress's alb.ingress.kubernetes.io/group.name. Optional.
	ALBGroupName string
	// ACMCertificateArn turns on HTTPS for the 2048 Ingress. Optional.
	ACMCertificateArn string
}

// Workloads are the deployed samples.
type Workloads struct {
	pulumi.ResourceState

	// URLs maps stack output names (catalog.OutEchoNLB, ...) to http://<load balancer
	// DNS name>, for the enabled samples that have a load balancer.
	URLs map[string]pulumi.StringOutput
}

// NewWorkloads deploys the enabled samples. DependsOn given in opts (the controllers'
// Helm releases) is applied to every Kubernetes resource: on destroy the
// Services and Ingresses go first, while the controllers still run and
// delete their load balancers, security groups and DNS records.
func NewWorkloads(ctx *pulumi.Context, name string, args *WorkloadsArgs, opts ...pulumi.ResourceOption) (*Workloads, error) {
	if args == nil {
		return nil, fmt.Errorf("workloads %s: args are required", name)
	}
	if err := args.Samples.Check(); err != nil {
		return nil, fmt.Errorf("workloads %s: %w", name, err)
	}
	w := &Workloads{URLs: map[string]pulumi.StringOutput{}}
	if err := ctx.RegisterComponentResource("eks-lab:workloads:Workloads", name, w, opts...); err != nil {
		return nil, err
	}
	resOpts, err := pulumi.NewResourceOptions(opts...)
	if err != nil {
		return nil, err
	}
	b := &builder{ctx: ctx, prefix: name, opts: []pulumi.ResourceOption{pulumi.Parent(w), pulumi.DependsOn(resOpts.DependsOn)}, urls: w.URLs}
	for _, sample := range args.Samples.Enabled() {
		build, ok := builders[sample.Key]
		if !ok {
			return nil, fmt.Errorf("workloads %s: sample %s has no builder", name, sample.Key)
		}
		if err := build(b, sample, args); err != nil {
			return nil, fmt.Errorf("workloads %s: %s: %w", name, sample.Name, err)
		}
	}

	outs := pulumi.Map{}
	for k, v := range w.URLs {
		outs[k] = v
	}
	return w, ctx.RegisterResourceOutputs(w, outs)
}

// builders builds each sample of the catalog, by its key.
var builders = map[string]func(*builder, catalog.Sample, *WorkloadsArgs) error{
	catalog.EchoNLB:          (*builder).echoNLB,
	catalog.ProxyProtocolNLB: (*builder).proxyProtocolNLB,
	catalog.InstanceModeNLB:  (*builder).instanceModeNLB,
	catalog.Game2048ALB:      (*builder).game2048,
	catalog.Tetris:           (*builder).tetris,
	catalog.GatewayALB:       (*builder).gatewayALB,
	catalog.GatewayNLB:       (*builder).gatewayNLB,
	catalog.Netshoot:         (*builder).netshoot,
	catalog.Iperf3:           (*builder).iperf3,
	catalog.KubeOpsView:      (*builder).kubeOpsView,
}

// BuilderKeys lists the catalog keys that have a builder, for the test that
// every row of the catalog has exactly one.
func BuilderKeys() []string { return slices.Sorted(maps.Keys(builders)) }

type builder struct {
	ctx    *pulumi.Context
	prefix string
	opts   []pulumi.ResourceOption
	urls   map[string]pulumi.StringOutput
}

func (b *builder) rname(parts ...string) string {
	n := b.prefix
	for _, p := range parts {
		n += "-" + p
	}
	return n
}

// space is a sample's namespace. Objects are named <prefix>-<namespace>-<name>
// in Pulumi, so two samples may both have an "echo" Deployment.
type space struct {
	name string
	out  pulumi.StringPtrOutput // the Namespace's name: objects in it depend on it
}

func (b *builder) namespace(name string) (space, error) {
	ns, err := corev1.NewNamespace(b.ctx, b.rname(name), &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(name), Labels: labLabels(name)},
	}, b.opts...)
	if err != nil {
		return space{}, fmt.Errorf("namespace %s: %w", name, err)
	}
	return space{name: name, out: ns.Metadata.Name()}, nil
}

func labLabels(app string) pulumi.StringMap {
	return pulumi.StringMap{"app": pulumi.String(app), "app.kubernetes.io/part-of": pulumi.String("eks-lab")}
}

// deployment is one Deployment whose pods carry app=<name>.
type deployment struct {
	ns       space
	name     string
	replicas int
	pod      corev1.PodSpecArgs
}

func (b *builder) deployment(d deployment) error {
	_, err := appsv1.NewDeployment(b.ctx, b.rname(d.ns.name, d.name), &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(d.name), Namespace: d.ns.out, Labels: labLabels(d.name)},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(d.replicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app": pulumi.String(d.name)}},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: labLabels(d.name)},
				Spec:     d.pod,
			},
		},
	}, b.opts...)
	if err != nil {
		return fmt.Errorf("deployment %s: %w", d.name, err)
	}
	return nil
}

// lbService is a LoadBalancer Service of class catalog.NLBClass in front of app.
type lbService struct {
	ns          space
	name, app   string
	port        int
	targetPort  int
	annotations map[string]string
	// externalTrafficPolicy is "Cluster" or "Local"; empty keeps the default (Cluster).
	externalTrafficPolicy string
}

func (b *builder) lbService(s lbService) (*corev1.Service, error) {
	spec := &corev1.ServiceSpecArgs{
		Type:              pulumi.String("LoadBalancer"),
		LoadBalancerClass: pulumi.String(catalog.NLBClass),
		Selector:          pulumi.StringMap{"app": pulumi.String(s.app)},
		Ports: corev1.ServicePortArray{corev1.ServicePortArgs{
			Name: pulumi.String("http"), Protocol: pulumi.String("TCP"),
			Port: pulumi.Int(s.port), TargetPort: pulumi.Int(s.targetPort),
		}},
	}
	if s.externalTrafficPolicy != "" {
		spec.ExternalTrafficPolicy = pulumi.String(s.externalTrafficPolicy)
	}
	svc, err := corev1.NewService(b.ctx, b.rname(s.ns.name, s.name), &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(s.name), Namespace: s.ns.out, Labels: labLabels(s.app),
			Annotations: pulumi.ToStringMap(s.annotations),
		},
		Spec: spec,
	}, b.opts...)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", s.name, err)
	}
	return svc, nil
}

// serviceURL is http://<NLB DNS name> once the controller has written it to
// the Service's status ("" before: Index would panic on an empty list).
func serviceURL(svc *corev1.Service) pulumi.StringOutput {
	return svc.Status.ApplyT(func(s *corev1.ServiceStatus) string {
		if s == nil || s.LoadBalancer == nil || len(s.LoadBalancer.Ingress) == 0 {
			return ""
		}
		return catalog.URL(s.LoadBalancer.Ingress[0].Hostname)
	}).(pulumi.StringOutput)
}

// ingressURL is http://<ALB DNS name>, the same way.
func ingressURL(ing *networkingv1.Ingress) pulumi.StringOutput {
	return ing.Status.ApplyT(func(s *networkingv1.IngressStatus) string {
		if s == nil || s.LoadBalancer == nil || len(s.LoadBalancer.Ingress) == 0 {
			return ""
		}
		return catalog.URL(s.LoadBalancer.Ingress[0].Hostname)
	}).(pulumi.StringOutput)
}

func echoPod() corev1.PodSpecArgs {
	return corev1.PodSpecArgs{
		TerminationGracePeriodSeconds: pulumi.Int(0),
		Containers: corev1.ContainerArray{corev1.ContainerArgs{
			Name: pulumi.String("echo"), Image: pulumi.String(EchoImage),
			Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(8080)}},
		}},
	}
}

// echoNLB: IP targets. The pod sees the NLB's private address as the client.
func (b *builder) echoNLB(s catalog.Sample, _ *WorkloadsArgs) error {
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	if err := b.deployment(deployment{ns: ns, name: "echo", replicas: 2, pod: echoPod()}); err != nil {
		return err
	}
	ann, err := catalog.NLBAnnotations(catalog.TargetIP)
	if err != nil {
		return err
	}
	svc, err := b.lbService(lbService{ns: ns, name: "echo-nlb", app: "echo", port: 80, targetPort: 8080, annotations: ann})
	if err != nil {
		return err
	}
	b.urls[catalog.OutEchoNLB] = serviceURL(svc)
	return nil
}

// proxyProtocolNLB: IP targets with PROXY protocol v2. nginx reads the
// header, so the real client address survives the NLB.
func (b *builder) proxyProtocolNLB(s catalog.Sample, _ *WorkloadsArgs) error {
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	cm, err := corev1.NewConfigMap(b.ctx, b.rname(ns.name, "nginx-proxy-protocol"), &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("nginx-proxy-protocol"), Namespace: ns.out, Labels: labLabels("nginx")},
		Data:     pulumi.StringMap{"default.conf": pulumi.String(catalog.ProxyProtocolNginxConf)},
	}, b.opts...)
	if err != nil {
		return fmt.Errorf("configmap: %w", err)
	}
	pod := corev1.PodSpecArgs{
		Containers: corev1.ContainerArray{corev1.ContainerArgs{
			Name: pulumi.String("nginx"), Image: pulumi.String(NginxImage),
			Ports:        corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(80)}},
			VolumeMounts: corev1.VolumeMountArray{corev1.VolumeMountArgs{Name: pulumi.String("conf"), MountPath: pulumi.String("/etc/nginx/conf.d")}},
		}},
		Volumes: corev1.VolumeArray{corev1.VolumeArgs{
			Name:      pulumi.String("conf"),
			ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: cm.Metadata.Name()},
		}},
	}
	if err := b.deployment(deployment{ns: ns, name: "nginx", replicas: 2, pod: pod}); err != nil {
		return err
	}
	svc, err := b.lbService(lbService{ns: ns, name: "nginx-nlb", app: "nginx", port: 80, targetPort: 80, annotations: catalog.ProxyProtocolAnnotations()})
	if err != nil {
		return err
	}
	b.urls[catalog.OutProxyProtocolNLB] = serviceURL(svc)
	return nil
}

// instanceModeNLB: instance targets (node ports) in front of the same two echo
// pods, once with externalTrafficPolicy Cluster (a second hop through
// kube-proxy, client address SNATed to a node's) and once with Local (only
// nodes running a pod pass the health check; the client address is kept).
func (b *builder) instanceModeNLB(s catalog.Sample, _ *WorkloadsArgs) error {
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	if err := b.deployment(deployment{ns: ns, name: "echo", replicas: 2, pod: echoPod()}); err != nil {
		return err
	}
	for _, v := range []struct{ name, policy, out string }{
		{"echo-cluster", "Cluster", catalog.OutInstanceModeCluster},
		{"echo-local", "Local", catalog.OutInstanceModeLocal},
	} {
		ann, err := catalog.NLBAnnotations(catalog.TargetInstance)
		if err != nil {
			return err
		}
		svc, err := b.lbService(lbService{ns: ns, name: v.name, app: "echo", port: 80, targetPort: 8080,
			annotations: ann, externalTrafficPolicy: v.policy})
		if err != nil {
			return err
		}
		b.urls[v.out] = serviceURL(svc)
	}
	return nil
}

// game2048: an ALB Ingress with IP targets.
func (b *builder) game2048(s catalog.Sample, args *WorkloadsArgs) error {
	groupName, certificateArn := args.ALBGroupName, args.ACMCertificateArn
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	pod := corev1.PodSpecArgs{Containers: corev1.ContainerArray{corev1.ContainerArgs{
		Name: pulumi.String("app-2048"), Image: pulumi.String(Game2048Image),
		Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(80)}},
	}}}
	if err := b.deployment(deployment{ns: ns, name: "app-2048", replicas: 2, pod: pod}); err != nil {
		return err
	}
	svc, err := corev1.NewService(b.ctx, b.rname(ns.name, "service-2048"), &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("service-2048"), Namespace: ns.out, Labels: labLabels("app-2048")},
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: pulumi.StringMap{"app": pulumi.String("app-2048")},
			Ports:    corev1.ServicePortArray{corev1.ServicePortArgs{Name: pulumi.String("http"), Port: pulumi.Int(80), TargetPort: pulumi.Int(80)}},
		},
	}, b.opts...)
	if err != nil {
		return fmt.Errorf("service service-2048: %w", err)
	}
	ing, err := networkingv1.NewIngress(b.ctx, b.rname(ns.name, "ingress-2048"), &networkingv1.IngressArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String("ingress-2048"), Namespace: ns.out, Labels: labLabels("app-2048"),
			Annotations: pulumi.ToStringMap(catalog.IngressAnnotations(groupName, certificateArn)),
		},
		Spec: &networkingv1.IngressSpecArgs{
			IngressClassName: pulumi.String(catalog.ALBClass),
			Rules: networkingv1.IngressRuleArray{networkingv1.IngressRuleArgs{
				Http: &networkingv1.HTTPIngressRuleValueArgs{Paths: networkingv1.HTTPIngressPathArray{networkingv1.HTTPIngressPathArgs{
					Path: pulumi.String("/"), PathType: pulumi.String("Prefix"),
					Backend: networkingv1.IngressBackendArgs{Service: &networkingv1.IngressServiceBackendArgs{
						Name: svc.Metadata.Name().Elem(),
						Port: &networkingv1.ServiceBackendPortArgs{Number: pulumi.Int(80)},
					}},
				}}},
			}},
		},
	}, b.opts...)
	if err != nil {
		return fmt.Errorf("ingress ingress-2048: %w", err)
	}
	b.urls[catalog.OutGame2048] = ingressURL(ing)
	return nil
}

// tetris: an NLB whose DNS name ExternalDNS publishes as tetris.<domain>.
func (b *builder) tetris(s catalog.Sample, args *WorkloadsArgs) error {
	host := "tetris." + args.Domain
	ann, err := catalog.HostnameAnnotations(host)
	if err != nil {
		return fmt.Errorf("tetris needs eks-lab:domain: %w", err)
	}
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	pod := corev1.PodSpecArgs{Containers: corev1.ContainerArray{corev1.ContainerArgs{
		Name: pulumi.String("tetris"), Image: pulumi.String(TetrisImage),
		Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(80)}},
	}}}
	if err := b.deployment(deployment{ns: ns, name: "tetris", replicas: 1, pod: pod}); err != nil {
		return err
	}
	svc, err := b.lbService(lbService{ns: ns, name: "tetris", app: "tetris", port: 80, targetPort: 80, annotations: ann})
	if err != nil {
		return err
	}
	// Derived from the Service, not made from a plain string: an output that
	// belongs to no resource is outside the context's work group, so the
	// engine does not wait for what is applied to it (a stack output built
	// on it could be read before it resolved).
	b.urls[catalog.OutTetris] = svc.Metadata.ApplyT(func(metav1.ObjectMeta) string { return "http://" + host }).(pulumi.StringOutput)
	return nil
}

// clusterIP is a ClusterIP Service named after the app it fronts, port 80
// to the app's targetPort.
func (b *builder) clusterIP(ns space, app string, targetPort int) (*corev1.Service, error) {
	svc, err := corev1.NewService(b.ctx, b.rname(ns.name, app), &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(app), Namespace: ns.out, Labels: labLabels(app)},
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: pulumi.StringMap{"app": pulumi.String(app)},
			Ports:    corev1.ServicePortArray{corev1.ServicePortArgs{Name: pulumi.String("http"), Port: pulumi.Int(80), TargetPort: pulumi.Int(targetPort)}},
		},
	}, b.opts...)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", app, err)
	}
	return svc, nil
}

// custom is an object of a kind a CRD defines (Gateway API's, the load
// balancer controller's), created after deps.
func (b *builder) custom(ns space, apiVersion, kind, name string, annotations map[string]string, spec pulumi.Map, deps ...pulumi.Resource) (*apiextensions.CustomResource, error) {
	r, err := apiextensions.NewCustomResource(b.ctx, b.rname(ns.name, name), &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(apiVersion),
		Kind:       pulumi.String(kind),
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(name), Namespace: ns.out, Labels: labLabels(name),
			Annotations: pulumi.ToStringMap(annotations),
		},
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, append(slices.Clip(b.opts), pulumi.DependsOn(deps))...)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, name, err)
	}
	return r, nil
}

// Gateway API and the controller's configuration kinds the Gateway samples use.
const (
	gatewayAPIVersion = "gateway.networking.k8s.io/v1"
	lbcConfigVersion  = "gateway.k8s.aws/v1"
)

// gatewayWaitFor makes `pulumi up` wait for the load balancer's DNS name in
// the Gateway's status (the controller writes it once the load balancer
// exists, gateway_controller.go at versions.LBController), as it waits for
// a Service's or an Ingress's; pulumi-kubernetes reads it since v4.18.
var gatewayWaitFor = map[string]string{"pulumi.com/waitFor": "jsonpath={.status.addresses[0].value}"}

// lbConfiguration is the LoadBalancerConfiguration internet-facing: the
// controller's Gateways are internal unless one says otherwise
// (docs/guide/gateway/loadbalancerconfig.md at versions.LBController).
func (b *builder) lbConfiguration(ns space, attributes pulumi.Array) (*apiextensions.CustomResource, error) {
	spec := pulumi.Map{"scheme": pulumi.String("internet-facing")}
	if attributes != nil {
		spec["loadBalancerAttributes"] = attributes
	}
	return b.custom(ns, lbcConfigVersion, "LoadBalancerConfiguration", "internet-facing", nil, spec)
}

// ipTargets is the TargetGroupConfiguration that gives a Service's target
// groups ip targets (the controller's default is instance,
// docs/guide/gateway/targetgroupconfig.md at versions.LBController).
// It is named after the Service.
func (b *builder) ipTargets(ns space, service string, svc *corev1.Service) (*apiextensions.CustomResource, error) {
	return b.custom(ns, lbcConfigVersion, "TargetGroupConfiguration", service, nil, pulumi.Map{
		"targetReference":      pulumi.Map{"name": pulumi.String(service)},
		"defaultConfiguration": pulumi.Map{"targetType": pulumi.String(catalog.TargetIP)},
	}, svc)
}

// gateway is a Gateway of class with one listener, whose load balancer the
// LoadBalancerConfiguration lbc sets up; it waits for the load balancer.
func (b *builder) gateway(ns space, name, class, listener, protocol string, lbc pulumi.Resource, deps []pulumi.Resource) (*apiextensions.CustomResource, error) {
	return b.custom(ns, gatewayAPIVersion, "Gateway", name, gatewayWaitFor, pulumi.Map{
		"gatewayClassName": pulumi.String(class),
		"infrastructure": pulumi.Map{"parametersRef": pulumi.Map{
			"group": pulumi.String("gateway.k8s.aws"), "kind": pulumi.String("LoadBalancerConfiguration"), "name": pulumi.String("internet-facing"),
		}},
		"listeners": pulumi.Array{pulumi.Map{
			"name": pulumi.String(listener), "protocol": pulumi.String(protocol), "port": pulumi.Int(80),
			"allowedRoutes": pulumi.Map{"namespaces": pulumi.Map{"from": pulumi.String("Same")}},
		}},
	}, append(slices.Clip(deps), lbc)...)
}

// parentRef is a route's reference to a listener of a Gateway.
func parentRef(gateway, listener string) pulumi.Array {
	return pulumi.Array{pulumi.Map{
		"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"),
		"name": pulumi.String(gateway), "sectionName": pulumi.String(listener),
	}}
}

// backend is a route's backendRef to a Service's port 80; weight 0 leaves the default.
func backend(service string, weight int) pulumi.Map {
	m := pulumi.Map{"name": pulumi.String(service), "port": pulumi.Int(80)}
	if weight > 0 {
		m["weight"] = pulumi.Int(weight)
	}
	return m
}

// gatewayURL is http://<load balancer DNS name> once the controller has
// written it to the Gateway's status.addresses, "" before.
func gatewayURL(gw *apiextensions.CustomResource) pulumi.StringOutput {
	return gw.OtherFields.ApplyT(func(fields map[string]any) string {
		status, _ := fields["status"].(map[string]any)
		addresses, _ := status["addresses"].([]any)
		if len(addresses) == 0 {
			return ""
		}
		first, _ := addresses[0].(map[string]any)
		host, _ := first["value"].(string)
		return catalog.URL(&host)
	}).(pulumi.StringOutput)
}

// gatewayALB: an internet-facing ALB Gateway whose HTTPRoute sends /blue and
// /green to their own backends and splits / 90/10 between them: path
// routing and a weighted canary, which an Ingress gets only through the
// controller's actions.* JSON annotations.
func (b *builder) gatewayALB(s catalog.Sample, args *WorkloadsArgs) error {
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	lbc, err := b.lbConfiguration(ns, nil)
	if err != nil {
		return err
	}
	var deps []pulumi.Resource
	for _, app := range []string{"blue", "green"} {
		if err := b.deployment(deployment{ns: ns, name: app, replicas: 2, pod: echoPod()}); err != nil {
			return err
		}
		svc, err := b.clusterIP(ns, app, 8080)
		if err != nil {
			return err
		}
		tgc, err := b.ipTargets(ns, app, svc)
		if err != nil {
			return err
		}
		deps = append(deps, svc, tgc)
	}
	gw, err := b.gateway(ns, "web", awslbc.ALBGatewayClass, "http", "HTTP", lbc, deps)
	if err != nil {
		return err
	}
	// No spec.hostnames: it would add a host-header condition, and the
	// ALB's own name (the stack output) would get the default 404.
	var annotations map[string]string
	if args.ExternalDNS && args.Domain != "" {
		if annotations, err = catalog.HostnameAnnotations(catalog.GatewayALBHost + "." + args.Domain); err != nil {
			return err
		}
	}
	prefix := func(path string) pulumi.Array {
		return pulumi.Array{pulumi.Map{"path": pulumi.Map{"type": pulumi.String("PathPrefix"), "value": pulumi.String(path)}}}
	}
	if _, err := b.custom(ns, gatewayAPIVersion, "HTTPRoute", "blue-green", annotations, pulumi.Map{
		"parentRefs": parentRef("web", "http"),
		"rules": pulumi.Array{
			pulumi.Map{"matches": prefix("/blue"), "backendRefs": pulumi.Array{backend("blue", 0)}},
			pulumi.Map{"matches": prefix("/green"), "backendRefs": pulumi.Array{backend("green", 0)}},
			pulumi.Map{"matches": prefix("/"), "backendRefs": pulumi.Array{backend("blue", 90), backend("green", 10)}},
		},
	}, append(slices.Clip(deps), gw)...); err != nil {
		return err
	}
	b.urls[catalog.OutGatewayALB] = gatewayURL(gw)
	return nil
}

// gatewayNLB: an internet-facing NLB Gateway with cross-zone load balancing
// and a TCPRoute to the echo pods, with ip targets: the echo NLB's twin.
func (b *builder) gatewayNLB(s catalog.Sample, _ *WorkloadsArgs) error {
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	lbc, err := b.lbConfiguration(ns, pulumi.Array{pulumi.Map{
		"key": pulumi.String("load_balancing.cross_zone.enabled"), "value": pulumi.String("true"),
	}})
	if err != nil {
		return err
	}
	if err := b.deployment(deployment{ns: ns, name: "echo", replicas: 2, pod: echoPod()}); err != nil {
		return err
	}
	svc, err := b.clusterIP(ns, "echo", 8080)
	if err != nil {
		return err
	}
	tgc, err := b.ipTargets(ns, "echo", svc)
	if err != nil {
		return err
	}
	gw, err := b.gateway(ns, "echo", awslbc.NLBGatewayClass, "tcp", "TCP", lbc, []pulumi.Resource{svc, tgc})
	if err != nil {
		return err
	}
	if _, err := b.custom(ns, gatewayAPIVersion, "TCPRoute", "echo", nil, pulumi.Map{
		"parentRefs": parentRef("echo", "tcp"),
		"rules":      pulumi.Array{pulumi.Map{"backendRefs": pulumi.Array{backend("echo", 0)}}},
	}, svc, gw); err != nil {
		return err
	}
	b.urls[catalog.OutGatewayNLB] = gatewayURL(gw)
	return nil
}

// sleeper is a netshoot container that waits for kubectl exec.
func sleeper(name string) corev1.ContainerArgs {
	return corev1.ContainerArgs{
		Name: pulumi.String(name), Image: pulumi.String(NetshootImage),
		Command: pulumi.ToStringArray([]string{"sleep", "2147483647"}),
	}
}

// OnePerNode spreads the pods of app over nodes, at most one more on any
// node than on another: with as many replicas as nodes, one per node.
func OnePerNode(app string) corev1.TopologySpreadConstraintArray {
	return corev1.TopologySpreadConstraintArray{corev1.TopologySpreadConstraintArgs{
		MaxSkew:           pulumi.Int(1),
		TopologyKey:       pulumi.String("kubernetes.io/hostname"),
		WhenUnsatisfiable: pulumi.String("DoNotSchedule"),
		LabelSelector:     &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app": pulumi.String(app)}},
	}}
}

// AwayFrom keeps a pod off every node that runs a pod of app.
func AwayFrom(app string) *corev1.AffinityArgs {
	return &corev1.AffinityArgs{PodAntiAffinity: &corev1.PodAntiAffinityArgs{
		RequiredDuringSchedulingIgnoredDuringExecution: corev1.PodAffinityTermArray{corev1.PodAffinityTermArgs{
			TopologyKey:   pulumi.String("kubernetes.io/hostname"),
			LabelSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app": pulumi.String(app)}},
		}},
	}}
}

// netshoot: three toolboxes, one per node, for kubectl exec.
func (b *builder) netshoot(s catalog.Sample, _ *WorkloadsArgs) error {
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	return b.deployment(deployment{ns: ns, name: "netshoot", replicas: 3, pod: corev1.PodSpecArgs{
		TerminationGracePeriodSeconds: pulumi.Int(0),
		TopologySpreadConstraints:     OnePerNode("netshoot"),
		Containers:                    corev1.ContainerArray{sleeper("netshoot")},
	}})
}

// iperf3: a server behind a ClusterIP Service and a client that is never on
// the server's node, so a test crosses the VPC network.
func (b *builder) iperf3(s catalog.Sample, _ *WorkloadsArgs) error {
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	server := corev1.ContainerArgs{
		Name: pulumi.String("iperf3"), Image: pulumi.String(NetshootImage),
		Command: pulumi.ToStringArray([]string{"iperf3", "-s", "-p", "5201"}),
		Ports: corev1.ContainerPortArray{
			corev1.ContainerPortArgs{Name: pulumi.String("tcp"), ContainerPort: pulumi.Int(5201), Protocol: pulumi.String("TCP")},
			corev1.ContainerPortArgs{Name: pulumi.String("udp"), ContainerPort: pulumi.Int(5201), Protocol: pulumi.String("UDP")},
		},
	}
	if err := b.deployment(deployment{ns: ns, name: "iperf3-server", replicas: 1, pod: corev1.PodSpecArgs{
		Containers: corev1.ContainerArray{server},
	}}); err != nil {
		return err
	}
	if _, err := corev1.NewService(b.ctx, b.rname(ns.name, "iperf3-server"), &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("iperf3-server"), Namespace: ns.out, Labels: labLabels("iperf3-server")},
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: pulumi.StringMap{"app": pulumi.String("iperf3-server")},
			Ports: corev1.ServicePortArray{
				corev1.ServicePortArgs{Name: pulumi.String("tcp"), Port: pulumi.Int(5201), TargetPort: pulumi.Int(5201), Protocol: pulumi.String("TCP")},
				corev1.ServicePortArgs{Name: pulumi.String("udp"), Port: pulumi.Int(5201), TargetPort: pulumi.Int(5201), Protocol: pulumi.String("UDP")},
			},
		},
	}, b.opts...); err != nil {
		return fmt.Errorf("service iperf3-server: %w", err)
	}
	return b.deployment(deployment{ns: ns, name: "iperf3-client", replicas: 1, pod: corev1.PodSpecArgs{
		TerminationGracePeriodSeconds: pulumi.Int(0),
		Affinity:                      AwayFrom("iperf3-server"),
		Containers:                    corev1.ContainerArray{sleeper("iperf3-client")},
	}})
}

// KubeOpsViewRules are read-only: nodes and pods, and their metrics.
func KubeOpsViewRules() rbacv1.PolicyRuleArray {
	return rbacv1.PolicyRuleArray{
		rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{""}),
			Resources: pulumi.ToStringArray([]string{"nodes", "pods"}),
			Verbs:     pulumi.ToStringArray([]string{"get", "list"}),
		},
		rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray([]string{"metrics.k8s.io"}),
			Resources: pulumi.ToStringArray([]string{"nodes", "pods"}),
			Verbs:     pulumi.ToStringArray([]string{"get", "list"}),
		},
	}
}

// kubeOpsView: a picture of nodes and pods, reached with kubectl port-forward.
func (b *builder) kubeOpsView(s catalog.Sample, _ *WorkloadsArgs) error {
	const app = "kube-ops-view"
	ns, err := b.namespace(s.Namespace)
	if err != nil {
		return err
	}
	sa, err := corev1.NewServiceAccount(b.ctx, b.rname(ns.name, app), &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(app), Namespace: ns.out, Labels: labLabels(app)},
	}, b.opts...)
	if err != nil {
		return fmt.Errorf("service account: %w", err)
	}
	role, err := rbacv1.NewClusterRole(b.ctx, b.rname(app), &rbacv1.ClusterRoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(app), Labels: labLabels(app)},
		Rules:    KubeOpsViewRules(),
	}, b.opts...)
	if err != nil {
		return fmt.Errorf("cluster role: %w", err)
	}
	if _, err := rbacv1.NewClusterRoleBinding(b.ctx, b.rname(app), &rbacv1.ClusterRoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(app), Labels: labLabels(app)},
		RoleRef: rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("ClusterRole"),
			Name: role.Metadata.Name().Elem(),
		},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			Kind: pulumi.String("ServiceAccount"), Name: sa.Metadata.Name().Elem(), Namespace: ns.out,
		}},
	}, b.opts...); err != nil {
		return fmt.Errorf("cluster role binding: %w", err)
	}
	if err := b.deployment(deployment{ns: ns, name: app, replicas: 1, pod: corev1.PodSpecArgs{
		ServiceAccountName: sa.Metadata.Name(),
		Containers: corev1.ContainerArray{corev1.ContainerArgs{
			Name: pulumi.String(app), Image: pulumi.String(KubeOpsViewImage),
			Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(8080)}},
			ReadinessProbe: &corev1.ProbeArgs{HttpGet: &corev1.HTTPGetActionArgs{
				Path: pulumi.String("/health"), Port: pulumi.Int(8080),
			}},
		}},
	}}); err != nil {
		return err
	}
	if _, err := corev1.NewService(b.ctx, b.rname(ns.name, app), &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(app), Namespace: ns.out, Labels: labLabels(app)},
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: pulumi.StringMap{"app": pulumi.String(app)},
			Ports:    corev1.ServicePortArray{corev1.ServicePortArgs{Name: pulumi.String("http"), Port: pulumi.Int(8080), TargetPort: pulumi.Int(8080)}},
		},
	}, b.opts...); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	return nil
}
