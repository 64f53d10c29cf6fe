// Package cleanup deletes the Kubernetes objects that hold AWS resources
// outside Pulumi's state, before the controller that would delete those
// resources is uninstalled. This is what `eksctl delete cluster` does before
// it deletes a cluster.
//
// What it deletes, in all namespaces, with foreground propagation:
//   - with --targets load-balancers (the default): every Service of type
//     LoadBalancer and every Ingress. The AWS Load Balancer Controller deletes
//     an object's NLB/ALB, target groups and security groups, then removes its
//     finalizer (service.k8s.aws/resources, ingress.k8s.aws/resources or
//     group.ingress.k8s.aws/<group>); once the controller is gone nobody would,
//     and the load balancers would keep billing and block the VPC's deletion.
//   - with --targets dns-names: every Service and Ingress ExternalDNS makes a
//     record for (a hostname annotation, an Ingress rule or TLS host), so that
//     ExternalDNS deletes the records before it is uninstalled.
//
// Objects Pulumi manages are skipped unless --include-pulumi-owned is given:
// deleting them by hand would make the stack's state drift. `pulumi destroy`
// passes the flag (components/teardown), since by then Pulumi has deleted its
// own objects and whatever is left must go.
//
// Nothing else is deleted: ClusterIP and NodePort Services without a DNS
// name, workloads and namespaces stay.
package cleanup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
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

// selects reports whether the run deletes o, an object of kind k.
func (t Targets) selects(k kind, o object) bool {
	md := o.Metadata
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

// pulumiOwned reports whether pulumi-kubernetes manages o. Version 4 labels
// what it creates with Client-Side Apply app.kubernetes.io/managed-by=pulumi,
// but with Server-Side Apply, its default, it sets no label and applies as
// field manager "pulumi-kubernetes-<random>" ("pulumi-kubernetes" with
// Client-Side Apply): provider/pkg/provider/provider.go (Check,
// fieldManagerName) at v4.25.0.
func pulumiOwned(o object) bool {
	if o.Metadata.Labels["app.kubernetes.io/managed-by"] == "pulumi" {
		return true
	}
	for _, f := range o.Metadata.ManagedFields {
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

	pageSize int // objects per list call; tests make it small
}

// leftover is one object still present, for the timeout message.
type leftover struct {
	kind                  kind
	namespace, name, host string
	finalizers            []string
}

func (l leftover) String() string {
	s := fmt.Sprintf("%s %s/%s", l.kind.name, l.namespace, l.name)
	var extra []string
	if l.host != "" {
		extra = append(extra, "load balancer "+l.host)
	}
	if len(l.finalizers) > 0 {
		var fs []string
		for _, f := range l.finalizers {
			fs = append(fs, f+finalizerOwner(f))
		}
		extra = append(extra, "finalizers "+strings.Join(fs, ", "))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, "; ") + ")"
	}
	return s
}

// classicFinalizer is what EKS's in-tree cloud provider puts on a
// LoadBalancer Service it made a Classic Load Balancer for (one the
// controller did not claim).
const classicFinalizer = "service.kubernetes.io/load-balancer-cleanup"

// finalizerOwner names who removes a finalizer the cleanup waits on.
// The controller's are in pkg/shared_constants/finalizers.go (v2.17.1).
func finalizerOwner(f string) string {
	switch {
	case f == "service.k8s.aws/resources", f == "ingress.k8s.aws/resources", strings.HasPrefix(f, "group.ingress.k8s.aws/"):
		return " [AWS Load Balancer Controller]"
	case f == classicFinalizer:
		return " [EKS's in-tree cloud provider: a Classic Load Balancer]"
	case f == "foregroundDeletion":
		return " [garbage collector]"
	}
	return ""
}

// Chart values the timeout advice names: the aws-load-balancer-controller
// chart 1.17.1 registers its validating webhooks in a
// ValidatingWebhookConfiguration named "<namePrefix>-webhook", namePrefix
// being the chart name without "-controller" (templates/webhook.yaml,
// templates/_helpers.tpl). Its webhook vingress.elbv2.k8s.aws has
// failurePolicy Fail on Ingress CREATE and UPDATE: while the controller is
// down, removing an Ingress's finalizers (an UPDATE) is refused. The Service
// mutator webhook handles CREATE only (values.yaml), so Services can be patched.
const (
	webhookConfiguration = "aws-load-balancer-webhook"
	controllerNamespace  = "kube-system"
	controllerDeployment = "aws-load-balancer-controller"
)

// TimeoutError is returned when objects are still present after the timeout.
type TimeoutError struct {
	timeout   time.Duration
	leftovers []leftover
	lastErr   error // the last API error while polling, if any
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "timed out after %s; %d object(s) holding AWS resources are still in the cluster:\n", e.timeout, len(e.leftovers))
	ingresses := false
	for _, l := range e.leftovers {
		fmt.Fprintf(&b, "  - %s\n", l)
		ingresses = ingresses || l.kind == ingressKind
	}
	if e.lastErr != nil {
		fmt.Fprintf(&b, "The last call to the Kubernetes API failed: %v\n", e.lastErr)
	}
	fmt.Fprintf(&b, `Check:
  - the AWS Load Balancer Controller's logs: kubectl -n %s logs deployment/%s
  - what is left: kubectl get svc -A; kubectl get ingress -A
Remove by hand (AWS console, EC2 > Load Balancers, or the AWS CLI):
`, controllerNamespace, controllerDeployment)
	for _, l := range e.leftovers {
		switch {
		case l.host == "":
		case slices.Contains(l.finalizers, classicFinalizer): // the elbv2 API does not list Classic Load Balancers
			fmt.Fprintf(&b, "  - aws elb describe-load-balancers --query \"LoadBalancerDescriptions[?DNSName=='%s'].LoadBalancerName\" --output text, then aws elb delete-load-balancer --load-balancer-name NAME\n", l.host)
		default:
			fmt.Fprintf(&b, "  - aws elbv2 describe-load-balancers --query \"LoadBalancers[?DNSName=='%s'].LoadBalancerArn\" --output text, then aws elbv2 delete-load-balancer --load-balancer-arn ARN\n", l.host)
		}
	}
	b.WriteString("  - the target groups and security groups tagged elbv2.k8s.aws/cluster=<cluster name>: aws elbv2 delete-target-group --target-group-arn ARN; aws ec2 delete-security-group --group-id ID\n")
	b.WriteString("Then let Kubernetes forget each object:\n")
	if ingresses {
		fmt.Fprintf(&b, `  - first, for the Ingresses: while the controller is down its validating webhook (failurePolicy Fail)
    refuses every Ingress update, removing finalizers included. Either bring the controller back
    (kubectl -n %s rollout status deployment/%s) and it removes them itself, or, once
    the ALBs are deleted by hand, remove the webhook configuration its chart installed:
      kubectl delete validatingwebhookconfiguration %s
    (the API server stops calling it a few seconds later)
`, controllerNamespace, controllerDeployment, webhookConfiguration)
	}
	for _, l := range e.leftovers {
		fmt.Fprintf(&b, "  - kubectl -n %s patch %s %s --type merge -p '{\"metadata\":{\"finalizers\":null}}'\n", l.namespace, l.kind.kubectl, l.name)
	}
	b.WriteString(`Then run pulumi destroy again (with ` + SkipEnv + `=1 if the objects cannot be removed from the cluster),
and go run ./cmd/lab audit --stack STACK to find anything else left behind.`)
	return b.String()
}

// Run deletes the targets, waits until they are gone, then waits
// opts.DNSSyncWait for ExternalDNS. A kubeconfig it cannot use is a
// *KubeconfigError, a failure retries cannot fix a *PermanentError, objects
// left at the timeout a *TimeoutError.
func Run(ctx context.Context, opts Options) error {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Skip {
		fmt.Fprintf(opts.Log, "lab cleanup: skipped because %s is set; run `go run ./cmd/lab audit` afterwards to find load balancers left behind\n", SkipEnv)
		return nil
	}
	rc, err := parseKubeconfig(opts.Kubeconfig, opts.KubeconfigDir)
	if err != nil {
		return err
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
	r := &run{opts: opts, c: &client{cfg: rc, pageSize: opts.pageSize}, announced: map[string]bool{}}

	waitCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	var present []leftover
	var lastErr error
	for {
		objs, err := r.deleteTargets(waitCtx)
		switch {
		case err == nil:
			present, lastErr = objs, nil
			if len(present) == 0 {
				return waitForDNS(ctx, opts)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case waitCtx.Err() != nil:
			// The timeout cut this round short; report the previous one.
		default:
			if p := permanent(err); p != nil {
				return p
			}
			lastErr = err
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

// deleteTargets lists the targets, deletes those not yet being deleted and
// returns all that are still present.
func (r *run) deleteTargets(ctx context.Context) ([]leftover, error) {
	var present []leftover
	for _, k := range []kind{ingressKind, serviceKind} {
		objs, err := r.c.list(ctx, k)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if !r.opts.Targets.selects(k, o) {
				continue
			}
			l := leftover{kind: k, namespace: o.Metadata.Namespace, name: o.Metadata.Name, finalizers: o.Metadata.Finalizers}
			key := k.name + "/" + l.namespace + "/" + l.name
			if !r.opts.IncludePulumiOwned && pulumiOwned(o) {
				r.logOnce(key, "lab cleanup: skipping %s %s/%s: Pulumi manages it (pulumi destroy deletes it; --include-pulumi-owned deletes it now)\n", k.name, l.namespace, l.name)
				continue
			}
			for _, ing := range o.Status.LoadBalancer.Ingress {
				if ing.Hostname != "" {
					l.host = ing.Hostname
					break
				}
			}
			present = append(present, l)
			if o.Metadata.DeletionTimestamp != nil {
				continue
			}
			if err := r.c.delete(ctx, k, l.namespace, l.name); err != nil {
				return nil, err
			}
			r.logOnce(key, "lab cleanup: deleting %s\n", l)
		}
	}
	return present, nil
}

func newTimeoutError(timeout time.Duration, present []leftover, lastErr error) error {
	if len(present) == 0 && lastErr != nil {
		// Nothing listed yet: the API was never reachable.
		return fmt.Errorf("timed out after %s: %w (if the cluster is already gone, run pulumi destroy with %s=1, then lab audit)", timeout, lastErr, SkipEnv)
	}
	sort.Slice(present, func(i, j int) bool { return present[i].String() < present[j].String() })
	return &TimeoutError{timeout: timeout, leftovers: present, lastErr: lastErr}
}

// waitForDNS gives ExternalDNS one sync interval to delete the records of the
// Services and Ingresses just deleted (including the lab's own, which Pulumi
// deleted right before the cleanup) before it is uninstalled.
func waitForDNS(ctx context.Context, opts Options) error {
	what := "no LoadBalancer Service or Ingress left"
	if opts.Targets == DNSNames {
		what = "no Service or Ingress with a DNS name left"
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
