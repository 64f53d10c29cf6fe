package tests

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
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
