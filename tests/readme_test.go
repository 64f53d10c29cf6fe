package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/plan"
)

// README is the front door: short, and linking every page of docs/.
func TestReadmeIsAFrontDoorToEveryDocsPage(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n > 200 {
		t.Errorf("README.md has %d lines; keep it at most about 200 and move reference material to docs/", n)
	}
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no docs pages: %v", err)
	}
	for _, page := range pages {
		link := "(docs/" + filepath.Base(page) + ")"
		if !strings.Contains(string(readme), link) {
			t.Errorf("README.md does not link %s", link)
		}
	}
}

// Every relative link in README and docs/ points at a file that exists.
func TestDocsLinksResolve(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(data), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), m[1])); err != nil {
				t.Errorf("%s links %s, which does not exist", f, m[1])
			}
		}
	}
}

// CI runs exactly the test command README gives a newcomer.
func TestCIRunsTheReadmeTestCommand(t *testing.T) {
	t.Parallel()
	readme, _ := os.ReadFile(filepath.Join(root, "README.md"))
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "go test ./..."
	if !strings.Contains(string(readme), "```bash\n"+cmd+"\n```") {
		t.Errorf("README has no bash block with %q", cmd)
	}
	if !strings.Contains(string(ci), "\n"+cmd+"\n") {
		t.Errorf(".ci/run does not run %q on a line of its own", cmd)
	}
}

// Every repository path README and docs/ name exists, in prose or in a
// command (`infra/config/...`, `go test ./tests`): a file moved without its
// docs fails here. A path with a placeholder (`stacks/Pulumi.<stack>.yaml`)
// or a glob is a pattern, not a path; `internal/versions.Pins` names a
// package's symbol.
func TestDocsNameExistingPaths(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	goSymbol := regexp.MustCompile(`\.[A-Z][A-Za-z0-9]*$`)
	path := regexp.MustCompile("(^|[\\s`(\"'=])\\.?/?((?:infra|components|internal|tests|cmd|stacks|docs|\\.ci|\\.github)/[A-Za-z0-9_./-]*)([^A-Za-z0-9_./-]|$)")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			for _, m := range path.FindAllStringSubmatch(line, -1) {
				p, next := strings.TrimRight(m[2], "./"), m[3]
				if strings.ContainsAny(next, "<*{$") || strings.Contains(p, "...") {
					continue
				}
				p = goSymbol.ReplaceAllString(p, "")
				if _, err := os.Stat(filepath.Join(root, p)); err != nil {
					t.Errorf("%s names %s, which does not exist", filepath.Base(f), p)
				}
			}
		}
	}
}

// The costs README and the acceptance page quote are lab plan's for dev, as
// its golden plan records them: a sample added or a price changed shows here.
func TestQuotedCostsAreThePlans(t *testing.T) {
	t.Parallel()
	dev, err := plan.ReadFile(filepath.Join(root, "tests", "golden", "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := dev.Estimates.Cost
	var lbs float64
	for _, it := range c.Items {
		if it.Component == "Load balancer" {
			lbs += it.Quantity
		}
	}
	for page, want := range map[string]string{
		"README.md": fmt.Sprintf("(about $%.2f an hour, $%.2f for an\n%g-hour session, for the `dev` stack in Seoul with its %g load balancers",
			c.HourlyTotal, c.SessionTotal, c.SessionHours, lbs),
		"docs/acceptance.md": fmt.Sprintf("# Total: %s per hour; paused %s", estimate.Dollars(c.HourlyTotal), estimate.Dollars(dev.Estimates.States.PausedHourly)),
	} {
		data, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s does not quote lab plan's cost for dev: want %q", page, want)
		}
	}
}
