package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Stack files that create one cluster name in one region are warned about,
// each naming the others; a stack in another region or with its own name
// is not.
func TestClusterNameWarnings(t *testing.T) {
	root := t.TempDir()
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Pulumi.yaml":                string(project),
		"stacks/Pulumi.a.yaml":       "config:\n  aws:region: ap-northeast-2\n  eks-lab:sshCidr: 203.0.113.7/32\n",
		"stacks/Pulumi.b.yaml":       "config:\n  aws:region: ap-northeast-2\n  eks-lab:sshCidr: 203.0.113.7/32\n",
		"stacks/Pulumi.c.yaml":       "config:\n  aws:region: ap-northeast-2\n  eks-lab:sshCidr: 203.0.113.7/32\n",
		"stacks/Pulumi.tokyo.yaml":   "config:\n  aws:region: ap-northeast-1\n  eks-lab:sshCidr: 203.0.113.7/32\n",
		"stacks/Pulumi.renamed.yaml": "config:\n  aws:region: ap-northeast-2\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:clusterName: myeks-renamed\n",
		"stacks/Pulumi.broken.yaml":  "config:\n  aws:region: ap-northeast-2\n  eks-lab:sshCidr: nonsense\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := ClusterNameWarnings(root, "a")
	if err != nil || len(w) != 1 || !strings.Contains(w[0], "stack a creates EKS cluster myeks in ap-northeast-2, as stacks b, c do") ||
		!strings.Contains(w[0], "eks-lab:clusterName") {
		t.Errorf("stack a: %q, %v", w, err)
	}
	for _, stack := range []string{"tokyo", "renamed", "broken"} {
		if w, err := ClusterNameWarnings(root, stack); err != nil || len(w) != 0 {
			t.Errorf("stack %s: %q, %v; want no warning", stack, w, err)
		}
	}
}
