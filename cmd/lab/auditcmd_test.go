package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestAuditTakesItsTargetsFromTheStackFile(t *testing.T) {
	got, err := auditArgs([]string{"--stack", "private-nat", "--root", "../.."})
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Join(got, " ")
	for _, want := range []string{
		"--region ap-northeast-1", "--cluster-name myeks", "--project eks-lab",
		"--hosted-zone-id Z0123456789ABCDEFGHIJ", "--txt-owner-id eks-lab-private-nat", "--stack private-nat",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("audit args %q lack %q", line, want)
		}
	}
	if strings.Contains(line, "--root") {
		t.Errorf("--root is lab's flag, not audit's: %q", line)
	}
}

func TestAuditCommandLineOverridesTheStackFile(t *testing.T) {
	got, err := auditArgs([]string{"--stack", "dev", "--root=../..", "--region", "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got[len(got)-1] != "eu-west-1" || flagValue(got, "hosted-zone-id") != "" {
		t.Errorf("args = %v: the command line's region must come last; dev has no DNS zone", got)
	}
}

func TestAuditUnknownStack(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"audit", "--stack", "nope", "--root", "../.."}, &out, &errOut); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if msg := errOut.String(); !strings.Contains(msg, `unknown stack "nope"`) || strings.Count(msg, "\n") != 1 {
		t.Errorf("want one line naming the stack, got %q", msg)
	}
}
