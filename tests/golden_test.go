package tests

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/plan"
)

// Regenerate with: go test ./tests -run Golden -update
var updateGolden = flag.Bool("update", false, "rewrite tests/golden/<stack>.json from the program")

const (
	goldenRoot = ".."
	goldenDir  = "golden"
)

// pausedGolden is the stack whose paused state has a golden plan too,
// tests/golden/<stack>-paused.json (eks-lab:paused: true over its file).
const pausedGolden = "dev"

// TestGoldenPlans keeps one `lab plan --format json` per stack file under
// tests/golden, so that a change to the program shows up as a reviewed change
// to these files.
func TestGoldenPlans(t *testing.T) {
	stacks, err := offline.Stacks(goldenRoot)
	if err != nil || len(stacks) == 0 {
		t.Fatalf("stacks: %v %v", stacks, err)
	}
	goldens := slices.Clone(stacks)
	if slices.Contains(stacks, pausedGolden) {
		goldens = append(goldens, pausedGolden+"-paused")
	}
	for _, golden := range goldens {
		t.Run(golden, func(t *testing.T) {
			stack, set := golden, map[string]string(nil)
			if s, ok := strings.CutSuffix(golden, "-paused"); ok {
				stack, set = s, map[string]string{"eks-lab:paused": "true"}
			}
			doc := bothStatesPlan(t, goldenRoot, stack, set)
			var got bytes.Buffer
			if err := doc.WriteJSON(&got); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(goldenDir, golden+".json")
			if *updateGolden {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("no golden plan for stack %s (%v); create it with: go test ./tests -run Golden -update", stack, err)
			}
			if !bytes.Equal(want, got.Bytes()) {
				t.Errorf("the plan of stack %s drifted from %s; if the change is intended, run: go test ./tests -run Golden -update\n%s",
					stack, path, driftHint(t, path, want, got.Bytes()))
			}
		})
	}
	if *updateGolden {
		return
	}
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	for _, f := range files {
		if stack := strings.TrimSuffix(filepath.Base(f), ".json"); !slices.Contains(goldens, stack) {
			t.Errorf("%s has no stack file stacks/Pulumi.%s.yaml any more; delete it", f, stack)
		}
	}
}

// driftHint is a short account of the drift: the plan diff when the golden
// file still parses, and the first differing line either way.
func driftHint(t *testing.T, path string, want, got []byte) string {
	var hint strings.Builder
	if old, err := plan.ReadFile(path); err == nil {
		var cur plan.Document
		if err := json.Unmarshal(got, &cur); err == nil {
			var b bytes.Buffer
			if err := plan.RenderDiff(&b, plan.Compare(old, &cur), "text"); err == nil {
				lines := strings.Split(strings.TrimSpace(b.String()), "\n")
				if len(lines) > 25 {
					lines = append(lines[:25], fmt.Sprintf("... (%d more lines)", len(lines)-25))
				}
				hint.WriteString(strings.Join(lines, "\n") + "\n")
			}
		}
	}
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&hint, "first difference at line %d:\n  golden: %s\n  now:    %s", i+1, strings.TrimSpace(wl), strings.TrimSpace(gl))
			break
		}
	}
	return hint.String()
}
