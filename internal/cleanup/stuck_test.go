package cleanup

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/testing/kubetest"
)

// The AWS Load Balancer Controller's pods as the tests run them: scheduled
// on a node without a kubelet, so the test sets their status.
const (
	chartImage    = "public.ecr.aws/eks/aws-load-balancer-controller:v2.17.1"
	mirroredImage = "registry.example.com/mirror/lbc:v2.17.1"
)

var chartLabels = map[string]string{"app.kubernetes.io/name": "aws-load-balancer-controller", "app.kubernetes.io/instance": "aws-load-balancer-controller"}

// controllerPod creates a pod and returns its path.
func (f *fixture) controllerPod(name, image string, labels map[string]string) string {
	f.t.Helper()
	md := map[string]any{"name": name, "namespace": f.ns}
	if labels != nil {
		md["labels"] = labels
	}
	f.srv.Must(f.t, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+f.ns+"/pods", map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": md,
		"spec": map[string]any{"nodeName": "node-a", "containers": []any{map[string]any{"name": "controller", "image": image}}},
	})
	return "/api/v1/namespaces/" + f.ns + "/pods/" + name
}

// setPodStatus writes what a kubelet would: ready, or waiting for reason.
func (f *fixture) setPodStatus(path string, ready bool, reason string) {
	f.t.Helper()
	st := map[string]any{"phase": "Running", "conditions": []any{map[string]any{"type": "Ready", "status": map[bool]string{true: "True", false: "False"}[ready]}}}
	if reason != "" {
		st["containerStatuses"] = []any{map[string]any{"name": "controller", "image": chartImage, "imageID": "", "ready": false, "restartCount": 5,
			"state": map[string]any{"waiting": map[string]any{"reason": reason}}}}
	}
	f.srv.Must(f.t, http.StatusOK, http.MethodPatch, path+"/status", map[string]any{"status": st})
}

// stuckWithin runs the cleanup with a short stuck window: it must stop
// with a *StuckError.
func stuckWithin(t *testing.T, o Options) *StuckError {
	t.Helper()
	o.stuckAfter = 300 * time.Millisecond
	return stopsWithin[*StuckError](t, o)
}

// With the controller uninstalled, or its pods unable to start, nothing
// will remove its finalizers: the cleanup says so within its stuck window
// with the same report as at the timeout, instead of waiting 10 minutes.
func TestControllerWithoutAReadyPodStopsTheWait(t *testing.T) {
	for name, tc := range map[string]struct {
		pod  bool
		want string
	}{
		"uninstalled": {false, "no pod runs its image .../aws-load-balancer-controller or has the label app.kubernetes.io/name=aws-load-balancer-controller: it is not installed"},
		// A mirrored image: the pod is found by the chart's label.
		"crash looping": {true, "its pods: %s/aws-load-balancer-controller-7d9f8b6c4-x2x9q (Running: CrashLoopBackOff)"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			svc := lbService("echo", "service.k8s.aws/resources")
			game := ingress("game", "ingress.k8s.aws/resources")
			f.create(svc, game)
			f.setHostname(svc, "k8s-echo-0123456789.elb.ap-northeast-2.amazonaws.com")
			if tc.pod {
				f.setPodStatus(f.controllerPod("aws-load-balancer-controller-7d9f8b6c4-x2x9q", mirroredImage, chartLabels), false, "CrashLoopBackOff")
			}
			se := stuckWithin(t, f.opts(kubetest.AdminToken, nil))
			msg := se.Error()
			for _, want := range []string{
				"the AWS Load Balancer Controller has had no ready pod for ",
				strings.ReplaceAll(tc.want, "%s", f.ns),
				"kubectl -n kube-system rollout status deployment/aws-load-balancer-controller",
				"2 object(s) holding AWS resources are still in the cluster",
				"Service " + f.ns + "/echo (load balancer k8s-echo-0123456789.elb.ap-northeast-2.amazonaws.com; finalizers service.k8s.aws/resources [AWS Load Balancer Controller]",
				`aws elbv2 describe-load-balancers --query "LoadBalancers[?DNSName=='k8s-echo-0123456789.elb.ap-northeast-2.amazonaws.com'].LoadBalancerArn"`,
				"kubectl -n " + f.ns + " patch ingress game --type merge",
				"kubectl delete validatingwebhookconfiguration aws-load-balancer-webhook",
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			if ExitCode(se) != ExitFailed {
				t.Errorf("exit code %d, want %d", ExitCode(se), ExitFailed)
			}
		})
	}
}

// Nothing tells whether EKS's in-tree cloud provider runs (it is in the
// control plane): an object only it holds is waited for until the timeout.
func TestClassicLoadBalancerIsWaitedForUntilTheTimeout(t *testing.T) {
	f := newFixture(t)
	f.create(lbService("classic", classicFinalizer))
	o := f.opts(kubetest.AdminToken, nil)
	o.stuckAfter = 100 * time.Millisecond
	f.runUntilTimeout(o)
}

// A healthy controller that takes longer than the stuck window to delete a
// load balancer is waited for: it has a ready pod, here one a member
// installed under another name, found by its image.
func TestHealthyControllerIsWaitedForPastTheStuckWindow(t *testing.T) {
	f := newFixture(t)
	svc := lbService("echo", "service.k8s.aws/resources")
	f.create(svc)
	f.setPodStatus(f.controllerPod("my-lbc-5c6d7-abcde", chartImage, nil), true, "")
	ctl := f.startControllerAfter(1500*time.Millisecond, svc)
	o := f.opts(kubetest.AdminToken, nil)
	o.stuckAfter = 300 * time.Millisecond
	f.runDeletes(o, svc)
	ctl.check()
}

// A controller mid-rollout has no ready pod for a few seconds, which is
// normal: the cleanup waits while that lasts less than its stuck window.
// This pod runs a mirrored image and is found by the chart's label.
func TestControllerRestartingIsWaitedFor(t *testing.T) {
	f := newFixture(t)
	svc := lbService("echo", "service.k8s.aws/resources")
	f.create(svc)
	pod := f.controllerPod("aws-load-balancer-controller-7d9f8b6c4-r8k2m", mirroredImage, chartLabels)
	f.setPodStatus(pod, false, "ContainerCreating")
	ready := make(chan error, 1)
	go func() {
		// Once the cleanup has deleted the Service, and so seen the pod
		// unready, the pod becomes ready.
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if code, body, err := f.srv.Do(http.MethodGet, f.path(svc), "", nil); err == nil && code == http.StatusOK && strings.Contains(string(body), "deletionTimestamp") {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
		code, body, err := f.srv.Do(http.MethodPatch, pod+"/status", "application/merge-patch+json", map[string]any{"status": map[string]any{
			"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}, "containerStatuses": nil,
		}})
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %s", code, body)
		}
		ready <- err
	}()
	ctl := f.startControllerAfter(time.Second, svc)
	o := f.opts(kubetest.AdminToken, nil)
	o.stuckAfter = 30 * time.Second
	f.runDeletes(o, svc)
	if err := <-ready; err != nil {
		t.Fatalf("making the pod ready: %v", err)
	}
	ctl.check()
}

// untilDeleteAnswers repeats a dry-run DELETE of o until the webhook
// refuses it (refused) or the API server accepts it (!refused): a
// webhook configuration takes effect a moment after it changes.
func (f *fixture) untilDeleteAnswers(o obj, refused bool) {
	f.t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		code, body, err := f.srv.Do(http.MethodDelete, f.path(o)+"?dryRun=All", "", nil)
		if err != nil {
			f.t.Fatal(err)
		}
		if got := code == http.StatusInternalServerError && strings.Contains(string(body), "failed calling webhook"); got == refused {
			return
		}
	}
	f.t.Fatalf("the webhook configuration did not take effect within a minute")
}

// A webhook that must admit deletes (failurePolicy Fail) and that the API
// server cannot call, its service gone, refuses the cleanup's deletes with
// HTTP 500: after the stuck window the cleanup stops and names the
// configuration to delete, found by the webhook's name in the message.
func TestUncallableWebhookNamesItsConfiguration(t *testing.T) {
	for _, k := range []kind{validatingHooks, mutatingHooks} {
		t.Run(k.name, func(t *testing.T) {
			f := newFixture(t)
			svc := lbService("echo")
			f.create(svc)
			config := "member-policy-" + f.ns
			f.srv.Must(t, http.StatusCreated, http.MethodPost, k.listPath(), map[string]any{
				"apiVersion": "admissionregistration.k8s.io/v1", "kind": k.name,
				"metadata": map[string]any{"name": config},
				"webhooks": []any{map[string]any{
					"name": "deletes.policy.example.com", "admissionReviewVersions": []any{"v1"}, "sideEffects": "None",
					"failurePolicy": "Fail",
					"clientConfig":  map[string]any{"service": map[string]any{"name": "policy-webhook", "namespace": f.ns, "path": "/admit"}},
					// Only this test's namespace, so that no other test is refused.
					"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": f.ns}},
					"rules": []any{map[string]any{
						"apiGroups": []any{""}, "apiVersions": []any{"v1"}, "operations": []any{"DELETE"}, "resources": []any{"services"},
					}},
				}},
			})
			t.Cleanup(func() {
				f.srv.Must(t, http.StatusOK, http.MethodDelete, k.objectPath("", config), nil)
				f.untilDeleteAnswers(svc, false)
			})
			f.untilDeleteAnswers(svc, true)

			pe := permanentWithinStuck(t, f.opts(kubetest.AdminToken, nil))
			msg := pe.Error()
			for _, want := range []string{
				`failed calling webhook "deletes.policy.example.com"`,
				`the API server could not call the admission webhook "deletes.policy.example.com"`,
				"kubectl delete " + k.kubectl + " " + config,
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

// permanentWithinStuck is permanentWithin with a short stuck window.
func permanentWithinStuck(t *testing.T, o Options) *PermanentError {
	t.Helper()
	o.stuckAfter = 300 * time.Millisecond
	return permanentWithin(t, o)
}
