package acceptance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/cleanup"
)

// The fixtures are trimmed API answers of an EKS 1.35 cluster with three
// t3.medium nodes, modelled on `kubectl get -o json` output: the fields the
// checks read are where and how the API server writes them (allocatable
// pods as a quantity string, conditions as a list).
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckNodesWantsThePlannedNodesReadyWithThePlannedMaxPods(t *testing.T) {
	if err := CheckNodes(fixture(t, "nodes-ready.json"), 3, 17); err != nil {
		t.Errorf("three Ready t3.medium nodes, 17 pods each: %v", err)
	}
	for _, c := range []struct {
		file         string
		nodes, pods  int
		want1, want2 string
	}{
		{"nodes-one-not-ready.json", 3, 17, "2 Ready; want 3", "ip-192-168-9-7.ap-northeast-2.compute.internal is not Ready"},
		{"nodes-ready.json", 4, 17, "3 node(s), 3 Ready; want 4", "3 node(s)"},
		{"nodes-ready.json", 3, 110, `allocates "17" pods; the plan says 110`, "prefix delegation"},
	} {
		err := CheckNodes(fixture(t, c.file), c.nodes, c.pods)
		if err == nil || !strings.Contains(err.Error(), c.want1) || !strings.Contains(err.Error(), c.want2) {
			t.Errorf("%s, want %d nodes of %d pods: %v; want it to say %q and %q", c.file, c.nodes, c.pods, err, c.want1, c.want2)
		}
	}
	if err := CheckNodes([]byte(`{"kind":"Status","status":"Failure"`), 3, 17); err == nil {
		t.Error("a broken answer passed")
	}
}

func TestCheckPodsReady(t *testing.T) {
	if err := CheckPodsReady(fixture(t, "lbc-pods-ready.json"), "controller"); err != nil {
		t.Errorf("two Ready pods: %v", err)
	}
	if err := CheckPodsReady(fixture(t, "lbc-pods-rollout.json"), "controller"); err != nil {
		t.Errorf("a Ready pod and an old one being deleted: %v", err)
	}
	err := CheckPodsReady(fixture(t, "lbc-pods-one-not-ready.json"), "controller")
	if err == nil || !strings.Contains(err.Error(), "1 of 2 pod(s) not Ready: aws-load-balancer-controller-6b7c9d8f5d-q9wzt (Running)") {
		t.Errorf("one pod not Ready: %v", err)
	}
	err = CheckPodsReady([]byte(`{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`), "ExternalDNS")
	if err == nil || !strings.Contains(err.Error(), "ExternalDNS: no pods") {
		t.Errorf("no pods: %v", err)
	}
}

func TestControllerPodsFollowTheConfig(t *testing.T) {
	raw := map[string]string{config.Namespace + ":sshCidr": "203.0.113.7/32"}
	cfg, err := config.Load(config.Namespace, "dev", config.MapSource(raw, nil), offlineNow)
	if err != nil {
		t.Fatal(err)
	}
	pods := ControllerPods(cfg)
	if len(pods) != 1 || pods[0].What != "AWS Load Balancer Controller" {
		t.Fatalf("without a domain: %+v; want the load balancer controller only", pods)
	}
	u, _ := url.Parse(pods[0].Path)
	if u.Path != "/api/v1/namespaces/kube-system/pods" ||
		u.Query().Get("labelSelector") != "app.kubernetes.io/name=aws-load-balancer-controller,app.kubernetes.io/instance=aws-load-balancer-controller" {
		t.Errorf("path %s; want kube-system pods selected by the chart's selector labels", pods[0].Path)
	}
	raw[config.Namespace+":domain"], raw[config.Namespace+":hostedZoneId"] = "lab.example.com", "Z0123456789ABCDEFGHIJ"
	cfg, err = config.Load(config.Namespace, "dev", config.MapSource(raw, nil), offlineNow)
	if err != nil {
		t.Fatal(err)
	}
	if pods := ControllerPods(cfg); len(pods) != 2 || !strings.Contains(pods[1].Path, "app.kubernetes.io%2Fname%3Dexternal-dns") {
		t.Errorf("with a zone: %+v; want ExternalDNS's pods too", pods)
	}
}

func TestLoadBalancerHostname(t *testing.T) {
	h, err := LoadBalancerHostname(fixture(t, "service-with-nlb.json"))
	if err != nil || !strings.HasSuffix(h, ".elb.ap-northeast-2.amazonaws.com") {
		t.Errorf("Service with its NLB: %q, %v", h, err)
	}
	if h, err := LoadBalancerHostname(fixture(t, "ingress-pending.json")); err != nil || h != "" {
		t.Errorf("Ingress before its ALB: %q, %v; want \"\"", h, err)
	}
}

// apiServer is a TLS Kubernetes API that wants a bearer token, answers GETs
// from fixtures and records what is POSTed.
type apiServer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	created []string // "path kind name"
	bodies  map[string]map[string]any
}

func newAPIServer(t *testing.T, gets map[string][]byte) *apiServer {
	a := &apiServer{bodies: map[string]map[string]any{}}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","status":"Failure","message":"Unauthorized","code":401}`)
			return
		}
		switch r.Method {
		case http.MethodGet:
			if b, ok := gets[r.URL.RequestURI()]; ok {
				w.Write(b)
				return
			}
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"kind":"Status","status":"Failure","message":"%s not found","code":404}`, r.URL.Path)
		case http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			var obj map[string]any
			if err := json.Unmarshal(body, &obj); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			name := obj["metadata"].(map[string]any)["name"].(string)
			a.mu.Lock()
			a.created = append(a.created, fmt.Sprintf("%s %s %s", r.URL.Path, obj["kind"], name))
			a.bodies[name] = obj
			a.mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			w.Write(body)
		}
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *apiServer) kubeconfig() []byte {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})
	// The shape pulumi-eks's kubeconfigJson has, with a token instead of its exec plugin.
	kc, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "aws",
		"clusters": []any{map[string]any{"name": "kubernetes", "cluster": map[string]any{
			"server": a.srv.URL, "certificate-authority-data": base64.StdEncoding.EncodeToString(ca)}}},
		"contexts": []any{map[string]any{"name": "aws", "context": map[string]any{"cluster": "kubernetes", "user": "aws"}}},
		"users":    []any{map[string]any{"name": "aws", "user": map[string]any{"token": "t0ken"}}},
	})
	return kc
}

func TestChecksThroughTheCleanupsKubernetesClient(t *testing.T) {
	lbc := ControllerPods(devConfig(t))[0]
	api := newAPIServer(t, map[string][]byte{
		"/api/v1/nodes": fixture(t, "nodes-ready.json"),
		lbc.Path:        fixture(t, "lbc-pods-ready.json"),
	})
	c, err := cleanup.NewAPI(api.kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var nodes, pods json.RawMessage
	if err := c.Do(ctx, http.MethodGet, "/api/v1/nodes", nil, &nodes); err != nil {
		t.Fatal(err)
	}
	if err := CheckNodes(nodes, 3, 17); err != nil {
		t.Error(err)
	}
	if err := c.Do(ctx, http.MethodGet, lbc.Path, nil, &pods); err != nil {
		t.Fatal(err)
	}
	if err := CheckPodsReady(pods, lbc.What); err != nil {
		t.Error(err)
	}
	err = c.Do(ctx, http.MethodGet, "/api/v1/namespaces/default/services/missing", nil, &pods)
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("missing object: %v; want an error with the status", err)
	}
}

func TestMemberObjectsAreWhatTheControllerBuildsLoadBalancersFor(t *testing.T) {
	api := newAPIServer(t, nil)
	c, err := cleanup.NewAPI(api.kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	objs := MemberObjects(false)
	for _, o := range objs {
		if err := c.Do(context.Background(), http.MethodPost, o.CollectionPath, o.Body, nil); err != nil {
			t.Fatalf("creating %s: %v", o.What, err)
		}
	}
	want := []string{
		"/api/v1/namespaces/default/services Service member-nlb",
		"/api/v1/namespaces/default/services Service member-web",
		"/apis/networking.k8s.io/v1/namespaces/default/ingresses Ingress member-alb",
	}
	if strings.Join(api.created, "\n") != strings.Join(want, "\n") {
		t.Errorf("created, in order:\n%s\nwant (the Ingress's backend before the Ingress):\n%s", strings.Join(api.created, "\n"), strings.Join(want, "\n"))
	}
	svc, ing := api.bodies["member-nlb"], api.bodies["member-alb"]
	if spec := svc["spec"].(map[string]any); spec["type"] != "LoadBalancer" || spec["loadBalancerClass"] != "service.k8s.aws/nlb" {
		t.Errorf("member Service spec %v: want a LoadBalancer of class service.k8s.aws/nlb (an NLB by the controller)", spec)
	}
	ann := svc["metadata"].(map[string]any)["annotations"].(map[string]any)
	if ann["service.beta.kubernetes.io/aws-load-balancer-scheme"] != "internet-facing" {
		t.Errorf("member Service annotations %v: want internet-facing, as the study's manifests", ann)
	}
	spec := ing["spec"].(map[string]any)
	ingAnn := ing["metadata"].(map[string]any)["annotations"].(map[string]any)
	if spec["ingressClassName"] != "alb" || ingAnn["alb.ingress.kubernetes.io/group.name"] != nil {
		t.Errorf("member Ingress %v %v: want class alb and no group, so it gets an ALB of its own", spec, ingAnn)
	}
	for _, o := range objs {
		if o.LoadBalanced != (o.Name != "member-web") {
			t.Errorf("%s: LoadBalanced = %v", o.What, o.LoadBalanced)
		}
		if !strings.HasPrefix(o.Path(), o.CollectionPath+"/") || !strings.HasSuffix(o.Path(), "/"+o.Name) {
			t.Errorf("%s: Path %s", o.What, o.Path())
		}
	}
}

// With Gateway API installed the member also makes a Gateway of class alb,
// its own load balancer, and an HTTPRoute to the member's Service; the
// Gateway's address is read from status.addresses.
func TestMemberGatewayWithGatewayAPI(t *testing.T) {
	objs := MemberObjects(true)
	var got []string
	for _, o := range objs {
		got = append(got, fmt.Sprintf("%s %v", o.What, o.LoadBalanced))
	}
	want := []string{"Service default/member-nlb true", "Service default/member-web false", "Ingress default/member-alb true", "Gateway default/member-gw true", "HTTPRoute default/member-route false"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("member objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var gw map[string]any
	if err := json.Unmarshal(objs[3].Body, &gw); err != nil || offGet(gw, "spec", "gatewayClassName") != "alb" || objs[3].CollectionPath != "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways" {
		t.Errorf("member Gateway %s at %s (%v): want class alb", objs[3].Body, objs[3].CollectionPath, err)
	}
	h, err := LoadBalancerHostname([]byte(`{"kind":"Gateway","status":{"addresses":[{"type":"Hostname","value":"k8s-default-membergw-0123456789.ap-northeast-2.elb.amazonaws.com"}]}}`))
	if err != nil || h != "k8s-default-membergw-0123456789.ap-northeast-2.elb.amazonaws.com" {
		t.Errorf("a Gateway's address: %q, %v", h, err)
	}
}

func offGet(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, _ := cur.(map[string]any)
		cur = mm[k]
	}
	return cur
}
