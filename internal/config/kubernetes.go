package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eks-study/lab/components/bastion/tools"
)

// EKSCalendarAsOf is when EKSStandardSupportEnds was last compared with the
// EKS Kubernetes release calendar. It is also the earliest date a support
// check uses (SupportDate): no run of this code happens before it.
var EKSCalendarAsOf = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

// EKSStandardSupportEnds is the day each Kubernetes minor version leaves EKS
// standard support (00:00 UTC; extended support, $0.60 instead of $0.10 per
// cluster hour, bills from the start of that day). From the EKS User Guide's
// "Amazon EKS Kubernetes release calendar"
// (awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc
// at 013856044148d6eeed4723027a45aa2180536bcb: 1.34 ends December 2, 2026),
// and for the versions released since, the same table as endoflife.date
// scrapes it (endoflife-date/endoflife.date products/amazon-eks.md at
// a70eca337600e7d721dc48112c271f98661d208b, its release_table method reads
// docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html).
// A version EKS has released since EKSCalendarAsOf is missing until its row
// is added here (1.37: the calendar listed no EKS release of it).
var EKSStandardSupportEnds = map[string]time.Time{
	"1.34": time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC),
	"1.35": time.Date(2027, 3, 27, 0, 0, 0, 0, time.UTC),
	"1.36": time.Date(2027, 8, 2, 0, 0, 0, 0, time.UTC),
}

// SupportDate is the date a Kubernetes version must still be in standard
// support on: the program's clock, but never before EKSCalendarAsOf. `lab
// plan` runs the program at a fixed clock in the past (offline.Now, for
// byte-stable plans); this keeps its check from accepting a version that
// has left standard support since.
func SupportDate(now time.Time) time.Time {
	if now.Before(EKSCalendarAsOf) {
		return EKSCalendarAsOf
	}
	return now
}

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
	if _, ok := tools.Kubectl[v]; !ok {
		// The bastion installs a pinned kubectl per minor (kubectl supports one minor of skew).
		bad("kubernetesVersion", v, "the bastion's kubectl is pinned for %s only; use one of them or add a pin in components/bastion/tools",
			strings.Join(tools.KubectlMinors(), ", "))
		return
	}
	until := SupportDate(now)
	if c.Expiry.After(until) {
		until = c.Expiry
	}
	ends, known := EKSStandardSupportEnds[v]
	switch {
	case !known:
		bad("kubernetesVersion", v, "is not in the lab's copy of the EKS release calendar (as of %s), so whether EKS runs it in standard support is unknown; use %s, or add its row to internal/config/kubernetes.go from https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html",
			EKSCalendarAsOf.Format(time.DateOnly), supportedNames(until))
	case !ends.After(until):
		bad("kubernetesVersion", v, "leaves EKS standard support on %s, before the lab ends (%s): extended support bills $0.60 instead of $0.10 per cluster hour, and the lab's STANDARD upgrade policy would upgrade the cluster mid-lab; use %s",
			ends.Format(time.DateOnly), until.UTC().Format(time.RFC3339), supportedNames(until))
	}
}

// supportedNames lists the versions in standard support past until that the
// bastion can serve, for messages.
func supportedNames(until time.Time) string {
	var out []string
	for v, ends := range EKSStandardSupportEnds {
		if _, pinned := tools.Kubectl[v]; pinned && ends.After(until) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "a newer version (none in the table is in standard support then)"
	}
	return fmt.Sprintf("one of %s", strings.Join(out, ", "))
}
