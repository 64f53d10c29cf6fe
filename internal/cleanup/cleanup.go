// Package cleanup deletes what Pulumi does not own before the AWS Load
// Balancer Controller and ExternalDNS are uninstalled: every Service of type
// LoadBalancer and every Ingress, created by the lab's members with kubectl.
// The controller deletes an object's NLB/ALB, target groups and security
// groups, then removes its finalizer (service.k8s.aws/resources,
// ingress.k8s.aws/resources); once the controller is gone nobody would, and
// the load balancers would keep billing and block the VPC's deletion. This is
// what `eksctl delete cluster` does before it deletes a cluster.
package cleanup

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// Options configure one cleanup run.
type Options struct {
	Kubeconfig []byte // YAML or JSON
	// KubeconfigDir resolves relative paths in the kubeconfig ("" when inline).
	KubeconfigDir string
	// Timeout bounds the wait for the objects to be gone.
	Timeout time.Duration
	// DNSSyncWait is how long to let ExternalDNS run after the objects are
	// gone so it deletes their records; 0 when ExternalDNS is not installed.
	DNSSyncWait  time.Duration
	PollInterval time.Duration
	Log          io.Writer // progress lines
}

// leftover is one object still present, for the timeout message.
type leftover struct {
	kind, namespace, name string
	finalizers            []string
	hostname              string
}

func (l leftover) String() string {
	s := fmt.Sprintf("%s %s/%s", l.kind, l.namespace, l.name)
	var extra []string
	if l.hostname != "" {
		extra = append(extra, "load balancer "+l.hostname)
	}
	if len(l.finalizers) > 0 {
		extra = append(extra, "finalizers "+strings.Join(l.finalizers, ","))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, "; ") + ")"
	}
	return s
}

// timeoutError is returned when objects are still present after the timeout.
type timeoutError struct {
	timeout   time.Duration
	leftovers []string // "Service ns/name (load balancer host; finalizers ...)"
	hostnames []string
	lastErr   error // the last API error while polling, if any
}

func (e *timeoutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "timed out after %s; %d object(s) holding AWS load balancers are still in the cluster:\n", e.timeout, len(e.leftovers))
	for _, l := range e.leftovers {
		fmt.Fprintf(&b, "  - %s\n", l)
	}
	if e.lastErr != nil {
		fmt.Fprintf(&b, "The last call to the Kubernetes API failed: %v\n", e.lastErr)
	}
	b.WriteString(`Check:
  - the AWS Load Balancer Controller's logs: kubectl -n kube-system logs deployment/aws-load-balancer-controller
  - what is left: kubectl get svc -A; kubectl get ingress -A
Remove by hand (AWS console, EC2 > Load Balancers, or the AWS CLI):
`)
	for _, h := range e.hostnames {
		fmt.Fprintf(&b, "  - aws elbv2 describe-load-balancers --query \"LoadBalancers[?DNSName=='%s'].LoadBalancerArn\", then aws elbv2 delete-load-balancer --load-balancer-arn ARN\n", h)
	}
	b.WriteString(`  - the target groups and security groups tagged elbv2.k8s.aws/cluster=<cluster name>: aws elbv2 delete-target-group --target-group-arn ARN; aws ec2 delete-security-group --group-id ID
  - then let Kubernetes forget each object: kubectl -n NAMESPACE patch svc|ingress NAME --type merge -p '{"metadata":{"finalizers":null}}'
Then run pulumi destroy again (with ` + SkipEnv + `=1 if the objects cannot be removed from the cluster),
and go run ./cmd/lab audit --stack STACK to find anything else left behind.`)
	return b.String()
}

// Run deletes every LoadBalancer Service and every Ingress, waits until they
// are gone, then waits opts.DNSSyncWait for ExternalDNS.
func Run(ctx context.Context, opts Options) error {
	rc, err := parseKubeconfig(opts.Kubeconfig, opts.KubeconfigDir)
	if err != nil {
		return err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	c := &client{cfg: rc}

	waitCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	announced := map[string]bool{}
	var present []leftover
	var lastErr error
	for {
		objs, err := deleteTargets(waitCtx, c, opts.Log, announced)
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
		case !retryable(err):
			return err
		default:
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

// deleteTargets lists the targets, deletes those not yet being deleted and
// returns all that are still present.
func deleteTargets(ctx context.Context, c *client, log io.Writer, announced map[string]bool) ([]leftover, error) {
	var present []leftover
	for _, k := range []kind{ingressKind, serviceKind} {
		objs, err := c.list(ctx, k)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if !k.target(o) {
				continue
			}
			l := leftover{kind: k.name, namespace: o.Metadata.Namespace, name: o.Metadata.Name, finalizers: o.Metadata.Finalizers}
			for _, ing := range o.Status.LoadBalancer.Ingress {
				if ing.Hostname != "" {
					l.hostname = ing.Hostname
					break
				}
			}
			present = append(present, l)
			if o.Metadata.DeletionTimestamp != nil {
				continue
			}
			if err := c.delete(ctx, k, o.Metadata.Namespace, o.Metadata.Name); err != nil {
				return nil, err
			}
			key := k.name + "/" + o.Metadata.Namespace + "/" + o.Metadata.Name
			if !announced[key] {
				announced[key] = true
				fmt.Fprintf(log, "lab cleanup: deleting %s\n", l)
			}
		}
	}
	return present, nil
}

func newTimeoutError(timeout time.Duration, present []leftover, lastErr error) error {
	e := &timeoutError{timeout: timeout, lastErr: lastErr}
	sort.Slice(present, func(i, j int) bool { return present[i].String() < present[j].String() })
	for _, l := range present {
		e.leftovers = append(e.leftovers, l.String())
		if l.hostname != "" {
			e.hostnames = append(e.hostnames, l.hostname)
		}
	}
	if len(present) == 0 && lastErr != nil {
		// Nothing listed yet: the API was never reachable.
		return fmt.Errorf("timed out after %s: %w (if the cluster is already gone, run pulumi destroy with %s=1, then lab audit)", timeout, lastErr, SkipEnv)
	}
	return e
}

// waitForDNS gives ExternalDNS one sync interval to delete the records of the
// Services and Ingresses just deleted (including the lab's own, which Pulumi
// deleted right before the cleanup) before it is uninstalled.
func waitForDNS(ctx context.Context, opts Options) error {
	if opts.DNSSyncWait <= 0 {
		fmt.Fprintln(opts.Log, "lab cleanup: no LoadBalancer Service or Ingress left")
		return nil
	}
	fmt.Fprintf(opts.Log, "lab cleanup: no LoadBalancer Service or Ingress left; waiting %s for ExternalDNS to delete their DNS records\n", opts.DNSSyncWait)
	select {
	case <-ctx.Done():
		return errors.Join(errors.New("interrupted while waiting for ExternalDNS"), ctx.Err())
	case <-time.After(opts.DNSSyncWait):
		return nil
	}
}
