// Package chartvalues compares the Helm values a component sets with the
// chart keys recorded as checked against the chart's values.yaml (each
// component's ValuePaths): the charts have no schema that would catch a
// misspelled key. Pure Go, for the components' pure value builders' tests.
package chartvalues

import (
	"fmt"
	"maps"
	"slices"
)

// Paths lists the dotted paths of the values a program sets, so that a
// test can compare them with the keys recorded as checked against the
// chart's values.yaml. keys are the recorded paths: a key whose value is a
// free-form map (defaultTags, serviceAccount.annotations) or a list ends
// there; any other map is walked into. A value at a path no key names is
// returned as it is, to fail the comparison.
func Paths(values map[string]any, keys []string) ([]string, error) {
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

// Check tells whether the value sets, together, set exactly the
// recorded keys: a value no key records, or a key no value sets, is an error.
func Check(keys []string, valueSets ...map[string]any) error {
	set := map[string]bool{}
	for _, values := range valueSets {
		paths, err := Paths(values, keys)
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
