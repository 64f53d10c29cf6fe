package acceptance

import (
	"errors"
	"strings"
	"testing"
)

func TestMissingNamesEveryPrerequisiteOnOneLine(t *testing.T) {
	none := Prerequisites{
		OptIn: "", PulumiErr: errors.New("not found"), AWSCLIErr: errors.New("not found"),
		CredentialsErr: errors.New("no EC2 IMDS role found\nsecond line of detail"),
	}
	msg := none.Missing()
	for _, want := range []string{EnvOptIn + "=1", "pulumi CLI", "aws CLI", "AWS credentials", "no EC2 IMDS role found"} {
		if !strings.Contains(msg, want) {
			t.Errorf("skip message %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("skip message is not one line: %q", msg)
	}
	if got := (Prerequisites{OptIn: "true"}).Missing(); !strings.Contains(got, EnvOptIn+"=1") {
		t.Errorf("opt-in %q accepted; only 1 opts in: %q", "true", got)
	}
	if got := (Prerequisites{OptIn: "1"}).Missing(); got != "" {
		t.Errorf("nothing missing, yet: %q", got)
	}
}
