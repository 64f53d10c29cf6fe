package chartvalues

import (
	"slices"
	"testing"
)

func TestValuePathsStopAtRecordedKeys(t *testing.T) {
	values := map[string]any{
		"clusterName":    "myeks",
		"defaultTags":    map[string]any{"stack": "dev", "owner": "me"},
		"serviceAccount": map[string]any{"annotations": map[string]any{"eks.amazonaws.com/role-arn": "arn"}},
		"image":          map[string]any{"tag": "v1"},
	}
	got, err := Paths(values, []string{"clusterName", "defaultTags", "serviceAccount.annotations"})
	if err != nil {
		t.Fatal(err)
	}
	// image.tag is not recorded: it is reported by its full path, so the
	// comparison with the recorded keys fails until it is recorded.
	if want := []string{"clusterName", "defaultTags", "image.tag", "serviceAccount.annotations"}; !slices.Equal(got, want) {
		t.Errorf("paths = %v, want %v", got, want)
	}
	if _, err := Paths(map[string]any{"serviceAccount": map[string]any{}}, nil); err == nil {
		t.Error("an empty map sets nothing and must be reported")
	}
}

func TestCheckValuePaths(t *testing.T) {
	a := map[string]any{"clusterName": "x", "serviceAccount": map[string]any{"annotations": map[string]any{"k": "v"}}}
	b := map[string]any{"clusterName": "x"}
	if err := Check([]string{"clusterName", "serviceAccount.annotations"}, a, b); err != nil {
		t.Error(err)
	}
	if err := Check([]string{"clusterName"}, a, b); err == nil {
		t.Error("serviceAccount.annotations is set but not recorded")
	}
	if err := Check([]string{"clusterName", "region"}, b); err == nil {
		t.Error("region is recorded but not set")
	}
}
