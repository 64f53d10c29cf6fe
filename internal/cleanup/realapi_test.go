package cleanup

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	b64 "encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/testing/kubetest"
)

// These tests run the cleanup against a real kube-apiserver with etcd and
// the garbage collector (internal/testing/kubetest), one server per package run.
// The cleanup works on all namespaces, so every test removes what it
// created before the next one runs.

func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }

// fixture is one test's namespace on the shared server.
type fixture struct {
	t   *testing.T
	srv *kubetest.Server
	ns  string
}

var fixtures atomic.Int64

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := kubetest.Shared(t)
	// Unique across -count runs: a deleted namespace lingers as Terminating.
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	f := &fixture{t: t, srv: srv, ns: fmt.Sprintf("%.50s-%d", name, fixtures.Add(1))}
	srv.Must(t, http.StatusCreated, http.MethodPost, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": f.ns},
	})
	// What the service account controller, not run here, makes in every
	// namespace: pods cannot be created without it.
	srv.Must(t, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+f.ns+"/serviceaccounts", map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "default"},
	})
	t.Cleanup(f.removeAll)
	return f
}

// obj describes a Service or an Ingress to create.
type obj struct {
	kind        kind
	name        string
	svcType     string // Services: LoadBalancer, ClusterIP, NodePort
	finalizers  []string
	labels      map[string]string
	annotations map[string]string
	host        string // Ingresses: a rule's host
	tlsHost     string // Ingresses: a TLS host
}

func (f *fixture) path(o obj) string { return o.kind.objectPath(f.ns, o.name) }

func (f *fixture) manifest(o obj) map[string]any {
	md := map[string]any{"name": o.name, "namespace": f.ns}
	if o.finalizers != nil {
		md["finalizers"] = o.finalizers
	}
	if o.labels != nil {
		md["labels"] = o.labels
	}
	if o.annotations != nil {
		md["annotations"] = o.annotations
	}
	if o.kind == ingressKind {
		backend := map[string]any{"service": map[string]any{"name": "web", "port": map[string]any{"number": 80}}}
		spec := map[string]any{"ingressClassName": "alb", "defaultBackend": backend}
		if o.host != "" {
			spec["rules"] = []any{map[string]any{"host": o.host}}
		}
		if o.tlsHost != "" {
			spec["tls"] = []any{map[string]any{"hosts": []any{o.tlsHost}, "secretName": "tls"}}
		}
		return map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": md, "spec": spec}
	}
	spec := map[string]any{"type": o.svcType, "selector": map[string]any{"app": "web"},
		"ports": []any{map[string]any{"port": 80, "targetPort": 8080}}}
	if o.svcType == "LoadBalancer" {
		spec["loadBalancerClass"] = "service.k8s.aws/nlb"
	}
	return map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec}
}

func (f *fixture) create(objs ...obj) {
	f.t.Helper()
	for _, o := range objs {
		collection := strings.TrimSuffix(f.path(o), "/"+o.name)
		f.srv.Must(f.t, http.StatusCreated, http.MethodPost, collection, f.manifest(o))
	}
}

func (f *fixture) exists(o obj) bool {
	f.t.Helper()
	return f.srv.Exists(f.t, f.path(o))
}

// finalizers returns the object's finalizers and whether it is being deleted.
func (f *fixture) finalizers(o obj) ([]string, bool) {
	f.t.Helper()
	var got object
	if err := json.Unmarshal(f.srv.Must(f.t, http.StatusOK, http.MethodGet, f.path(o), nil), &got); err != nil {
		f.t.Fatal(err)
	}
	return got.Metadata.Finalizers, got.Metadata.DeletionTimestamp != nil
}

// removeAll deletes the namespace's Services and Ingresses, finalizers and all.
func (f *fixture) removeAll() {
	for _, k := range []kind{serviceKind, ingressKind} {
		var items list[object]
		data := f.srv.Must(f.t, http.StatusOK, http.MethodGet, k.namespacePath(f.ns), nil)
		if err := json.Unmarshal(data, &items); err != nil {
			f.t.Fatal(err)
		}
		for _, o := range items.Items {
			p := k.objectPath(f.ns, o.Metadata.Name)
			f.srv.Must(f.t, http.StatusOK, http.MethodPatch, p, map[string]any{"metadata": map[string]any{"finalizers": nil}})
			if code, body, err := f.srv.Do(http.MethodDelete, p, "", nil); err != nil || (code != http.StatusOK && code != http.StatusNotFound) {
				f.t.Fatalf("DELETE %s: %d %s %v", p, code, body, err)
			}
		}
	}
	// No kubelet: scheduled pods would stay terminating for ever.
	f.srv.Must(f.t, http.StatusOK, http.MethodDelete, "/api/v1/namespaces/"+f.ns+"/pods", map[string]any{"gracePeriodSeconds": 0})
	f.srv.Must(f.t, http.StatusOK, http.MethodDelete, "/api/v1/namespaces/"+f.ns, nil)
}

// controller plays the AWS Load Balancer Controller: once an object is being
// deleted it waits a little (deleting the load balancer), then removes the
// finalizers it owns, as the controller does with an update carrying the
// object's resourceVersion.
type controller struct {
	f      *fixture
	delay  time.Duration // deleting the NLB/ALB
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	failed error
}

func (f *fixture) startController(objs ...obj) *controller {
	return f.startControllerAfter(200*time.Millisecond, objs...)
}

// startControllerAfter starts a controller that takes delay to delete a
// load balancer.
func (f *fixture) startControllerAfter(delay time.Duration, objs ...obj) *controller {
	c := &controller{f: f, delay: delay, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run(objs)
	f.t.Cleanup(c.halt)
	return c
}

func (c *controller) halt() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

func (c *controller) run(objs []obj) {
	defer close(c.done)
	pending := map[string]time.Time{} // when the controller saw it being deleted
	for _, o := range objs {
		pending[c.f.path(o)] = time.Time{}
	}
	for len(pending) > 0 {
		for p, seen := range pending {
			released, seen, err := c.release(p, seen)
			if err != nil {
				c.mu.Lock()
				c.failed = err
				c.mu.Unlock()
				return
			}
			pending[p] = seen
			if released {
				delete(pending, p)
			}
		}
		select {
		case <-c.stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// release removes the controller's finalizers of the object at p once it
// has been deleting it for the controller's delay, counted from seen (when
// it first saw the object being deleted; zero: not yet). It reports whether
// it did, and when it first saw the deletion.
func (c *controller) release(p string, seen time.Time) (bool, time.Time, error) {
	code, data, err := c.f.srv.Do(http.MethodGet, p, "", nil)
	if err != nil || code != http.StatusOK {
		return false, seen, fmt.Errorf("GET %s: %d %v", p, code, err)
	}
	var o struct {
		Metadata struct {
			ResourceVersion   string   `json:"resourceVersion"`
			Finalizers        []string `json:"finalizers"`
			DeletionTimestamp *string  `json:"deletionTimestamp"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(data, &o); err != nil {
		return false, seen, err
	}
	if o.Metadata.DeletionTimestamp == nil {
		return false, seen, nil
	}
	if seen.IsZero() {
		seen = time.Now()
	}
	if time.Since(seen) < c.delay {
		return false, seen, nil // still deleting the load balancer
	}
	var keep []string
	for _, fin := range o.Metadata.Finalizers {
		if !isLBControllerFinalizer(fin) {
			keep = append(keep, fin)
		}
	}
	patch := map[string]any{"metadata": map[string]any{"resourceVersion": o.Metadata.ResourceVersion, "finalizers": keep}}
	code, data, err = c.f.srv.Do(http.MethodPatch, p, "application/merge-patch+json", patch)
	switch {
	case err != nil:
		return false, seen, err
	case code == http.StatusConflict:
		return false, seen, nil // changed meanwhile (the garbage collector): look again
	case code != http.StatusOK:
		return false, seen, fmt.Errorf("PATCH %s: %d %s", p, code, data)
	}
	return true, seen, nil
}

// check fails the test if the controller could not do its job.
func (c *controller) check() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != nil {
		c.f.t.Fatalf("controller: %v", c.failed)
	}
}

// runDeletes runs the cleanup, which must succeed, and checks that the
// objects are gone.
func (f *fixture) runDeletes(o Options, objs ...obj) {
	f.t.Helper()
	if err := Run(context.Background(), o); err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	for _, x := range objs {
		if f.exists(x) {
			f.t.Errorf("%s %s is still there after Run returned", x.kind.name, x.name)
		}
	}
}

// opts are a cleanup's options for the test server with this token.
func (f *fixture) opts(token string, log *strings.Builder) Options {
	o := Options{
		Kubeconfig:         f.srv.Kubeconfig(token),
		Timeout:            time.Minute,
		PollInterval:       50 * time.Millisecond,
		IncludePulumiOwned: true,
	}
	if log != nil {
		o.Log = log
	}
	return o
}

var (
	lbService = func(name string, finalizers ...string) obj {
		return obj{kind: serviceKind, name: name, svcType: "LoadBalancer", finalizers: finalizers}
	}
	ingress = func(name string, finalizers ...string) obj {
		return obj{kind: ingressKind, name: name, finalizers: finalizers}
	}
)

func TestDeletesLoadBalancersAndWaitsForTheController(t *testing.T) {
	f := newFixture(t)
	echo := lbService("echo", "service.k8s.aws/resources")
	game := ingress("game", "ingress.k8s.aws/resources")
	grouped := ingress("grouped", "group.ingress.k8s.aws/eks-lab")
	plain := lbService("plain")
	clusterIP := obj{kind: serviceKind, name: "web", svcType: "ClusterIP"}
	nodePort := obj{kind: serviceKind, name: "iperf3", svcType: "NodePort"}
	f.create(echo, game, grouped, plain, clusterIP, nodePort)
	dependent := f.dependOn(echo, "echo-dependent")
	ctl := f.startController(echo, game, grouped)

	var log strings.Builder
	if err := Run(context.Background(), f.opts(kubetest.AdminToken, &log)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Only the controller lets the finalized objects go, after its delay:
	// their absence proves Run waited for it.
	for _, o := range []obj{echo, game, grouped, plain} {
		if f.exists(o) {
			t.Errorf("%s %s is still there after Run returned", o.kind.name, o.name)
		}
		if !strings.Contains(log.String(), "deleting "+o.kind.name+" "+f.ns+"/"+o.name) {
			t.Errorf("log does not mention %s %s:\n%s", o.kind.name, o.name, log.String())
		}
	}
	for _, o := range []obj{clusterIP, nodePort} {
		if !f.exists(o) {
			t.Errorf("%s Service %s was deleted; only LoadBalancer Services may be", o.svcType, o.name)
		}
	}
	// Foreground deletion: the garbage collector deletes an object's
	// dependents before the object itself.
	if f.srv.Exists(t, dependent) {
		t.Errorf("%s, a dependent of Service echo, is still there: echo was not deleted in the foreground", dependent)
	}
	ctl.check()
}

// dependOn creates a ConfigMap owned by the object, as the API server's
// garbage collector sees dependents, and returns its path.
func (f *fixture) dependOn(o obj, name string) string {
	f.t.Helper()
	var owner struct {
		Metadata struct {
			UID string `json:"uid"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(f.srv.Must(f.t, http.StatusOK, http.MethodGet, f.path(o), nil), &owner); err != nil {
		f.t.Fatal(err)
	}
	f.srv.Must(f.t, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+f.ns+"/configmaps", map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": f.ns, "ownerReferences": []any{map[string]any{
			"apiVersion": "v1", "kind": o.kind.name, "name": o.name, "uid": owner.Metadata.UID, "blockOwnerDeletion": true,
		}}},
	})
	return "/api/v1/namespaces/" + f.ns + "/configmaps/" + name
}

// setHostname writes the load balancer's DNS name to the object's status,
// as the controller does once the NLB/ALB exists.
func (f *fixture) setHostname(o obj, host string) {
	f.t.Helper()
	f.srv.Must(f.t, http.StatusOK, http.MethodPatch, f.path(o)+"/status", map[string]any{
		"status": map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"hostname": host}}}},
	})
}

// patchFinalizersNull is what the timeout message's kubectl patch sends.
func (f *fixture) patchFinalizersNull(o obj) (int, string) {
	f.t.Helper()
	code, data, err := f.srv.Do(http.MethodPatch, f.path(o), "application/merge-patch+json",
		json.RawMessage(`{"metadata":{"finalizers":null}}`))
	if err != nil {
		f.t.Fatal(err)
	}
	return code, string(data)
}

// untilTimeout is runUntilTimeout's timeout: many rounds of the cleanup,
// whose longest under the race detector takes about 0.1s.
const untilTimeout = time.Second

// runUntilTimeout runs the cleanup for untilTimeout and returns its
// *TimeoutError: the test's objects never lose their finalizers.
func (f *fixture) runUntilTimeout(o Options) *TimeoutError {
	f.t.Helper()
	o.Timeout = untilTimeout
	err := Run(context.Background(), o)
	var te *TimeoutError
	if !errors.As(err, &te) {
		f.t.Fatalf("err = %v, want a *TimeoutError", err)
	}
	return te
}

// Without the controller the finalizers stay: at the timeout the message
// names every leftover, its load balancer and how to remove it.
func TestTimeoutNamesLeftoversAndTheFix(t *testing.T) {
	f := newFixture(t)
	stuck := lbService("stuck", "service.k8s.aws/resources")
	grouped := ingress("grouped", "group.ingress.k8s.aws/eks-lab")
	gone := lbService("gone", "service.k8s.aws/resources")
	f.create(stuck, grouped, gone)
	f.setHostname(stuck, "k8s-stuck-0123456789.elb.ap-northeast-2.amazonaws.com")
	f.setHostname(grouped, "k8s-ekslab-0123456789.ap-northeast-2.elb.amazonaws.com")
	f.startController(gone)

	msg := f.runUntilTimeout(f.opts(kubetest.AdminToken, nil)).Error()
	for _, want := range []string{
		"timed out after " + untilTimeout.String() + "; 2 object(s)",
		"Service " + f.ns + "/stuck (load balancer k8s-stuck-0123456789.elb.ap-northeast-2.amazonaws.com; finalizers service.k8s.aws/resources [AWS Load Balancer Controller])",
		"Ingress " + f.ns + "/grouped (load balancer k8s-ekslab-0123456789.ap-northeast-2.elb.amazonaws.com; finalizers group.ingress.k8s.aws/eks-lab [AWS Load Balancer Controller]",
		"kubectl -n kube-system logs deployment/aws-load-balancer-controller",
		`aws elbv2 describe-load-balancers --query "LoadBalancers[?DNSName=='k8s-stuck-0123456789.elb.ap-northeast-2.amazonaws.com'].LoadBalancerArn" --output text`,
		"kubectl -n " + f.ns + " patch service stuck --type merge -p '{\"metadata\":{\"finalizers\":null}}'",
		"kubectl -n " + f.ns + " patch ingress grouped --type merge -p '{\"metadata\":{\"finalizers\":null}}'",
		"kubectl delete validatingwebhookconfiguration aws-load-balancer-webhook",
		SkipEnv + "=1",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("timeout message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "/gone") {
		t.Errorf("timeout message names an object that is gone:\n%s", msg)
	}
	// Without the webhook (the controller's chart is gone too) the patch works.
	for _, o := range []obj{stuck, grouped} {
		if code, body := f.patchFinalizersNull(o); code != http.StatusOK {
			t.Errorf("the printed patch of %s: HTTP %d: %s", o.name, code, body)
		}
		if f.exists(o) {
			t.Errorf("%s %s is still there after its finalizers were removed", o.kind.name, o.name)
		}
	}
}

// A Service the in-tree cloud provider holds has a Classic Load Balancer,
// which only the classic ELB API lists: the advice uses that API for it.
func TestTimeoutAdvisesTheClassicELBAPIForAClassicLoadBalancer(t *testing.T) {
	f := newFixture(t)
	classic := lbService("classic", classicFinalizer)
	f.create(classic)
	f.setHostname(classic, "a0123456789abcdef.ap-northeast-2.elb.amazonaws.com")
	msg := f.runUntilTimeout(f.opts(kubetest.AdminToken, nil)).Error()
	want := `aws elb describe-load-balancers --query "LoadBalancerDescriptions[?DNSName=='a0123456789abcdef.ap-northeast-2.elb.amazonaws.com'].LoadBalancerName" --output text, then aws elb delete-load-balancer --load-balancer-name NAME`
	if !strings.Contains(msg, want) || strings.Contains(msg, "aws elbv2 describe-load-balancers") {
		t.Errorf("timeout message lacks %q or names the elbv2 API for it:\n%s", want, msg)
	}
}

// untilPatchAnswers repeats the finalizer patch until the API server
// accepts it (ok) or the webhook refuses it (!ok, as a dry run); the webhook
// configuration takes effect a moment after it is created or deleted.
func (f *fixture) untilPatchAnswers(o obj, ok bool) {
	f.t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		p := f.path(o)
		if !ok {
			p += "?dryRun=All"
		}
		code, data, err := f.srv.Do(http.MethodPatch, p, "application/merge-patch+json", json.RawMessage(`{"metadata":{"finalizers":null}}`))
		if err != nil {
			f.t.Fatal(err)
		}
		if (code == http.StatusOK) == ok {
			return
		}
		if code != http.StatusOK && !strings.Contains(string(data), "vingress.elbv2.k8s.aws") {
			f.t.Fatalf("PATCH %s: HTTP %d: %s", p, code, data)
		}
	}
	f.t.Fatalf("the webhook configuration did not take effect within a minute")
}

// The controller's chart registers a validating webhook with failurePolicy
// Fail for Ingress updates; with the controller down the API server cannot
// call it and refuses the finalizer patch. The message says to delete the
// webhook configuration first, and that works.
func TestWebhookBlocksTheIngressPatchUntilItsConfigurationIsDeleted(t *testing.T) {
	f := newFixture(t)
	stuck := ingress("stuck", "ingress.k8s.aws/resources")
	svc := lbService("stuck-svc", "service.k8s.aws/resources")
	f.create(stuck, svc)
	// As templates/webhook.yaml of the chart 1.17.1 renders it, limited to
	// this test's namespace so that it cannot disturb other tests.
	webhookPath := "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/" + webhookConfiguration
	f.srv.Must(t, http.StatusCreated, http.MethodPost, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
		"metadata": map[string]any{"name": webhookConfiguration},
		"webhooks": []any{map[string]any{
			"name": "vingress.elbv2.k8s.aws", "admissionReviewVersions": []any{"v1beta1"}, "sideEffects": "None",
			"failurePolicy": "Fail", "matchPolicy": "Equivalent",
			"clientConfig": map[string]any{"service": map[string]any{
				"name": "aws-load-balancer-webhook-service", "namespace": "kube-system", "path": "/validate-networking-v1-ingress",
			}},
			"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": f.ns}},
			"rules": []any{map[string]any{
				"apiGroups": []any{"networking.k8s.io"}, "apiVersions": []any{"v1"},
				"operations": []any{"CREATE", "UPDATE"}, "resources": []any{"ingresses"},
			}},
		}},
	})
	t.Cleanup(func() {
		if code, _, _ := f.srv.Do(http.MethodDelete, webhookPath, "", nil); code != http.StatusOK && code != http.StatusNotFound {
			t.Errorf("deleting the webhook configuration: HTTP %d", code)
		}
	})

	// The API server's informer picks the configuration up within moments.
	f.untilPatchAnswers(stuck, false)

	err := f.runUntilTimeout(f.opts(kubetest.AdminToken, nil))
	// The webhook does not see deletes: the cleanup could delete the Ingress.
	if _, deleting := f.finalizers(stuck); !deleting {
		t.Fatal("the Ingress is not being deleted")
	}
	// The Service's patch passes (the chart's Service webhook is a mutating
	// one for CREATE only); the Ingress's is refused while the webhook is registered.
	if code, body := f.patchFinalizersNull(svc); code != http.StatusOK {
		t.Errorf("patching the Service: HTTP %d: %s", code, body)
	}
	code, body := f.patchFinalizersNull(stuck)
	if code != http.StatusInternalServerError || !strings.Contains(body, `failed calling webhook \"vingress.elbv2.k8s.aws\"`) {
		t.Fatalf("patching the Ingress with the webhook registered: HTTP %d: %s; want it refused by the webhook", code, body)
	}
	if !strings.Contains(err.Error(), "kubectl delete validatingwebhookconfiguration "+webhookConfiguration) {
		t.Fatalf("the message does not say to delete the webhook configuration:\n%v", err)
	}
	// What the message says: delete the configuration, then patch.
	f.srv.Must(t, http.StatusOK, http.MethodDelete, webhookPath, nil)
	f.untilPatchAnswers(stuck, true)
	if f.exists(stuck) {
		t.Error("the Ingress is still there")
	}
}

// More objects than a page: every one is deleted and named, from all pages.
func TestPagination(t *testing.T) {
	f := newFixture(t)
	var objs []obj
	for i := 0; i < 7; i++ {
		objs = append(objs, lbService(fmt.Sprintf("svc-%d", i), "service.k8s.aws/resources"))
	}
	f.create(objs...)
	o := f.opts(kubetest.AdminToken, nil)
	o.pageSize = 3
	te := f.runUntilTimeout(o)
	err := error(te)
	if len(te.leftovers) != len(objs) {
		t.Errorf("the timeout names %d objects, want all %d:\n%v", len(te.leftovers), len(objs), err)
	}
	for _, o := range objs {
		if _, deleting := f.finalizers(o); !deleting {
			t.Errorf("%s was not deleted", o.name)
		}
	}
}

// By hand, objects Pulumi manages stay unless asked: pulumi-kubernetes v4
// applies with a "pulumi-kubernetes-<random>" field manager (Server-Side
// Apply, its default) or labels with managed-by=pulumi (Client-Side Apply).
func TestPulumiOwnedObjectsStayUnlessAsked(t *testing.T) {
	f := newFixture(t)
	mine := lbService("mine")
	labelled := obj{kind: serviceKind, name: "labelled", svcType: "LoadBalancer", labels: map[string]string{"app.kubernetes.io/managed-by": "pulumi"}}
	f.create(mine, labelled)
	applied := lbService("applied")
	code, body, err := f.srv.Do(http.MethodPatch, f.path(applied)+"?fieldManager=pulumi-kubernetes-5f6d2c1a", "application/apply-patch+yaml", f.manifest(applied))
	if err != nil || code != http.StatusCreated {
		t.Fatalf("server-side apply: HTTP %d %s %v", code, body, err)
	}

	var log strings.Builder
	o := f.opts(kubetest.AdminToken, &log)
	o.IncludePulumiOwned = false
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if f.exists(mine) {
		t.Error("the member's own Service was not deleted")
	}
	for _, p := range []obj{labelled, applied} {
		if !f.exists(p) {
			t.Errorf("Service %s, managed by Pulumi, was deleted by hand", p.name)
		}
		if !strings.Contains(log.String(), "skipping Service "+f.ns+"/"+p.name+": Pulumi manages it") {
			t.Errorf("log does not say why %s stays:\n%s", p.name, log.String())
		}
	}

	o.IncludePulumiOwned = true
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run --include-pulumi-owned: %v", err)
	}
	for _, p := range []obj{labelled, applied} {
		if f.exists(p) {
			t.Errorf("Service %s stays although --include-pulumi-owned was given", p.name)
		}
	}
}

// Before ExternalDNS goes, the objects it has records for go: those with a
// hostname annotation (any Service type) and Ingresses with a rule's or a
// TLS host.
func TestDNSNamesTargets(t *testing.T) {
	f := newFixture(t)
	host := map[string]string{annHostname: "tetris.lab.example.com"}
	named := obj{kind: serviceKind, name: "tetris", svcType: "LoadBalancer", annotations: host}
	namedNodePort := obj{kind: serviceKind, name: "np", svcType: "NodePort", annotations: map[string]string{annHostname: "np.lab.example.com"}}
	internal := obj{kind: serviceKind, name: "internal", svcType: "ClusterIP", annotations: map[string]string{annInternalHostname: "in.lab.example.com"}}
	hosted := obj{kind: ingressKind, name: "hosted", host: "game.lab.example.com"}
	// ExternalDNS publishes an Ingress's TLS hosts even without a rule for them.
	tlsOnly := obj{kind: ingressKind, name: "tls-only", tlsHost: "secure.lab.example.com"}
	annotated := obj{kind: ingressKind, name: "annotated", annotations: host}
	unnamed := lbService("echo")
	unnamedIngress := ingress("game")
	f.create(named, namedNodePort, internal, hosted, tlsOnly, annotated, unnamed, unnamedIngress)

	o := f.opts(kubetest.AdminToken, nil)
	o.Targets = DNSNames
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, o := range []obj{named, namedNodePort, internal, hosted, tlsOnly, annotated} {
		if f.exists(o) {
			t.Errorf("%s %s has a DNS name but was not deleted", o.kind.name, o.name)
		}
	}
	for _, o := range []obj{unnamed, unnamedIngress} {
		if !f.exists(o) {
			t.Errorf("%s %s has no DNS name but was deleted", o.kind.name, o.name)
		}
	}
}

// stopsWithin runs the cleanup with a long timeout under a shorter guard:
// it must stop with an E, not time out.
func stopsWithin[E error](t *testing.T, o Options) E {
	t.Helper()
	o.Timeout = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := Run(ctx, o)
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a %T at once", err, e)
	}
	return e
}

// permanentWithin runs the cleanup, which must stop with a *PermanentError.
func permanentWithin(t *testing.T, o Options) *PermanentError {
	t.Helper()
	return stopsWithin[*PermanentError](t, o)
}

func TestPermanentErrorsFailAtOnceWithAdvice(t *testing.T) {
	f := newFixture(t)
	plainHTTP := httptest.NewServer(http.NotFoundHandler())
	defer plainHTTP.Close()
	otherCA := strings.Replace(string(f.srv.Kubeconfig(kubetest.AdminToken)),
		b64enc(f.srv.CA), b64enc(f.srv.Other), 1)
	for name, tc := range map[string]struct {
		kubeconfig string
		want       []string
	}{
		"wrong CA": {otherCA, []string{"certificate signed by unknown authority", "not trusted", "certificate-authority"}},
		"wrong token": {string(f.srv.Kubeconfig("not-the-token")),
			[]string{"HTTP 401", "rejected the credentials", "aws sts get-caller-identity"}},
		"no RBAC": {string(f.srv.Kubeconfig(kubetest.LimitedToken)),
			[]string{"HTTP 403", "cluster admin"}},
		"not the API": {strings.Replace(string(f.srv.Kubeconfig(kubetest.AdminToken)), f.srv.URL, f.srv.URL+"/not-kubernetes", 1),
			[]string{"HTTP 404", "not the cluster's API server"}},
		// The API server only speaks TLS: a plain HTTP server stands for a wrong port.
		"not TLS": {strings.Replace(string(f.srv.Kubeconfig(kubetest.AdminToken)), f.srv.URL, strings.Replace(plainHTTP.URL, "http:", "https:", 1), 1),
			[]string{"does not answer TLS"}},
	} {
		t.Run(name, func(t *testing.T) {
			o := f.opts("", nil)
			o.Kubeconfig = []byte(tc.kubeconfig)
			msg := permanentWithin(t, o).Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, SkipEnv) {
				t.Errorf("error advises %s, which would leave load balancers behind:\n%s", SkipEnv, msg)
			}
		})
	}
}

func b64enc(b []byte) string { return b64.StdEncoding.EncodeToString(b) }

// certificate-authority names a file relative to the kubeconfig's directory;
// insecure-skip-tls-verify trusts any certificate. Both reach the server.
func TestCertificateAuthorityFileAndInsecureSkipVerify(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pki"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pki", "ca.crt"), f.srv.CA, 0o600); err != nil {
		t.Fatal(err)
	}
	withData := string(f.srv.Kubeconfig(kubetest.AdminToken))
	caLine := "certificate-authority-data: " + b64enc(f.srv.CA)
	for name, tc := range map[string]struct{ line, dir string }{
		"certificate-authority file":     {"certificate-authority: pki/ca.crt", dir},
		"insecure-skip-tls-verify":       {"insecure-skip-tls-verify: true", ""},
		"certificate-authority-data":     {caLine, ""},
		"absolute certificate-authority": {"certificate-authority: " + filepath.Join(dir, "pki", "ca.crt"), ""},
	} {
		t.Run(name, func(t *testing.T) {
			svc := lbService("svc")
			f.create(svc)
			o := f.opts(kubetest.AdminToken, nil)
			o.Kubeconfig = []byte(strings.Replace(withData, caLine, tc.line, 1))
			o.KubeconfigDir = tc.dir
			if err := Run(context.Background(), o); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if f.exists(svc) {
				t.Error("the Service was not deleted")
			}
		})
	}
	// The relative file is not found from elsewhere: the path is the kubeconfig's.
	o := f.opts(kubetest.AdminToken, nil)
	o.Kubeconfig = []byte(strings.Replace(withData, caLine, "certificate-authority: pki/ca.crt", 1))
	o.KubeconfigDir = t.TempDir()
	var kc *KubeconfigError
	if err := Run(context.Background(), o); !errors.As(err, &kc) || !strings.Contains(err.Error(), "certificate-authority") {
		t.Errorf("err = %v, want a *KubeconfigError about certificate-authority", err)
	}
}

// A closed port is transient (the API server may be restarting): retried
// until the timeout, which then says how to go on if the cluster is gone.
func TestUnreachableServerIsRetriedUntilTheTimeout(t *testing.T) {
	f := newFixture(t)
	closed := strings.Replace(string(f.srv.Kubeconfig(kubetest.AdminToken)), f.srv.URL, "https://127.0.0.1:1", 1)
	o := f.opts(kubetest.AdminToken, nil)
	o.Kubeconfig = []byte(closed)
	o.Timeout = 500 * time.Millisecond
	err := Run(context.Background(), o)
	var pe *PermanentError
	if err == nil || errors.As(err, &pe) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	for _, want := range []string{"timed out after 500ms", "connection refused", SkipEnv + "=1", "lab audit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// faultProxy stands in front of the real server, which cannot be made to
// fail on demand: fault answers a request itself when it returns a status
// code (0 passes the request on), and modify may change the real answers.
type faultProxy struct {
	kubeconfig []byte // the test server's, through the proxy
}

func (f *fixture) faultProxy(fault func(r *http.Request) (int, string), modify func(*http.Response) error) *faultProxy {
	f.t.Helper()
	target, err := url.Parse(f.srv.URL)
	if err != nil {
		f.t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(f.srv.CA)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	proxy.ModifyResponse = modify
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fault != nil {
			if code, body := fault(r); code != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				fmt.Fprint(w, body)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	f.t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kc := strings.Replace(string(f.srv.Kubeconfig(kubetest.AdminToken)), f.srv.URL, srv.URL, 1)
	kc = strings.Replace(kc, b64enc(f.srv.CA), b64enc(ca), 1)
	return &faultProxy{kubeconfig: []byte(kc)}
}

// status is a metav1.Status answer's body.
func status(code int, reason, message string) string {
	b, _ := json.Marshal(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason, "message": message})
	return string(b)
}

// 503, 429 and 410 (an expired continue token) to the first requests are
// each retried.
func TestTransientAnswersAreRetried(t *testing.T) {
	f := newFixture(t)
	svc := lbService("svc")
	f.create(svc)
	var mu sync.Mutex
	failures := []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusGone}
	p := f.faultProxy(func(*http.Request) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) == 0 {
			return 0, ""
		}
		code := failures[0]
		failures = failures[1:]
		return code, status(code, "", "try again")
	}, nil)
	o := f.opts(kubetest.AdminToken, nil)
	o.Kubeconfig = p.kubeconfig
	f.runDeletes(o, svc)
	mu.Lock()
	defer mu.Unlock()
	if len(failures) != 0 {
		t.Errorf("the proxy still has %d failures to give: the test did not exercise them", len(failures))
	}
}

// A DELETE can lose an optimistic-concurrency race with another update of
// the object (HTTP 409 Conflict, as the API server words it): the next poll
// deletes it.
func TestConflictOnDeleteIsRetried(t *testing.T) {
	f := newFixture(t)
	svc := lbService("svc")
	f.create(svc)
	var conflicts atomic.Int32
	p := f.faultProxy(func(r *http.Request) (int, string) {
		if r.Method == http.MethodDelete && conflicts.Add(1) <= 2 {
			return http.StatusConflict, status(http.StatusConflict, "Conflict",
				`Operation cannot be fulfilled on services "svc": the object has been modified; please apply your changes to the latest version and try again`)
		}
		return 0, ""
	}, nil)
	o := f.opts(kubetest.AdminToken, nil)
	o.Kubeconfig = p.kubeconfig
	f.runDeletes(o, svc)
	if n := conflicts.Load(); n < 3 {
		t.Errorf("%d DELETE requests, want the 2 refused and 1 more", n)
	}
}

// A list whose continue token comes back again would read the same pages
// until the timeout, holding every page in memory: the cleanup stops it at
// once and says why.
func TestRepeatedContinueTokenStopsTheList(t *testing.T) {
	f := newFixture(t)
	var objs []obj
	for i := range 3 {
		objs = append(objs, lbService(fmt.Sprintf("svc-%d", i)))
	}
	f.create(objs...)
	// The proxy answers every page after the first with the first page's
	// token, which the server accepts again.
	var mu sync.Mutex
	first, lists := "", 0
	p := f.faultProxy(nil, func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || !strings.HasSuffix(resp.Request.URL.Path, "/services") {
			return nil
		}
		var page map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			return err
		}
		resp.Body.Close()
		mu.Lock()
		lists++
		md, _ := page["metadata"].(map[string]any)
		if first == "" {
			first, _ = md["continue"].(string)
		} else {
			md["continue"] = first
		}
		mu.Unlock()
		b, err := json.Marshal(page)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", fmt.Sprint(len(b)))
		return nil
	})
	o := f.opts(kubetest.AdminToken, nil)
	o.Kubeconfig = p.kubeconfig
	o.pageSize = 1
	msg := permanentWithin(t, o).Error()
	mu.Lock()
	defer mu.Unlock()
	if first == "" || !strings.Contains(msg, "continue token "+strconv.Quote(first)+" a second time") || !strings.Contains(msg, "/api/v1/services") {
		t.Errorf("error does not say the list repeated its continue token:\n%s", msg)
	}
	if lists > 2 {
		t.Errorf("%d list calls: the list went on after the token came back", lists)
	}
}
