// Package helmchart installs a pinned chart from a chart repository as a
// Helm release that Pulumi waits for, the way the lab's controllers are installed.
package helmchart

import (
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Chart is a pinned chart and where its release goes.
type Chart struct {
	Repo, Name, Version    string // repository URL, chart name, exact chart version
	ReleaseName, Namespace string
	// SkipCrds leaves the chart's crds/ to the caller, who applies them
	// itself because Helm installs them but never upgrades them.
	SkipCrds bool
	// SkipAwait is true while the lab is paused: with no node nothing can
	// be scheduled, and Helm's wait would time out. Flipping it back on
	// resume makes the upgrade wait for the controller again. Default false.
	SkipAwait bool
}

// Install registers the release. It waits (unless SkipAwait) until the chart's
// workloads are ready, so whatever depends on the release finds a running
// controller, and on destroy is deleted before it.
func (c Chart) Install(ctx *pulumi.Context, name string, values pulumi.MapInput, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	return helmv3.NewRelease(ctx, name, &helmv3.ReleaseArgs{
		Name:           pulumi.String(c.ReleaseName),
		Chart:          pulumi.String(c.Name),
		Version:        pulumi.String(c.Version),
		RepositoryOpts: &helmv3.RepositoryOptsArgs{Repo: pulumi.String(c.Repo)},
		Namespace:      pulumi.String(c.Namespace),
		Values:         values,
		SkipAwait:      pulumi.Bool(c.SkipAwait),
		SkipCrds:       pulumi.Bool(c.SkipCrds),
	}, opts...)
}
