package cleanup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultStuckAfter is how long a condition that nothing in the cluster
// fixes by itself (the AWS Load Balancer Controller without a ready pod, an
// admission webhook the API server cannot call) must last, over at least
// stuckRounds polls in a row, before the cleanup stops with its report
// instead of waiting for the timeout. Long enough for a controller's pods to
// restart or roll out (they are unready for seconds) and for a poll interval
// or two of API trouble; short against the 10 minutes a timeout costs.
const DefaultStuckAfter = time.Minute

const stuckRounds = 3

// condition is why the objects left will not go by themselves, seen in
// one poll.
type condition struct {
	key  string // the same key in consecutive polls is the same condition
	fail func(present []leftover, lastErr error, lasted time.Duration) error
}

// streak follows one condition across consecutive polls.
type streak struct {
	key    string
	since  time.Time
	rounds int
}

// observe records this poll's condition (nil: none) and reports whether
// it has lasted long enough to stop.
func (s *streak) observe(c *condition, now time.Time, after time.Duration) bool {
	if c == nil {
		*s = streak{}
		return false
	}
	if c.key != s.key {
		*s = streak{key: c.key, since: now}
	}
	s.rounds++
	return s.rounds >= stuckRounds && now.Sub(s.since) >= after
}

// lasted is how long the current condition has been seen.
func (s *streak) lasted(now time.Time) time.Duration { return now.Sub(s.since).Round(time.Second) }

// pod holds the fields of a Pod the cleanup reads.
type pod struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		NodeName   string `json:"nodeName"`
		Containers []struct {
			Image string `json:"image"`
		} `json:"containers"`
		Volumes []struct {
			Name                  string `json:"name"`
			PersistentVolumeClaim *struct {
				ClaimName string `json:"claimName"`
			} `json:"persistentVolumeClaim"`
			Ephemeral *struct{} `json:"ephemeral"`
		} `json:"volumes"`
	} `json:"spec"`
	Status struct {
		Phase             string            `json:"phase"`
		Conditions        []statusCondition `json:"conditions"`
		ContainerStatuses []struct {
			State struct {
				Waiting *struct {
					Reason string `json:"reason"`
				} `json:"waiting"`
			} `json:"state"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

// statusCondition is a condition of a pod's or node's status.
type statusCondition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
}

// readyIn reports whether the conditions say Ready.
func readyIn(conditions []statusCondition) bool {
	return slices.ContainsFunc(conditions, func(c statusCondition) bool { return c.Type == "Ready" && c.Status == "True" })
}

func (p pod) ready() bool { return p.Metadata.DeletionTimestamp == nil && readyIn(p.Status.Conditions) }

// state is the pod's phase and why a container waits, for the report.
func (p pod) state() string {
	s := p.Status.Phase
	if s == "" {
		s = "no status"
	}
	if p.Metadata.DeletionTimestamp != nil {
		s += ", terminating"
	}
	for _, c := range p.Status.ContainerStatuses {
		if c.State.Waiting != nil && c.State.Waiting.Reason != "" {
			return s + ": " + c.State.Waiting.Reason
		}
	}
	return s + ", not ready"
}

// isLBControllerPod reports whether p runs the AWS Load Balancer
// Controller, whatever its release, Deployment or namespace is called: its
// image (public.ecr.aws/eks/aws-load-balancer-controller in the chart's
// values.yaml, 602401143452.dkr.ecr.<region>.amazonaws.com/amazon/aws-load-balancer-controller
// in EKS's regional registries), or the chart's selector label
// app.kubernetes.io/name (the chart name, templates/_helpers.tpl at v2.17.1)
// for an image mirrored under another name.
func isLBControllerPod(p pod) bool {
	if p.Metadata.Labels["app.kubernetes.io/name"] == controllerDeployment {
		return true
	}
	for _, c := range p.Spec.Containers {
		if imageName(c.Image) == controllerDeployment {
			return true
		}
	}
	return false
}

// imageName is the last path element of an image reference, without tag
// or digest: "aws-load-balancer-controller" for
// "public.ecr.aws/eks/aws-load-balancer-controller:v2.17.1".
func imageName(image string) string {
	image, _, _ = strings.Cut(image, "@")
	name := image[strings.LastIndex(image, "/")+1:]
	name, _, _ = strings.Cut(name, ":")
	return name
}

// controllerDown is the condition that the AWS Load Balancer Controller,
// which must remove finalizers of objects left, has no ready pod: it was
// uninstalled, or its pods cannot start. nil when it has one, when no
// object waits on it, or when the pods cannot be listed (then the cleanup
// waits, as it cannot tell).
func (r *run) controllerDown(ctx context.Context, present []leftover) *condition {
	if !slices.ContainsFunc(present, leftover.heldByLBController) {
		return nil
	}
	pods, err := listAll[pod](ctx, r.c, podKind.listPath(), nil)
	if err != nil {
		return nil
	}
	var states []string
	for _, p := range pods {
		if !isLBControllerPod(p) {
			continue
		}
		if p.ready() {
			return nil
		}
		states = append(states, qualified(p.Metadata)+" ("+p.state()+")")
	}
	found := "no pod runs its image .../" + controllerDeployment + " or has the label app.kubernetes.io/name=" + controllerDeployment + ": it is not installed"
	if len(states) > 0 {
		found = "its pods: " + strings.Join(states, ", ")
	}
	return &condition{key: "lb-controller-down", fail: func(present []leftover, lastErr error, lasted time.Duration) error {
		sortLeftovers(present)
		return &StuckError{
			reason: fmt.Sprintf("the AWS Load Balancer Controller has had no ready pod for %s (%s), so nothing will remove its finalizers; "+
				"if it should run, bring it back (kubectl -n %s rollout status deployment/%s) and run the cleanup again, or remove what is left by hand as below",
				lasted, found, controllerNamespace, controllerDeployment),
			report: report{leftovers: present, lastErr: lastErr},
		}
	}}
}

// webhookDown is the condition that the API server cannot call an admission
// webhook that must admit the cleanup's deletes (failurePolicy Fail): the
// webhook's service has no ready endpoint, or is gone with what installed
// it while its configuration stayed.
func (r *run) webhookDown(ctx context.Context, err error) *condition {
	name := failingWebhook(err)
	if name == "" {
		return nil
	}
	return &condition{key: "webhook/" + name, fail: func(_ []leftover, lastErr error, lasted time.Duration) error {
		var fix string
		if configs := r.webhookConfigurations(ctx, name); len(configs) > 0 {
			var deletes []string
			for _, c := range configs {
				deletes = append(deletes, "kubectl delete "+c)
			}
			fix = "delete its configuration: " + strings.Join(deletes, "; ")
		} else {
			fix = "find and delete its configuration: kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations -o custom-columns=NAME:.metadata.name,WEBHOOKS:.webhooks[*].name"
		}
		return &PermanentError{lastErr, fmt.Sprintf("For %s the API server could not call the admission webhook %q, which must admit these deletes (failurePolicy Fail): "+
			"its service has no ready pod, or was uninstalled and left the webhook registered. If what installed it should run, bring it back; "+
			"if it is gone, %s. Then run the cleanup again.", lasted, name, fix)}
	}}
}

// webhookConfig holds the fields of a Validating- or
// MutatingWebhookConfiguration the cleanup reads.
type webhookConfig struct {
	Metadata meta `json:"metadata"`
	Webhooks []struct {
		Name string `json:"name"`
	} `json:"webhooks"`
}

// webhookConfigurations names ("validatingwebhookconfiguration NAME") the
// configurations that register a webhook called name; webhook names are
// unique only within one configuration. nil if they cannot be listed.
func (r *run) webhookConfigurations(ctx context.Context, name string) []string {
	var out []string
	for _, k := range []kind{validatingHooks, mutatingHooks} {
		configs, err := listAll[webhookConfig](ctx, r.c, k.listPath(), nil)
		if err != nil {
			return nil
		}
		for _, c := range configs {
			for _, w := range c.Webhooks {
				if w.Name == name {
					out = append(out, k.kubectl+" "+c.Metadata.Name)
					break
				}
			}
		}
	}
	return out
}
