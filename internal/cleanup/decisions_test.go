package cleanup

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// decode reads one object of the API's JSON, as the client does.
func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// What each run deletes, decided without a cluster (the kube-apiserver
// tier runs the same cases against a real one: TestDNSNamesTargets).
func TestTargetsSelect(t *testing.T) {
	for _, tc := range []struct {
		what    string
		k       kind
		obj     string
		lb, dns bool
	}{
		{"LoadBalancer Service", serviceKind, `{"spec":{"type":"LoadBalancer"}}`, true, false},
		{"ClusterIP Service", serviceKind, `{"spec":{"type":"ClusterIP"}}`, false, false},
		{"Ingress", ingressKind, `{}`, true, false},
		{"Service with a hostname", serviceKind, `{"metadata":{"annotations":{"external-dns.alpha.kubernetes.io/hostname":"a.example.com"}},"spec":{"type":"NodePort"}}`, false, true},
		{"Service with an internal hostname", serviceKind, `{"metadata":{"annotations":{"external-dns.alpha.kubernetes.io/internal-hostname":"a.example.com"}},"spec":{"type":"ClusterIP"}}`, false, true},
		{"Ingress with a rule's host", ingressKind, `{"spec":{"rules":[{"host":""},{"host":"a.example.com"}]}}`, true, true},
		{"Ingress with a TLS host only", ingressKind, `{"spec":{"tls":[{"hosts":[]},{"hosts":["a.example.com"]}]}}`, true, true},
		{"Ingress with empty rules and TLS", ingressKind, `{"spec":{"rules":[{"host":""}],"tls":[{"hosts":[]}]}}`, true, false},
	} {
		o := decode[object](t, tc.obj)
		if got := LoadBalancers.selects(tc.k, o, nil); got != tc.lb {
			t.Errorf("%s: load-balancers selects it: %v, want %v", tc.what, got, tc.lb)
		}
		if got := DNSNames.selects(tc.k, o, nil); got != tc.dns {
			t.Errorf("%s: dns-names selects it: %v, want %v", tc.what, got, tc.dns)
		}
	}
}

// Gateway API: every Gateway is a load balancer and a route attached to
// one goes with it; ExternalDNS (gateway-httproute) publishes an HTTPRoute's
// hostnames, its hostname annotation, or its Gateway listener's hostname.
func TestTargetsSelectGatewayAPI(t *testing.T) {
	gateways := map[string]object{
		"web/plain": decode[object](t, `{"spec":{"listeners":[{"hostname":""}]}}`),
		"web/named": decode[object](t, `{"spec":{"listeners":[{},{"hostname":"*.example.com"}]}}`),
	}
	for _, tc := range []struct {
		what    string
		k       kind
		obj     string
		lb, dns bool
	}{
		{"Gateway", gatewayKind, `{"spec":{"listeners":[{"hostname":"a.example.com"}]}}`, true, false},
		{"HTTPRoute of a Gateway, no hostname", httpRouteKind, `{"metadata":{"namespace":"web"},"spec":{"parentRefs":[{"name":"plain"}]}}`, true, false},
		{"HTTPRoute with hostnames", httpRouteKind, `{"metadata":{"namespace":"web"},"spec":{"hostnames":["a.example.com"],"parentRefs":[{"name":"plain"}]}}`, true, true},
		{"HTTPRoute with the hostname annotation", httpRouteKind, `{"metadata":{"namespace":"web","annotations":{"external-dns.alpha.kubernetes.io/hostname":"a.example.com"}},"spec":{"parentRefs":[{"name":"plain"}]}}`, true, true},
		{"HTTPRoute of a Gateway whose listener has a hostname", httpRouteKind, `{"metadata":{"namespace":"web"},"spec":{"parentRefs":[{"name":"named"}]}}`, true, true},
		{"HTTPRoute of a Gateway in another namespace", httpRouteKind, `{"metadata":{"namespace":"app"},"spec":{"parentRefs":[{"namespace":"web","name":"named"}]}}`, true, true},
		{"HTTPRoute of an unknown Gateway", httpRouteKind, `{"metadata":{"namespace":"app"},"spec":{"parentRefs":[{"name":"named"}]}}`, true, false},
		{"HTTPRoute naming its Gateway's kind", httpRouteKind, `{"metadata":{"namespace":"web"},"spec":{"parentRefs":[{"kind":"Gateway","name":"named"}]}}`, true, true},
		{"HTTPRoute of a Service, group left out", httpRouteKind, `{"metadata":{"namespace":"web"},"spec":{"parentRefs":[{"kind":"Service","name":"named"}]}}`, false, false},
		{"HTTPRoute of a Service (mesh)", httpRouteKind, `{"metadata":{"namespace":"web"},"spec":{"parentRefs":[{"group":"","kind":"Service","name":"named"}]}}`, false, false},
		{"HTTPRoute of another group's Gateway", httpRouteKind, `{"metadata":{"namespace":"web"},"spec":{"parentRefs":[{"group":"example.com","kind":"Gateway","name":"named"}]}}`, false, false},
		{"GRPCRoute with hostnames", routeKinds[1], `{"metadata":{"namespace":"web"},"spec":{"hostnames":["a.example.com"],"parentRefs":[{"name":"named"}]}}`, true, false},
		{"route without parents", httpRouteKind, `{"spec":{"hostnames":["a.example.com"]}}`, false, true},
	} {
		o := decode[object](t, tc.obj)
		if got := LoadBalancers.selects(tc.k, o, gateways); got != tc.lb {
			t.Errorf("%s: load-balancers selects it: %v, want %v", tc.what, got, tc.lb)
		}
		if got := DNSNames.selects(tc.k, o, gateways); got != tc.dns {
			t.Errorf("%s: dns-names selects it: %v, want %v", tc.what, got, tc.dns)
		}
	}
}

func TestPulumiOwned(t *testing.T) {
	for s, want := range map[string]bool{
		`{"labels":{"app.kubernetes.io/managed-by":"pulumi"}}`:                                    true,
		`{"managedFields":[{"manager":"kubectl"},{"manager":"pulumi-kubernetes-5e3c1f2a"}]}`:      true,
		`{"managedFields":[{"manager":"pulumi-kubernetes"}]}`:                                     true,
		`{"labels":{"app.kubernetes.io/managed-by":"Helm"},"managedFields":[{"manager":"helm"}]}`: false,
	} {
		if got := pulumiOwned(decode[meta](t, s)); got != want {
			t.Errorf("%s: Pulumi-owned %v, want %v", s, got, want)
		}
	}
}

func TestPaths(t *testing.T) {
	for got, want := range map[string]string{
		serviceKind.objectPath("team a", "web/1"):   "/api/v1/namespaces/team%20a/services/web%2F1",
		volumeKind.objectPath("ignored", "pv-1"):    "/api/v1/persistentvolumes/pv-1",
		qualified(meta{Namespace: "ns", Name: "x"}): "ns/x",
		qualified(meta{Name: "pv-1"}):               "pv-1",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

func TestControllerOf(t *testing.T) {
	m := decode[meta](t, `{"ownerReferences":[{"kind":"Node","name":"n"},{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-1","controller":true}]}`)
	if o, ok := m.controllerOf(); !ok || o.Name != "web-1" {
		t.Errorf("controller %+v %v, want ReplicaSet web-1", o, ok)
	}
	if _, ok := (meta{}).controllerOf(); ok {
		t.Error("an object without owners has a controller")
	}
}

func TestStatusMessage(t *testing.T) {
	long := strings.Repeat("x", 201)
	for data, want := range map[string]string{
		`{"kind":"Status","message":"services \"a\" is forbidden"}`: `services "a" is forbidden`,
		"  plain text\n":         "plain text",
		strings.Repeat("y", 200): strings.Repeat("y", 200),
		long:                     strings.Repeat("x", 200) + "...",
	} {
		if got := statusMessage([]byte(data)); got != want {
			t.Errorf("statusMessage(%.40q) = %.60q, want %.60q", data, got, want)
		}
	}
}

// A leftover names what holds it: the load balancer, the volume, and who
// removes each finalizer.
func TestLeftoverString(t *testing.T) {
	l := leftover{kind: ingressKind, namespace: "game", name: "tetris", host: "k8s-game.elb.amazonaws.com",
		finalizers: []string{"group.ingress.k8s.aws/lab", "foregroundDeletion", "example.com/other"}}
	want := "Ingress game/tetris (load balancer k8s-game.elb.amazonaws.com; finalizers group.ingress.k8s.aws/lab [AWS Load Balancer Controller], foregroundDeletion [garbage collector], example.com/other)"
	if got := l.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !l.heldByLBController() {
		t.Error("an Ingress group's finalizer is the controller's")
	}
	c := leftover{kind: claimKind, namespace: "db", name: "data", claimVolume: "pvc-1", volume: volumeSource{ebs: "vol-1"},
		finalizers: []string{"kubernetes.io/pvc-protection"}}
	want = "PersistentVolumeClaim db/data (PersistentVolume pvc-1; EBS volume vol-1; finalizers kubernetes.io/pvc-protection [kube-controller-manager, once no pod mounts the claim])"
	if got := c.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if c.heldByLBController() || (leftover{kind: serviceKind, name: "x"}).String() != "Service x" {
		t.Errorf("claim held by the controller %v, bare service %q", c.heldByLBController(), (leftover{kind: serviceKind, name: "x"}).String())
	}
	for f, owner := range map[string]string{
		"service.k8s.aws/resources": "AWS Load Balancer Controller", "ingress.k8s.aws/resources": "AWS Load Balancer Controller",
		"gateway.k8s.aws/nlb": "AWS Load Balancer Controller", classicFinalizer: "Classic Load Balancer",
		"kubernetes.io/pv-protection": "once no claim is bound", "external-provisioner.volume.kubernetes.io/finalizer": "CSI driver",
	} {
		if got := finalizerOwner(f); !strings.Contains(got, owner) {
			t.Errorf("finalizer %s: owner %q, want %q", f, got, owner)
		}
	}
}

// A condition stops the run once seen in stuckRounds consecutive polls
// spanning at least the wait; another condition, or none, starts over.
func TestStreak(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := &condition{key: "a"}, &condition{key: "b"}
	var s streak
	for i, step := range []struct {
		c    *condition
		at   time.Duration
		stop bool
	}{
		{a, 0, false}, {a, time.Minute, false}, {a, 2 * time.Minute, true}, // third poll, two minutes on
		{b, 3 * time.Minute, false}, {b, 4 * time.Minute, false}, {b, 4*time.Minute + 30*time.Second, false}, // three polls, 90 s
		{b, 5 * time.Minute, true},
		{nil, 6 * time.Minute, false}, {b, 7 * time.Minute, false},
	} {
		if got := s.observe(step.c, t0.Add(step.at), 2*time.Minute); got != step.stop {
			t.Errorf("poll %d: stop %v, want %v", i, got, step.stop)
		}
	}
	if got := s.lasted(t0.Add(9*time.Minute + 400*time.Millisecond)); got != 2*time.Minute {
		t.Errorf("lasted %s, want 2m0s", got)
	}
}

func TestPods(t *testing.T) {
	for s, want := range map[string]string{
		`{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}`:                                                         "ready",
		`{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}]}}`:                                                        "Running, not ready",
		`{"status":{"phase":"Pending","containerStatuses":[{"state":{"waiting":{"reason":"ImagePullBackOff"}}}]}}`:                               "Pending: ImagePullBackOff",
		`{"status":{"containerStatuses":[{"state":{"waiting":{"reason":""}}}]}}`:                                                                 "no status, not ready",
		`{"metadata":{"deletionTimestamp":"2026-01-01T00:00:00Z"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}`: "Running, terminating, not ready",
	} {
		p := decode[pod](t, s)
		got := p.state()
		if p.ready() {
			got = "ready"
		}
		if got != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
	for s, want := range map[string]bool{
		`{"status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}]}}`: true,
		`{"status":{"conditions":[{"type":"Ready","status":"Unknown"},{"type":"DiskPressure","status":"True"}]}}`: false,
		`{}`: false,
	} {
		if got := decode[node](t, s).ready(); got != want {
			t.Errorf("node %s: ready %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{
		`{"spec":{"containers":[{"image":"public.ecr.aws/eks/aws-load-balancer-controller:v2.17.1"}]}}`:                                         true,
		`{"spec":{"containers":[{"image":"602401143452.dkr.ecr.ap-northeast-2.amazonaws.com/amazon/aws-load-balancer-controller@sha256:ab"}]}}`: true,
		`{"metadata":{"labels":{"app.kubernetes.io/name":"aws-load-balancer-controller"}},"spec":{"containers":[{"image":"mirror/lbc:1"}]}}`:    true,
		`{"spec":{"containers":[{"image":"busybox"},{"image":"registry:5000/aws-load-balancer-controller-extra:1"}]}}`:                          false,
	} {
		if got := isLBControllerPod(decode[pod](t, s)); got != want {
			t.Errorf("%s: the controller's pod %v, want %v", s, got, want)
		}
	}
	p := decode[pod](t, `{"metadata":{"name":"web-0"},"spec":{"volumes":[{"name":"cfg"},{"name":"data","persistentVolumeClaim":{"claimName":"data-web-0"}},{"name":"scratch","ephemeral":{}}]}}`)
	if got := p.claimNames(); !slices.Equal(got, []string{"data-web-0", "web-0-scratch"}) {
		t.Errorf("claims %v, want data-web-0 and web-0-scratch", got)
	}
}

// Which volume goes with its claim, and what storage it is.
func TestVolumes(t *testing.T) {
	for s, want := range map[string]string{
		`{"metadata":{"annotations":{"pv.kubernetes.io/provisioned-by":"ebs.csi.aws.com"}},"spec":{"persistentVolumeReclaimPolicy":"Delete","csi":{"driver":"ebs.csi.aws.com","volumeHandle":"vol-1"}}}`: "EBS volume vol-1, deleted",
		`{"spec":{"persistentVolumeReclaimPolicy":"Retain","awsElasticBlockStore":{"volumeID":"aws://ap-northeast-2a/vol-2"}}}`:                                                                          "EBS volume vol-2, kept: its reclaim policy is Retain",
		`{"spec":{"persistentVolumeReclaimPolicy":"Delete","awsElasticBlockStore":{"volumeID":"vol-3"}}}`:                                                                                                "EBS volume vol-3, kept: it was created by hand, not provisioned for a claim",
		`{"spec":{"persistentVolumeReclaimPolicy":"Delete","csi":{"driver":"efs.csi.aws.com","volumeHandle":"fs-1"}}}`:                                                                                   "volume fs-1 of efs.csi.aws.com, kept: it was created by hand, not provisioned for a claim",
		`{"spec":{"persistentVolumeReclaimPolicy":"Recycle"}}`:                                                                                                                                           ", kept: its reclaim policy is Recycle",
	} {
		pv := decode[persistentVolume](t, s)
		got := pv.source().String() + ", deleted"
		if why := pv.keptBecause(); why != "" {
			got = pv.source().String() + ", kept: " + why
		}
		if got != want {
			t.Errorf("%s:\n got %q\nwant %q", s, got, want)
		}
	}
}

// A kept volume is named once, with its storage, its claim and how to
// delete it by hand; one not on EBS gets no EC2 command.
func TestLogKept(t *testing.T) {
	var b strings.Builder
	r := &run{opts: Options{Log: &b}, announced: map[string]bool{}}
	claim := decode[claimObject](t, `{"metadata":{"namespace":"db","name":"data"}}`)
	r.logKept(leftover{kind: volumeKind, name: "pvc-1", volume: volumeSource{ebs: "vol-1"}}, &claim, "its reclaim policy is Retain")
	r.logKept(leftover{kind: volumeKind, name: "pvc-1", volume: volumeSource{ebs: "vol-1"}}, &claim, "its reclaim policy is Retain")
	r.logKept(leftover{kind: volumeKind, name: "nfs"}, nil, "it was created by hand, not provisioned for a claim")
	want := "lab cleanup: keeping PersistentVolume pvc-1 (EBS volume vol-1, claim db/data): its reclaim policy is Retain, so the volume outlives the cluster and bills until you delete it (aws ec2 delete-volume --volume-id vol-1; lab audit lists the EBS volumes left behind)\n" +
		"lab cleanup: keeping PersistentVolume nfs: it was created by hand, not provisioned for a claim, so the volume outlives the cluster and bills until you delete it\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// The login to advise is the profile the plugin runs with: its --profile
// argument over its env over the cleanup's own AWS_PROFILE.
func TestLoginAdvice(t *testing.T) {
	t.Setenv("AWS_PROFILE", "outer")
	for _, tc := range []struct {
		args    []string
		env     string
		profile string
	}{
		{[]string{"eks", "get-token", "--profile", "lab"}, "env", "--profile lab`"},
		{[]string{"eks", "get-token"}, "env", "--profile env`"},
		{[]string{"eks", "get-token"}, "", "--profile outer`"},
		{[]string{"eks", "get-token", "--profile"}, "", "--profile outer`"}, // a cut-off flag
	} {
		e := &execToken{}
		e.cfg.Args = tc.args
		if tc.env != "" {
			e.cfg.Env = append(e.cfg.Env, decode[execConfig](t, `{"env":[{"name":"AWS_PROFILE","value":"`+tc.env+`"}]}`).Env...)
		}
		if got := e.loginAdvice(); !strings.Contains(got, "aws sso login "+tc.profile) {
			t.Errorf("args %v, env %q: %s; want aws sso login %s", tc.args, tc.env, got, tc.profile)
		}
	}
}

// Relative paths in a kubeconfig file are relative to its directory.
func TestResolvePath(t *testing.T) {
	for _, tc := range [][3]string{{"/etc/kube", "ca.crt", "/etc/kube/ca.crt"}, {"/etc/kube", "/abs/ca.crt", "/abs/ca.crt"}, {"", "ca.crt", "ca.crt"}} {
		if got := resolvePath(tc[0], tc[1]); got != tc[2] {
			t.Errorf("resolvePath(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

// Every request has a deadline: a server that accepts and never answers
// does not hold the cleanup until its own timeout.
func TestRequestsHaveATimeout(t *testing.T) {
	rc, err := parseKubeconfig([]byte(`current-context: a
contexts: [{name: a, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]`), "")
	if err != nil || rc.http.Timeout != 30*time.Second {
		t.Fatalf("%v; request timeout %v, want 30s", err, rc)
	}
}
