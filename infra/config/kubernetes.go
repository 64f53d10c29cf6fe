package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eks-study/lab/infra/awsfacts"
	"github.com/eks-study/lab/internal/versions"
)

// validateKubernetesVersion accepts a minor version that EKS runs in
// standard support for the whole life of the lab (until its expiry), and
// for which the bastion has a pinned kubectl. The cluster's upgrade policy
// is STANDARD (components/cluster), so a version leaving standard support
// mid-lab would be upgraded under the member's feet, never billed extended.
func (c *Config) validateKubernetesVersion(bad func(string, any, string, ...any), now time.Time) {
	v := c.KubernetesVersion
	if !k8sVersionPattern.MatchString(v) {
		bad("kubernetesVersion", v, "must be a Kubernetes minor version such as %s", Defaults.KubernetesVersion)
		return
	}
	if _, ok := versions.Kubectl[v]; !ok {
		// The bastion installs a pinned kubectl per minor (kubectl supports one minor of skew).
		bad("kubernetesVersion", v, "the bastion's kubectl is pinned for %s only; use one of them or add a pin in internal/versions",
			strings.Join(versions.KubectlMinors(), ", "))
		return
	}
	until := awsfacts.SupportDate(now)
	if c.Expiry.After(until) {
		until = c.Expiry
	}
	ends, known := awsfacts.EKSStandardSupportEnds[v]
	switch {
	case !known:
		bad("kubernetesVersion", v, "is not in the lab's copy of the EKS release calendar (as of %s), so whether EKS runs it in standard support is unknown; use %s, or add its row to infra/awsfacts/kubernetes.go from https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
			awsfacts.EKSCalendarAsOf.Format(time.DateOnly), supportedNames(until))
	case !ends.After(until):
		bad("kubernetesVersion", v, "leaves EKS standard support on %s, before the lab ends (%s): extended support bills $0.60 instead of $0.10 per cluster hour, and the lab's STANDARD upgrade policy would upgrade the cluster mid-lab; use %s",
			ends.Format(time.DateOnly), until.UTC().Format(time.RFC3339), supportedNames(until))
	}
}

// supportedNames lists the versions in standard support past until that the
// bastion can serve, for messages.
func supportedNames(until time.Time) string {
	var out []string
	for v, ends := range awsfacts.EKSStandardSupportEnds {
		if _, pinned := versions.Kubectl[v]; pinned && ends.After(until) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "a newer version (none in the table is in standard support then)"
	}
	return fmt.Sprintf("one of %s", strings.Join(out, ", "))
}
