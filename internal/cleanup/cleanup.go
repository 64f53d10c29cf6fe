// Package cleanup deletes the Kubernetes objects that hold AWS resources
// outside Pulumi's state, before the controller that would delete those
// resources is uninstalled. This is what `eksctl delete cluster` does before
// it deletes a cluster.
//
// What it deletes, in all namespaces, with foreground propagation:
//   - with --targets load-balancers (the default): every Service of type
//     LoadBalancer, every Ingress, every Gateway (Gateway API) and every
//     route attached to a Gateway. The AWS Load Balancer Controller deletes
//     an object's NLB/ALB, target groups and security groups, then removes its
//     finalizer (service.k8s.aws/resources, ingress.k8s.aws/resources,
//     group.ingress.k8s.aws/<group>, gateway.k8s.aws/alb or gateway.k8s.aws/nlb);
//     once the controller is gone nobody would, and the load balancers would
//     keep billing and block the VPC's deletion.
//   - with --targets dns-names: every Service, Ingress and HTTPRoute
//     ExternalDNS makes a record for (a hostname annotation, an Ingress rule or
//     TLS host, a route's hostnames or its Gateway listener's), so that
//     ExternalDNS deletes the records before it is uninstalled.
//
// A cluster without Gateway API's CRDs (a 404 on their list) has no
// Gateway to delete.
//   - with --persistent-volumes as well (the cluster's cleanup on destroy):
//     every PersistentVolumeClaim whose volume a provisioner made for it with
//     reclaim policy Delete, after the workloads whose pods mount it (they
//     would keep it, and a StatefulSet would make it again); volumes.go.
//
// Objects Pulumi manages are skipped unless --include-pulumi-owned is given:
// deleting them by hand would make the stack's state drift. `pulumi destroy`
// passes the flag (components/cleanup), since by then Pulumi has deleted its
// own objects and whatever is left must go.
//
// Nothing else is deleted: ClusterIP and NodePort Services without a DNS
// name, workloads without such volumes and namespaces stay.
package cleanup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Defaults of the command's flags.
const (
	DefaultTimeout      = 10 * time.Minute
	DefaultDNSSyncWait  = 90 * time.Second // ExternalDNS syncs every minute by default
	DefaultPollInterval = 5 * time.Second
)

// Targets selects what a run deletes.
type Targets string

const (
	// LoadBalancers are every LoadBalancer Service and every Ingress: what the
	// AWS Load Balancer Controller builds NLBs and ALBs for.
	LoadBalancers Targets = "load-balancers"
	// DNSNames are the Services and Ingresses ExternalDNS publishes records for.
	DNSNames Targets = "dns-names"
)

// ExternalDNS's annotations (source/source.go of external-dns v0.16.1).
const (
	annHostname         = "external-dns.alpha.kubernetes.io/hostname"
	annInternalHostname = "external-dns.alpha.kubernetes.io/internal-hostname"
)

// selects reports whether the run deletes o, an object of kind k;
// gateways are the cluster's Gateways by namespace/name, which routes are
// attached to.
func (t Targets) selects(k kind, o object, gateways map[string]object) bool {
	md := o.Metadata
	if k.isGatewayAPI() {
		return t.selectsGatewayAPI(k, o, gateways)
	}
	if t == DNSNames {
		if md.Annotations[annHostname] != "" || md.Annotations[annInternalHostname] != "" {
			return true
		}
		// ExternalDNS's ingress source also publishes every rule and TLS host
		// (source/ingress.go, endpointsFromIngress, v0.16.1).
		for _, r := range o.Spec.Rules {
			if r.Host != "" {
				return true
			}
		}
		for _, tls := range o.Spec.TLS {
			if len(tls.Hosts) > 0 {
				return true
			}
		}
		return false
	}
	// With the controller every Ingress is (part of) an ALB.
	return k == ingressKind || o.Spec.Type == "LoadBalancer"
}

// selectsGatewayAPI is selects for Gateway API's kinds. Every Gateway is a
// load balancer, and a route attached to one goes with it (the controller
// puts no finalizer on routes: git grep AddFinalizers at v3.5.0). ExternalDNS
// reads only HTTPRoutes (the lab sets its gateway-httproute source alone):
// their hostnames, the hostname annotation, or their Gateway listener's
// hostname (source/gateway.go at v0.22.0).
func (t Targets) selectsGatewayAPI(k kind, o object, gateways map[string]object) bool {
	if t == LoadBalancers {
		return k == gatewayKind || slices.ContainsFunc(o.Spec.ParentRefs, func(p parentRef) bool {
			_, ok := p.gateway(o.Metadata.Namespace)
			return ok
		})
	}
	if k != httpRouteKind {
		return false
	}
	if len(o.Spec.Hostnames) > 0 || o.Metadata.Annotations[annHostname] != "" {
		return true
	}
	for _, p := range o.Spec.ParentRefs {
		if key, ok := p.gateway(o.Metadata.Namespace); ok {
			if slices.ContainsFunc(gateways[key].Spec.Listeners, func(l listener) bool { return l.Hostname != "" }) {
				return true
			}
		}
	}
	return false
}

// pulumiOwned reports whether pulumi-kubernetes manages the object. Version 4
// labels what it creates with Client-Side Apply app.kubernetes.io/managed-by=pulumi,
// but with Server-Side Apply, its default, it sets no label and applies as
// field manager "pulumi-kubernetes-<random>" ("pulumi-kubernetes" with
// Client-Side Apply): provider/pkg/provider/provider.go (Check,
// fieldManagerName) at v4.25.0.
func pulumiOwned(m meta) bool {
	if m.Labels["app.kubernetes.io/managed-by"] == "pulumi" {
		return true
	}
	for _, f := range m.ManagedFields {
		if strings.HasPrefix(f.Manager, "pulumi-kubernetes") {
			return true
		}
	}
	return false
}

// Options configure one cleanup run.
type Options struct {
	Kubeconfig []byte // YAML or JSON
	// KubeconfigDir resolves relative paths in the kubeconfig ("" when inline).
	KubeconfigDir string
	// Targets is what to delete; "" is LoadBalancers.
	Targets Targets
	// PersistentVolumes also deletes the claims whose dynamically provisioned
	// volumes (reclaim policy Delete) would outlive the cluster, with the
	// workloads that mount them, and waits for the volumes to go. Only for
	// the cleanup that runs before the cluster is deleted.
	PersistentVolumes bool
	// IncludePulumiOwned deletes objects Pulumi manages too.
	IncludePulumiOwned bool
	// Timeout bounds the wait for the objects to be gone.
	Timeout time.Duration
	// DNSSyncWait is how long to let ExternalDNS run after the objects are
	// gone so it deletes their records; 0 when ExternalDNS is not installed.
	DNSSyncWait  time.Duration
	PollInterval time.Duration
	Log          io.Writer // progress lines
	// Skip makes Run a no-op that says so (SkipEnv is set).
	Skip bool

	// Tests make these small; 0 is the default.
	pageSize    int           // objects per list call
	stuckAfter  time.Duration // DefaultStuckAfter
	execTimeout time.Duration // DefaultExecTimeout
	execWait    time.Duration // execWaitDelay
	resolver    *net.Resolver // the system's
}

// Run deletes the targets, waits until they are gone, then waits
// opts.DNSSyncWait for ExternalDNS. A kubeconfig it cannot use is a
// *KubeconfigError, a failure retries cannot fix a *PermanentError, objects
// nothing will remove a *StuckError, objects left at the timeout a
// *TimeoutError.
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Skip {
		fmt.Fprintf(opts.Log, "lab cleanup: skipped because %s is set; run `go run ./cmd/lab audit` afterwards to find load balancers and volumes left behind\n", SkipEnv)
		return nil
	}
	rc, err := parseKubeconfig(opts.Kubeconfig, opts.KubeconfigDir)
	if err != nil {
		return err
	}
	if et, ok := rc.token.(*execToken); ok {
		et.timeout, et.waitDelay = opts.execTimeout, opts.execWait
	}
	if opts.resolver != nil {
		rc.http.Transport.(*http.Transport).DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Resolver: opts.resolver}).DialContext
	}
	if opts.Targets == "" {
		opts.Targets = LoadBalancers
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.pageSize <= 0 {
		opts.pageSize = 500
	}
	if opts.stuckAfter <= 0 {
		opts.stuckAfter = DefaultStuckAfter
	}
	r := &run{opts: opts, c: &client{cfg: rc, pageSize: opts.pageSize}, announced: map[string]bool{}}

	waitCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	var present []leftover
	var lastErr error
	var stuck streak
	for {
		objs, err := r.deleteTargets(waitCtx)
		var cond *condition
		switch {
		case err == nil:
			present, lastErr = objs, nil
			if len(present) == 0 {
				return waitForDNS(ctx, opts)
			}
			cond = r.controllerDown(waitCtx, present)
		case ctx.Err() != nil:
			return ctx.Err()
		case waitCtx.Err() != nil:
			// The timeout cut this round short; report the previous one, or
			// what kept the first from finishing (a plugin still running).
			if lastErr == nil && len(present) == 0 {
				lastErr = err
			}
		default:
			if p := permanent(err); p != nil {
				return p
			}
			lastErr = err
			cond = r.webhookDown(waitCtx, err)
		}
		if now := time.Now(); stuck.observe(cond, now, opts.stuckAfter) {
			return cond.fail(present, lastErr, stuck.lasted(now))
		}
		select {
		case <-waitCtx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return newTimeoutError(opts.Timeout, present, lastErr)
		case <-time.After(opts.PollInterval):
		}
	}
}

// run is one cleanup's state across polls.
type run struct {
	opts      Options
	c         *client
	announced map[string]bool // log lines already printed
}

func (r *run) logOnce(key, format string, args ...any) {
	if !r.announced[key] {
		r.announced[key] = true
		fmt.Fprintf(r.opts.Log, format, args...)
	}
}

// skipped reports whether the object stays because Pulumi manages it, and
// says so once.
func (r *run) skipped(k kind, m meta) bool {
	if r.opts.IncludePulumiOwned || !pulumiOwned(m) {
		return false
	}
	r.logOnce("skip/"+k.name+"/"+m.Namespace+"/"+m.Name, "lab cleanup: skipping %s %s: Pulumi manages it (pulumi destroy deletes it; --include-pulumi-owned deletes it now)\n", k.name, qualified(m))
	return true
}

// qualified is namespace/name, or the name of a cluster-scoped object.
func qualified(m meta) string {
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// deleteTargets lists the targets, deletes those not yet being deleted and
// returns all that are still present. Gateways are listed first: whether a
// route is a target depends on its Gateway.
func (r *run) deleteTargets(ctx context.Context) ([]leftover, error) {
	var present []leftover
	gateways := map[string]object{}
	gatewayAPI := true
	for _, k := range append(append([]kind{gatewayKind}, routeKinds...), ingressKind, serviceKind) {
		if k.isGatewayAPI() && k != gatewayKind && !gatewayAPI {
			continue
		}
		objs, err := listAll[object](ctx, r.c, k.listPath(), nil)
		var ae *apiError
		if k.isGatewayAPI() && errors.As(err, &ae) && ae.code == http.StatusNotFound {
			// Gateway API's CRDs are not installed (or, for a route kind,
			// not at v1): nothing of that kind can hold a load balancer.
			if k == gatewayKind {
				gatewayAPI = false
				r.logOnce("absent/"+k.name, "lab cleanup: Gateway API is not installed (%s is not served): no Gateway to delete\n", k.listPath())
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if k == gatewayKind {
				gateways[o.Metadata.Namespace+"/"+o.Metadata.Name] = o
			}
		}
		for _, o := range objs {
			if !r.opts.Targets.selects(k, o, gateways) || r.skipped(k, o.Metadata) {
				continue
			}
			l := leftover{kind: k, namespace: o.Metadata.Namespace, name: o.Metadata.Name, finalizers: o.Metadata.Finalizers, host: o.host()}
			present = append(present, l)
			if err := r.deleteOnce(ctx, k, o.Metadata, foreground, l.String()); err != nil {
				return nil, err
			}
		}
	}
	if !r.opts.PersistentVolumes {
		return present, nil
	}
	volumes, err := r.deleteVolumes(ctx)
	if err != nil {
		return nil, err
	}
	return append(present, volumes...), nil
}

// deleteOnce deletes the object unless it is already being deleted, and
// says so the first time: "deleting WHAT".
func (r *run) deleteOnce(ctx context.Context, k kind, m meta, propagation, what string) error {
	if m.DeletionTimestamp != nil {
		return nil
	}
	if err := r.c.delete(ctx, k, m.Namespace, m.Name, propagation); err != nil {
		return err
	}
	r.logOnce("delete/"+k.name+"/"+qualified(m), "lab cleanup: deleting %s\n", what)
	return nil
}

// waitForDNS gives ExternalDNS one sync interval to delete the records of the
// Services and Ingresses just deleted (including the lab's own, which Pulumi
// deleted right before the cleanup) before it is uninstalled.
func waitForDNS(ctx context.Context, opts Options) error {
	what := "no LoadBalancer Service, Ingress or Gateway left"
	if opts.Targets == DNSNames {
		what = "no Service, Ingress or HTTPRoute with a DNS name left"
	}
	if opts.PersistentVolumes {
		what += ", no volume that would outlive the cluster"
	}
	if opts.DNSSyncWait <= 0 {
		fmt.Fprintf(opts.Log, "lab cleanup: %s\n", what)
		return nil
	}
	fmt.Fprintf(opts.Log, "lab cleanup: %s; waiting %s for ExternalDNS to delete their DNS records\n", what, opts.DNSSyncWait)
	select {
	case <-ctx.Done():
		return errors.Join(errors.New("interrupted while waiting for ExternalDNS"), ctx.Err())
	case <-time.After(opts.DNSSyncWait):
		return nil
	}
}
