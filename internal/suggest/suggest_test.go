package suggest

import "testing"

func TestClosest(t *testing.T) {
	keys := []string{"sshCidr", "nodeMaxSize", "nodeMinSize", "nodeInstanceType", "allowSshFromAnywhere"}
	for word, want := range map[string]string{
		"sshCIDR":          "sshCidr",     // case only
		"nodeMaxSise":      "nodeMaxSize", // one typo
		"nodeInstanceTyp":  "nodeInstanceType",
		"allowSSHAnywhere": "allowSshFromAnywhere", // 4 edits in 16 letters
		"maxNodes":         "",                     // too far
		"banana":           "",                     // nothing alike
		"nodeMidSize":      "nodeMinSize",          // ties go to the first candidate
	} {
		if got := Closest(word, keys); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
}
