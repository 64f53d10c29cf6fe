package docgen

import (
	"fmt"
	"regexp"
	"strings"
)

// heading is a section heading of a text plan (plan.Render, "text"): a line
// of capitals.
var heading = regexp.MustCompile(`^[A-Z][A-Z /]+$`)

// PlanSections are the sections of a text plan with these headings, in the
// order given, each from its heading to the next; "" stands for the summary
// above the first heading. Sections are separated by a blank line.
func PlanSections(text string, headings ...string) (string, error) {
	sections := map[string][]string{}
	current := ""
	for _, line := range strings.Split(text, "\n") {
		if heading.MatchString(line) {
			current = line
		}
		sections[current] = append(sections[current], line)
	}
	var out []string
	for _, h := range headings {
		lines, ok := sections[h]
		if !ok {
			return "", fmt.Errorf("the plan has no section %q", h)
		}
		out = append(out, strings.TrimSpace(strings.Join(lines, "\n")))
	}
	return strings.Join(out, "\n\n") + "\n", nil
}

// Fenced is text as a fenced code block of a markdown page.
func Fenced(lang, text string) string {
	return "```" + lang + "\n" + strings.TrimRight(text, "\n") + "\n```\n"
}
