// Package docgen makes the generated parts of the repository's files, so
// that each fact they show has one source: docs/configuration.md's
// configuration reference (from Pulumi.yaml), Pulumi.yaml's samples section
// and docs/samples.md's samples table (from the sample catalog), the tables
// of pinned versions (from internal/versions), and docs/lab-tool.md's example
// output (from the golden plans). Each part sits between two marker lines,
// "BEGIN <name>: ..." and "END <name>", in the comment syntax of its file
// (<!-- --> or #); tests/generated_test.go fails when a part is stale, and
// `go test ./tests -run Generated -update` rewrites them.
package docgen

import (
	"fmt"
	"strings"
)

// Splice puts content (whole lines) between the marker lines of part name
// in text, and keeps everything else, the marker lines included.
func Splice(text, name, content string) (string, error) {
	lines := strings.SplitAfter(text, "\n")
	begin, end := -1, -1
	for i, line := range lines {
		m := marker(line)
		if begin < 0 && strings.HasPrefix(m, "BEGIN "+name+":") {
			begin = i
		} else if begin >= 0 && m == "END "+name {
			end = i
			break
		}
	}
	if begin < 0 || end < 0 {
		return "", fmt.Errorf("no %q ... %q marker lines", "BEGIN "+name+":", "END "+name)
	}
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	return strings.Join(lines[:begin+1], "") + content + strings.Join(lines[end:], ""), nil
}

// marker is a line's text without its comment delimiters.
func marker(line string) string {
	s := strings.TrimSpace(line)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "<!--"), "#")
	return strings.TrimSpace(strings.TrimSuffix(s, "-->"))
}
