// Package suggest finds the word a typo most likely meant.
package suggest

import (
	"strings"

	"github.com/agext/levenshtein"
)

// Closest returns the candidate nearest to word (case-insensitive edit
// distance), or "" when none is within a third of word's length (at least
// 2 edits): a suggestion that far off would mislead more than help.
func Closest(word string, candidates []string) string {
	best, bestDist := "", max(2, len(word)/3)+1
	for _, c := range candidates {
		if d := levenshtein.Distance(strings.ToLower(word), strings.ToLower(c), nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
