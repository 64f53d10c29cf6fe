package tests

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/eks-study/lab"

// cmd/ holds only thin mains and tests/ only tests: code that other
// packages need lives in internal/ or components/, so nothing imports from
// cmd/ or tests/ (a shipped tool built on a test helper invites test-only
// shortcuts).
func TestNothingImportsFromCmdOrTests(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "cmd/") && f.Name.Name != "main" {
			t.Errorf("%s: package %s under cmd/; cmd/ holds only main packages, move it to internal/", rel, f.Name.Name)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{module + "/cmd/", module + "/tests/"} {
				if strings.HasPrefix(p, banned) && !strings.HasPrefix(rel, strings.TrimPrefix(banned, module+"/")) {
					t.Errorf("%s imports %s; move the shared code to internal/", rel, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// providerSDKs are the Pulumi provider SDKs: linking them costs a test
// binary 9 to 17 seconds on a 2-core machine.
var providerSDKs = []string{"github.com/pulumi/pulumi-aws/", "github.com/pulumi/pulumi-kubernetes/", "github.com/pulumi/pulumi-eks/"}

// programInternal are the only packages under internal/ the deployed program
// may link: the cleanup its Cleanups run on destroy, and small pure helpers.
// The tool's packages (plan, estimate with its price table, audit, labci,
// labtool, offline, docgen) and the test support must stay out of it.
var programInternal = []string{module + "/internal/cleanup", module + "/internal/suggest", module + "/internal/versions"}

// goPackage is what `go list -test -json` says of a package or test binary.
type goPackage struct {
	ImportPath string
	ForTest    string
	Deps       []string
	Name       string
}

// listPackages lists the module's packages and, for those with tests, their
// test binaries ("<pkg>.test"), with their transitive dependencies.
func listPackages(t *testing.T) map[string]goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-test", "-json=ImportPath,ForTest,Deps,Name", "../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]goPackage{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.ForTest == "" {
			pkgs[p.ImportPath] = p
		}
	}
	return pkgs
}

func dependsOn(p goPackage, prefixes ...string) []string {
	var out []string
	for _, d := range p.Deps {
		for _, prefix := range prefixes {
			if strings.HasPrefix(d, prefix) {
				out = append(out, d)
			}
		}
	}
	return out
}

// Dependencies point one way: infra -> components -> small pure packages;
// the tool may import the program, never the reverse. docs/architecture.md
// ("Layout") states these rules.
func TestDependenciesPointOneWay(t *testing.T) {
	pkgs := listPackages(t)
	for path, p := range pkgs {
		rel := strings.TrimPrefix(path, module+"/")
		switch {
		case strings.HasSuffix(path, ".test"):
			// Issue 21: one test binary links the provider SDKs, tests/'s.
			if path != module+"/tests.test" {
				if sdks := dependsOn(p, providerSDKs...); len(sdks) > 0 {
					t.Errorf("the test binary of %s links the provider SDKs (%s): move the tests that need them to tests/, keep the pure ones beside the code in an SDK-free package",
						strings.TrimSuffix(rel, ".test"), sdks[0])
				}
			}
		case strings.HasPrefix(rel, "components/"):
			if infra := dependsOn(p, module+"/infra"); len(infra) > 0 {
				t.Errorf("%s depends on %s: components take plain Args, the program wires them", rel, infra[0])
			}
			if tool := dependsOn(p, module+"/internal/"); len(tool) > 0 {
				for _, d := range tool {
					if !slices.Contains(programInternal, d) {
						t.Errorf("%s depends on %s, which is the tool's", rel, d)
					}
				}
			}
		case rel == "infra/config" || rel == "infra/awsfacts":
			if sdk := dependsOn(p, "github.com/pulumi/"); len(sdk) > 0 {
				t.Errorf("%s depends on %s: the typed config and the facts it checks are pure, so that the tool and its tests use them without the SDKs", rel, sdk[0])
			}
		}
	}
	program, ok := pkgs[module+"/infra"]
	if !ok {
		t.Fatal("no package infra")
	}
	for _, d := range dependsOn(program, module+"/internal/", module+"/cmd/", module+"/tests") {
		if !slices.Contains(programInternal, d) {
			t.Errorf("the deployed program (go list -deps ./infra) links %s; it may link only %v of internal/", d, programInternal)
		}
	}
}
