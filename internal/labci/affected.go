// Package labci holds the decisions the GitHub workflows make, so that they
// are Go with tests instead of shell: which stacks a change affects, whether
// a push may deploy a stack, which stacks the scheduled sweep destroys,
// whether a runner may reach a cluster's API and how to open and restore it,
// and what to advise when a Pulumi run fails on a lock or pending operations.
// cmd/lab-ci exposes them to the workflows.
package labci

import (
	"bytes"
	"fmt"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strings"
)

// stackName is what a stack name may look like: names end up in commands.
var stackName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// StackFile is the stack's config file, relative to the repository root.
func StackFile(stack string) string { return "stacks/Pulumi." + stack + ".yaml" }

// stackOfFile returns the stack whose config file path is, if it is one.
func stackOfFile(p string) (string, bool) {
	dir, file := path.Split(p)
	if dir != "stacks/" || !strings.HasPrefix(file, "Pulumi.") || !strings.HasSuffix(file, ".yaml") {
		return "", false
	}
	s := strings.TrimSuffix(strings.TrimPrefix(file, "Pulumi."), ".yaml")
	return s, stackName.MatchString(s)
}

// Program is what the Pulumi program in infra/ is built from: module-local
// package directories and the files they embed, as `go list -deps` reports
// them, so that the set follows the imports instead of a hand-kept list.
type Program struct {
	Dirs  map[string]bool // package directories, relative to the module root ("." for the root)
	Files map[string]bool // embedded files, relative to the module root
}

// goListFormat prints, for each module-local dependency of ./infra, its
// import path, then one line per embedded file (prefixed with a tab).
const goListFormat = `{{if .Module}}{{if .Module.Main}}{{.Module.Path}} {{.ImportPath}}
{{range .EmbedFiles}}	{{.}}
{{end}}{{end}}{{end}}`

// LoadProgram runs `go list -deps ./infra` in root (the module root).
func LoadProgram(root string) (Program, error) {
	cmd := exec.Command("go", "list", "-deps", "-f", goListFormat, "./infra")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Program{}, fmt.Errorf("go list -deps ./infra: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseGoList(string(out))
}

func parseGoList(out string) (Program, error) {
	p := Program{Dirs: map[string]bool{}, Files: map[string]bool{}}
	dir := ""
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "\t"):
			p.Files[path.Join(dir, strings.TrimPrefix(line, "\t"))] = true
		default:
			mod, pkg, ok := strings.Cut(line, " ")
			rel, inModule := strings.CutPrefix(pkg, mod)
			if !ok || !inModule || (rel != "" && !strings.HasPrefix(rel, "/")) {
				return Program{}, fmt.Errorf("go list: unexpected line %q", line)
			}
			dir = "." + rel
			if rel != "" {
				dir = strings.TrimPrefix(rel, "/")
			}
			p.Dirs[dir] = true
		}
	}
	if len(p.Dirs) == 0 {
		return Program{}, fmt.Errorf("go list: ./infra has no module-local packages")
	}
	return p, nil
}

// projectFiles change every stack's program without being Go packages.
var projectFiles = map[string]bool{"go.mod": true, "go.sum": true, "Pulumi.yaml": true}

// Contains reports whether changing file (relative to the module root)
// changes what the program deploys. Tests are not part of the program.
func (p Program) Contains(file string) bool {
	if projectFiles[file] || p.Files[file] {
		return true
	}
	if strings.HasSuffix(file, "_test.go") {
		return false
	}
	return p.Dirs[path.Dir(file)]
}

// Affected returns the stacks, sorted, that a change of the changed files
// affects, among existing (the stacks whose file exists at the head): a
// program change affects all of them, a stack file change its stack.
func (p Program) Affected(changed, existing []string) []string {
	exists := map[string]bool{}
	for _, s := range existing {
		exists[s] = true
	}
	picked := map[string]bool{}
	for _, f := range changed {
		if p.Contains(f) {
			return sorted(existing)
		}
		if s, ok := stackOfFile(f); ok && exists[s] {
			picked[s] = true
		}
	}
	var out []string
	for s := range picked {
		out = append(out, s)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}
