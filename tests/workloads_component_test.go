package tests

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/workloads"
	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

const (
	typeNamespace   = "kubernetes:core/v1:Namespace"
	typeService     = "kubernetes:core/v1:Service"
	typeDeployment  = "kubernetes:apps/v1:Deployment"
	typeIngress     = "kubernetes:networking.k8s.io/v1:Ingress"
	typeClusterRole = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
)

// allSamples turns every sample of the catalog on.
var allSamples = func() catalog.Selection {
	all := catalog.Selection{}
	for _, key := range catalog.Keys() {
		all[key] = true
	}
	return all
}()

const certArn = "arn:aws:acm:ap-northeast-2:123456789012:certificate/0f0e0d0c"

type workloadsRun struct {
	plan       *offline.Plan
	urls       map[string]string
	controller string // URN of the stand-in for the controllers' Helm release
	provider   string // URN of the explicit kubernetes provider
}

// deployWorkloads runs workloads.NewWorkloads the way the program does: with an explicit
// kubernetes provider and a dependency on the controllers.
func deployWorkloads(t *testing.T, args workloads.WorkloadsArgs) workloadsRun {
	t.Helper()
	var mu sync.Mutex
	r := workloadsRun{urls: map[string]string{}}
	plan, err := mock.RunProgram("test", nil, func(ctx *pulumi.Context) error {
		_, k8s, err := mock.Providers(ctx)
		if err != nil {
			return err
		}
		controller, err := corev1.NewNamespace(ctx, "controller", &corev1.NamespaceArgs{}, pulumi.Provider(k8s))
		if err != nil {
			return err
		}
		w, err := workloads.NewWorkloads(ctx, "samples", &args, pulumi.Providers(k8s), pulumi.DependsOn([]pulumi.Resource{controller}))
		if err != nil {
			return err
		}
		for name, url := range w.URLs {
			url.ApplyT(func(u string) string {
				mu.Lock()
				defer mu.Unlock()
				r.urls[name] = u
				return u
			})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("workloads: %v", err)
	}
	r.plan = plan
	for _, res := range plan.Resources {
		switch {
		case res.Type == typeNamespace && res.Name == "controller":
			r.controller = res.URN
		case res.Type == "pulumi:providers:kubernetes":
			r.provider = res.URN
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return r
}

func (r workloadsRun) must(t *testing.T, typ, name string) offline.Resource {
	t.Helper()
	res, ok := r.plan.Find(typ, name)
	if !ok {
		var names []string
		for _, o := range r.plan.OfType(typ) {
			names = append(names, o.Name)
		}
		t.Fatalf("no %s %q (have %v)", typ, name, names)
	}
	return res
}

func annotations(res offline.Resource) map[string]any {
	a, _ := offline.Get(res.Inputs, "metadata.annotations").(map[string]any)
	return a
}

func TestNLBServices(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: allSamples, Domain: "example.com"})
	for _, tc := range []struct {
		name, targetType, policy string
		extra                    map[string]string
	}{
		{"samples-echo-nlb-echo-nlb", "ip", "", nil},
		{"samples-proxy-protocol-nginx-nlb", "ip", "", map[string]string{"service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": "*"}},
		{"samples-instance-mode-echo-cluster", "instance", "Cluster", nil},
		{"samples-instance-mode-echo-local", "instance", "Local", nil},
		{"samples-tetris-tetris", "ip", "", map[string]string{"external-dns.alpha.kubernetes.io/hostname": "tetris.example.com"}},
	} {
		svc := r.must(t, typeService, tc.name)
		if offline.Get(svc.Inputs, "spec.type") != "LoadBalancer" || offline.Get(svc.Inputs, "spec.loadBalancerClass") != "service.k8s.aws/nlb" {
			t.Errorf("%s: type %v, class %v; want LoadBalancer of class service.k8s.aws/nlb",
				tc.name, offline.Get(svc.Inputs, "spec.type"), offline.Get(svc.Inputs, "spec.loadBalancerClass"))
		}
		want := map[string]string{
			"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": tc.targetType,
			"service.beta.kubernetes.io/aws-load-balancer-scheme":          "internet-facing",
			"service.beta.kubernetes.io/aws-load-balancer-attributes":      "load_balancing.cross_zone.enabled=true",
		}
		for k, v := range tc.extra {
			want[k] = v
		}
		got := annotations(svc)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: annotation %s = %v, want %q", tc.name, k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: annotations %v, want exactly %v", tc.name, got, want)
		}
		if p := offline.Get(svc.Inputs, "spec.externalTrafficPolicy"); tc.policy != "" && p != tc.policy {
			t.Errorf("%s: externalTrafficPolicy = %v, want %s", tc.name, p, tc.policy)
		}
	}
}

func TestEchoServesTwoReplicasThatShowTheClientAddress(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.EchoNLB: true}})
	d := r.must(t, typeDeployment, "samples-echo-nlb-echo")
	if offline.Get(d.Inputs, "spec.replicas") != 2.0 || offline.Get(d.Inputs, "spec.template.spec.containers.0.image") != workloads.EchoImage {
		t.Errorf("echo deployment: replicas %v, image %v", offline.Get(d.Inputs, "spec.replicas"), offline.Get(d.Inputs, "spec.template.spec.containers.0.image"))
	}
	svc := r.must(t, typeService, "samples-echo-nlb-echo-nlb")
	if offline.Get(svc.Inputs, "spec.ports.0.targetPort") != 8080.0 || offline.Get(svc.Inputs, "spec.selector.app") != "echo" {
		t.Errorf("echo service does not reach the echo pods on 8080: %v", offline.Get(svc.Inputs, "spec"))
	}
}

func TestProxyProtocolNginxReadsTheHeader(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.ProxyProtocolNLB: true}})
	cm := r.must(t, "kubernetes:core/v1:ConfigMap", "samples-proxy-protocol-nginx-proxy-protocol")
	conf, _ := cm.Inputs["data"].(map[string]any)["default.conf"].(string)
	for _, want := range []string{"listen 80 proxy_protocol;", "$proxy_protocol_addr"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx config lacks %q:\n%s", want, conf)
		}
	}
	d := r.must(t, typeDeployment, "samples-proxy-protocol-nginx")
	if offline.Get(d.Inputs, "spec.template.spec.containers.0.volumeMounts.0.mountPath") != "/etc/nginx/conf.d" {
		t.Errorf("nginx does not mount its config: %v", offline.Get(d.Inputs, "spec.template.spec.containers.0"))
	}
}

func TestGame2048Ingress(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.Game2048ALB: true}})
	ing := r.must(t, typeIngress, "samples-game-2048-ingress-2048")
	if offline.Get(ing.Inputs, "spec.ingressClassName") != "alb" {
		t.Errorf("ingressClassName = %v", offline.Get(ing.Inputs, "spec.ingressClassName"))
	}
	a := annotations(ing)
	if a["alb.ingress.kubernetes.io/scheme"] != "internet-facing" || a["alb.ingress.kubernetes.io/target-type"] != "ip" {
		t.Errorf("annotations = %v", a)
	}
	for _, k := range []string{"group.name", "certificate-arn", "listen-ports", "ssl-redirect"} {
		if _, ok := a["alb.ingress.kubernetes.io/"+k]; ok {
			t.Errorf("%s set without albGroupName/acmCertificateArn", k)
		}
	}
	if offline.Get(ing.Inputs, "spec.rules.0.http.paths.0.backend.service.name") != "service-2048" {
		t.Errorf("ingress backend = %v", offline.Get(ing.Inputs, "spec.rules.0.http.paths.0.backend"))
	}

	r = deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.Game2048ALB: true}, ALBGroupName: "lab", ACMCertificateArn: certArn})
	a = annotations(r.must(t, typeIngress, "samples-game-2048-ingress-2048"))
	for k, want := range map[string]string{
		"alb.ingress.kubernetes.io/group.name":      "lab",
		"alb.ingress.kubernetes.io/certificate-arn": certArn,
		"alb.ingress.kubernetes.io/listen-ports":    `[{"HTTP":80},{"HTTPS":443}]`,
		"alb.ingress.kubernetes.io/ssl-redirect":    "443",
	} {
		if a[k] != want {
			t.Errorf("%s = %v, want %q", k, a[k], want)
		}
	}
}

func TestToolsPlacement(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.Netshoot: true, catalog.Iperf3: true, catalog.KubeOpsView: true}})
	ns := r.must(t, typeDeployment, "samples-netshoot-netshoot")
	if offline.Get(ns.Inputs, "spec.replicas") != 3.0 {
		t.Errorf("netshoot replicas = %v", offline.Get(ns.Inputs, "spec.replicas"))
	}
	spread := offline.Get(ns.Inputs, "spec.template.spec.topologySpreadConstraints.0").(map[string]any)
	if spread["topologyKey"] != "kubernetes.io/hostname" || spread["maxSkew"] != 1.0 || spread["whenUnsatisfiable"] != "DoNotSchedule" ||
		offline.Get(spread, "labelSelector.matchLabels.app") != "netshoot" {
		t.Errorf("netshoot is not spread one per node: %v", spread)
	}

	client := r.must(t, typeDeployment, "samples-iperf3-iperf3-client")
	term := offline.Get(client.Inputs, "spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.0")
	if offline.Get(term.(map[string]any), "topologyKey") != "kubernetes.io/hostname" ||
		offline.Get(term.(map[string]any), "labelSelector.matchLabels.app") != "iperf3-server" {
		t.Errorf("iperf3 client may share the server's node: %v", term)
	}
	server := r.must(t, typeDeployment, "samples-iperf3-iperf3-server")
	if cmd := offline.Get(server.Inputs, "spec.template.spec.containers.0.command"); !slices.Equal(cmd.([]any), []any{"iperf3", "-s", "-p", "5201"}) {
		t.Errorf("iperf3 server command = %v", cmd)
	}
	if svc := r.must(t, typeService, "samples-iperf3-iperf3-server"); offline.Get(svc.Inputs, "spec.type") != "ClusterIP" {
		t.Errorf("iperf3 service type = %v", offline.Get(svc.Inputs, "spec.type"))
	}

	role := r.must(t, typeClusterRole, "samples-kube-ops-view")
	for _, rule := range role.Inputs["rules"].([]any) {
		for _, verb := range rule.(map[string]any)["verbs"].([]any) {
			if verb != "get" && verb != "list" && verb != "watch" {
				t.Errorf("kube-ops-view may %v", verb)
			}
		}
	}
	r.must(t, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "samples-kube-ops-view")
	r.must(t, "kubernetes:core/v1:ServiceAccount", "samples-kube-ops-view-kube-ops-view")
	if svc := r.must(t, typeService, "samples-kube-ops-view-kube-ops-view"); offline.Get(svc.Inputs, "spec.type") != "ClusterIP" {
		t.Errorf("kube-ops-view is exposed: %v", offline.Get(svc.Inputs, "spec.type"))
	}
	for _, svc := range r.plan.OfType(typeService) {
		if offline.Get(svc.Inputs, "spec.type") == "LoadBalancer" {
			t.Errorf("the tools create a load balancer: %s", svc.Name)
		}
	}
}

func TestEachToggleOnlyDeploysItsSample(t *testing.T) {
	t.Parallel()
	for _, sample := range catalog.Samples {
		samples, ns := catalog.Selection{sample.Key: true}, sample.Namespace
		r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: samples, Domain: "example.com"})
		var got []string
		for _, res := range r.plan.OfType(typeNamespace) {
			if res.Name != "controller" {
				got = append(got, offline.Get(res.Inputs, "metadata.name").(string))
			}
		}
		if !slices.Equal(got, []string{ns}) {
			t.Errorf("samples %+v created namespaces %v, want only %s", samples, got, ns)
		}
		for _, res := range r.plan.Resources {
			if n, _ := offline.Get(res.Inputs, "metadata.namespace").(string); n != "" && n != ns {
				t.Errorf("samples %+v: %s %s in namespace %s", samples, res.Type, res.Name, n)
			}
		}
	}

	r := deployWorkloads(t, workloads.WorkloadsArgs{})
	for _, res := range r.plan.Resources {
		if strings.HasPrefix(res.Type, "kubernetes:") && res.Name != "controller" {
			t.Errorf("no sample enabled, yet %s %s", res.Type, res.Name)
		}
	}
	if len(r.urls) != 0 {
		t.Errorf("no sample enabled, yet URLs %v", r.urls)
	}
}

func TestTetrisNeedsADomain(t *testing.T) {
	t.Parallel()
	_, err := mock.RunProgram("test", nil, func(ctx *pulumi.Context) error {
		_, err := workloads.NewWorkloads(ctx, "samples", &workloads.WorkloadsArgs{Samples: catalog.Selection{catalog.Tetris: true}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "eks-lab:domain") {
		t.Fatalf("tetris without a domain: err = %v", err)
	}
}

func TestURLs(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: allSamples, Domain: "example.com"})
	var keys []string
	for k := range r.urls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Every output the catalog's rows name, with every sample on.
	var want []string
	for _, sample := range catalog.Samples {
		want = append(want, sample.Outputs...)
	}
	slices.Sort(want)
	if len(want) < 8 || !slices.Equal(keys, want) {
		t.Errorf("URL outputs %v, want %v", keys, want)
	}
	if r.urls["tetrisUrl"] != "http://tetris.example.com" {
		t.Errorf("tetrisUrl = %q", r.urls["tetrisUrl"])
	}
}

// Each sample gives exactly the stack outputs its catalog row names, which
// docs/samples.md's table and the acceptance test read from the row.
func TestEverySampleGivesItsCatalogOutputs(t *testing.T) {
	t.Parallel()
	for _, sample := range catalog.Samples {
		r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: catalog.Selection{sample.Key: true}, Domain: "example.com"})
		got := slices.Sorted(maps.Keys(r.urls))
		if want := slices.Sorted(slices.Values(sample.Outputs)); !slices.Equal(got, want) {
			t.Errorf("%s gives outputs %v, its catalog row names %v", sample.Key, got, want)
		}
	}
}

// Every row of the catalog has exactly one builder, and every builder a
// row: a sample added to one and not the other fails here.
func TestEveryCatalogSampleHasOneBuilder(t *testing.T) {
	t.Parallel()
	if got, want := workloads.BuilderKeys(), slices.Sorted(slices.Values(catalog.Keys())); !slices.Equal(got, want) {
		t.Errorf("builders for %v, catalog rows %v", got, want)
	}
}

// A key the catalog does not have is refused before anything is registered.
func TestAnUnknownSampleIsRefused(t *testing.T) {
	t.Parallel()
	p, err := mock.RunProgram("test", nil, func(ctx *pulumi.Context) error {
		_, err := workloads.NewWorkloads(ctx, "samples", &workloads.WorkloadsArgs{Samples: catalog.Selection{"sampleEchoNLB": true}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `"sampleEchoNLB" is not a sample`) || len(p.Resources) != 0 {
		t.Errorf("an unknown sample key: err %v, %d resources registered", err, len(p.Resources))
	}
}

// Every Kubernetes object uses the explicit provider and waits for the
// controllers: on destroy it is deleted while they still run.
func TestEveryObjectUsesTheProviderAndDependsOnTheControllers(t *testing.T) {
	t.Parallel()
	r := deployWorkloads(t, workloads.WorkloadsArgs{Samples: allSamples, Domain: "example.com", ALBGroupName: "lab", ACMCertificateArn: certArn})
	if r.controller == "" || r.provider == "" {
		t.Fatal("stand-ins not recorded")
	}
	n := 0
	for _, res := range r.plan.Resources {
		if !res.Custom || !strings.HasPrefix(res.Type, "kubernetes:") || res.Name == "controller" {
			continue
		}
		n++
		if !strings.HasPrefix(res.Provider, r.provider+"::") || strings.Contains(res.Provider, "pulumi:providers:kubernetes::default") {
			t.Errorf("%s %s uses provider %q, want the explicit %s", res.Type, res.Name, res.Provider, r.provider)
		}
		if !slices.Contains(res.Dependencies, r.controller) {
			t.Errorf("%s %s does not itself depend on the controllers (deps %v)", res.Type, res.Name, res.Dependencies)
		}
	}
	if n < 25 {
		t.Errorf("only %d Kubernetes objects for all samples", n)
	}
}
