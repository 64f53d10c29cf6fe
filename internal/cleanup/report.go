package cleanup

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// leftover is one object still present, for the progress lines and the
// final report.
type leftover struct {
	kind            kind
	namespace, name string
	host            string // Services and Ingresses: the load balancer's DNS name
	claimVolume     string // PersistentVolumeClaims: the PersistentVolume's name
	volume          volumeSource
	finalizers      []string
}

func (l leftover) String() string {
	s := l.kind.name + " " + qualified(meta{Namespace: l.namespace, Name: l.name})
	var extra []string
	if l.host != "" {
		extra = append(extra, "load balancer "+l.host)
	}
	if l.claimVolume != "" {
		extra = append(extra, "PersistentVolume "+l.claimVolume)
	}
	if v := l.volume.String(); v != "" {
		extra = append(extra, v)
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

// heldByLBController reports whether the AWS Load Balancer Controller must
// remove one of the object's finalizers before it can go.
func (l leftover) heldByLBController() bool {
	return slices.ContainsFunc(l.finalizers, isLBControllerFinalizer)
}

// isLBControllerFinalizer reports whether the AWS Load Balancer Controller
// removes finalizer f: pkg/shared_constants/finalizers.go at v3.5.0 (its
// Gateways' are gateway.k8s.aws/alb and gateway.k8s.aws/nlb, and its
// GatewayClasses' and configurations' gateway.k8s.aws/...).
func isLBControllerFinalizer(f string) bool {
	return f == "service.k8s.aws/resources" || f == "ingress.k8s.aws/resources" ||
		strings.HasPrefix(f, "group.ingress.k8s.aws/") || strings.HasPrefix(f, "gateway.k8s.aws/")
}

// classicFinalizer is what EKS's in-tree cloud provider puts on a
// LoadBalancer Service it made a Classic Load Balancer for (one the
// controller did not claim).
const classicFinalizer = "service.kubernetes.io/load-balancer-cleanup"

// finalizerOwner names who removes a finalizer the cleanup waits on.
func finalizerOwner(f string) string {
	switch {
	case isLBControllerFinalizer(f):
		return " [AWS Load Balancer Controller]"
	case f == classicFinalizer:
		return " [EKS's in-tree cloud provider: a Classic Load Balancer]"
	case f == "foregroundDeletion":
		return " [garbage collector]"
	case f == "kubernetes.io/pvc-protection":
		return " [kube-controller-manager, once no pod mounts the claim]"
	case f == "kubernetes.io/pv-protection":
		return " [kube-controller-manager, once no claim is bound to it]"
	case f == "external-provisioner.volume.kubernetes.io/finalizer":
		return " [the volume's CSI driver, once it deleted the volume]"
	}
	return ""
}

// Chart values the advice names: the aws-load-balancer-controller
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

// The EBS CSI driver's controller as its chart (v1.64.0,
// charts/aws-ebs-csi-driver/templates/controller.yaml) and the EKS add-on
// install it: the provisioner sidecar deletes a claim's volume.
const (
	csiControllerDeployment = "ebs-csi-controller"
	csiProvisionerContainer = "csi-provisioner"
)

// report is what is left and how to remove it by hand.
type report struct {
	leftovers []leftover
	lastErr   error // the last API error while polling, if any
}

func (r report) write(b *strings.Builder, why string) {
	fmt.Fprintf(b, "%s; %d object(s) holding AWS resources are still in the cluster:\n", why, len(r.leftovers))
	var loadBalancers, ingresses, gateways, volumes bool
	var ebs []string
	for _, l := range r.leftovers {
		fmt.Fprintf(b, "  - %s\n", l)
		switch l.kind {
		case serviceKind, ingressKind, gatewayKind:
			loadBalancers = true
			ingresses = ingresses || l.kind == ingressKind
			gateways = gateways || l.kind == gatewayKind
		case claimKind, volumeKind:
			volumes = true
		}
		if l.kind == volumeKind && l.volume.ebs != "" {
			ebs = append(ebs, l.volume.ebs)
		}
	}
	if r.lastErr != nil {
		fmt.Fprintf(b, "The last call to the Kubernetes API failed: %v\n", r.lastErr)
	}
	b.WriteString("Check:\n")
	if loadBalancers {
		fmt.Fprintf(b, "  - the AWS Load Balancer Controller's logs: kubectl -n %s logs deployment/%s\n", controllerNamespace, controllerDeployment)
		b.WriteString("  - what is left: kubectl get svc -A; kubectl get ingress -A\n")
	}
	if gateways {
		fmt.Fprintf(b, "  - the Gateways left: kubectl get %s -A\n", gatewayKind.kubectl)
	}
	if volumes {
		fmt.Fprintf(b, "  - the EBS CSI driver's logs: kubectl -n %s logs deployment/%s -c %s\n", controllerNamespace, csiControllerDeployment, csiProvisionerContainer)
		b.WriteString("  - what is left: kubectl get pvc -A; kubectl get pv\n")
	}
	var consoles []string
	if loadBalancers {
		consoles = append(consoles, "EC2 > Load Balancers")
	}
	if len(ebs) > 0 {
		consoles = append(consoles, "EC2 > Volumes")
	}
	if len(consoles) > 0 {
		fmt.Fprintf(b, "Remove by hand (AWS console, %s, or the AWS CLI):\n", strings.Join(consoles, " and "))
	}
	for _, l := range r.leftovers {
		switch {
		case l.host == "":
		case slices.Contains(l.finalizers, classicFinalizer): // the elbv2 API does not list Classic Load Balancers
			fmt.Fprintf(b, "  - aws elb describe-load-balancers --query \"LoadBalancerDescriptions[?DNSName=='%s'].LoadBalancerName\" --output text, then aws elb delete-load-balancer --load-balancer-name NAME\n", l.host)
		default:
			fmt.Fprintf(b, "  - aws elbv2 describe-load-balancers --query \"LoadBalancers[?DNSName=='%s'].LoadBalancerArn\" --output text, then aws elbv2 delete-load-balancer --load-balancer-arn ARN\n", l.host)
		}
	}
	if loadBalancers {
		b.WriteString("  - the target groups and security groups tagged elbv2.k8s.aws/cluster=<cluster name>: aws elbv2 delete-target-group --target-group-arn ARN; aws ec2 delete-security-group --group-id ID\n")
	}
	for _, id := range ebs {
		fmt.Fprintf(b, "  - aws ec2 delete-volume --volume-id %s (while it is attached to a node, aws ec2 detach-volume --volume-id %s first)\n", id, id)
	}
	b.WriteString("Then let Kubernetes forget each object:\n")
	if ingresses {
		fmt.Fprintf(b, `  - first, for the Ingresses: while the controller is down its validating webhook (failurePolicy Fail)
    refuses every Ingress update, removing finalizers included. Either bring the controller back
    (kubectl -n %s rollout status deployment/%s) and it removes them itself, or, once
    the ALBs are deleted by hand, remove the webhook configuration its chart installed:
      kubectl delete validatingwebhookconfiguration %s
    (the API server stops calling it a few seconds later)
`, controllerNamespace, controllerDeployment, webhookConfiguration)
	}
	for _, l := range r.leftovers {
		ns := ""
		if l.kind.namespaced {
			ns = "-n " + l.namespace + " "
		}
		fmt.Fprintf(b, "  - kubectl %spatch %s %s --type merge -p '{\"metadata\":{\"finalizers\":null}}'\n", ns, l.kind.kubectl, l.name)
	}
	b.WriteString(`Then run pulumi destroy again (with ` + SkipEnv + `=1 if the objects cannot be removed from the cluster),
and go run ./cmd/lab audit --stack STACK to find anything else left behind.`)
}

// TimeoutError is returned when objects are still present after the timeout.
type TimeoutError struct {
	timeout time.Duration
	report
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	e.write(&b, fmt.Sprintf("timed out after %s", e.timeout))
	return b.String()
}

// StuckError is returned as soon as the objects left are known to stay:
// what would remove their finalizers has not run for a while.
type StuckError struct {
	reason string
	report
}

func (e *StuckError) Error() string {
	var b strings.Builder
	e.write(&b, e.reason)
	return b.String()
}

func newTimeoutError(timeout time.Duration, present []leftover, lastErr error) error {
	if len(present) == 0 {
		// No round finished: the cluster was never listed.
		if lastErr == nil {
			lastErr = errors.New("the Kubernetes API did not answer")
		}
		return fmt.Errorf("timed out after %s before the cluster's objects could be listed: %w (if the cluster is already gone, run pulumi destroy with %s=1, then lab audit)", timeout, lastErr, SkipEnv)
	}
	sortLeftovers(present)
	return &TimeoutError{timeout: timeout, report: report{leftovers: present, lastErr: lastErr}}
}

func sortLeftovers(ls []leftover) {
	sort.Slice(ls, func(i, j int) bool { return ls[i].String() < ls[j].String() })
}
