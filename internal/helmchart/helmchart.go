// Package helmchart installs a pinned chart from a chart repository as a
// Helm release that Pulumi waits for, the way the lab's controllers are installed.
package helmchart

import (
	"fmt"
	"maps"
	"slices"

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
}

// Install registers the release. It waits (no skipAwait) until the chart's
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
		SkipAwait:      pulumi.Bool(false),
		SkipCrds:       pulumi.Bool(c.SkipCrds),
	}, opts...)
}

// ValuePaths lists the dotted paths of the values a program sets, so that a
// test can compare them with the keys recorded as checked against the
// chart's values.yaml. keys are the recorded paths: a key whose value is a
// free-form map (defaultTags, serviceAccount.annotations) or a list ends
// there; any other map is walked into. A value at a path no key names is
// returned as it is, to fail the comparison.
func ValuePaths(values map[string]any, keys []string) ([]string, error) {
	recorded := map[string]bool{}
	for _, k := range keys {
		recorded[k] = true
	}
	found := map[string]bool{}
	var walk func(prefix string, m map[string]any) error
	walk = func(prefix string, m map[string]any) error {
		for k, v := range m {
			path := prefix + k
			sub, isMap := v.(map[string]any)
			switch {
			case recorded[path] || !isMap:
				found[path] = true
			case len(sub) == 0:
				return fmt.Errorf("%s is an empty map: a value that changes nothing", path)
			default:
				if err := walk(path+".", sub); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("", values); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(found)), nil
}

// CheckValuePaths tells whether the value sets, together, set exactly the
// recorded keys: a value no key records, or a key no value sets, is an error.
func CheckValuePaths(keys []string, valueSets ...map[string]any) error {
	set := map[string]bool{}
	for _, values := range valueSets {
		paths, err := ValuePaths(values, keys)
		if err != nil {
			return err
		}
		for _, p := range paths {
			set[p] = true
		}
	}
	if got, want := slices.Sorted(maps.Keys(set)), slices.Sorted(slices.Values(keys)); !slices.Equal(got, want) {
		return fmt.Errorf("the values set %v, the recorded keys are %v", got, want)
	}
	return nil
}
