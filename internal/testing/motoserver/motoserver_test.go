package motoserver

import (
	"runtime"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/testing/tier"
)

// outcome records how a test without the emulator ended.
type outcome struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (o *outcome) Helper() {}

func (o *outcome) Skip(args ...any) { o.end(&o.skipped, args) }

func (o *outcome) Fatal(args ...any) { o.end(&o.failed, args) }

func (o *outcome) end(flag *bool, args []any) {
	*flag = true
	for _, a := range args {
		o.msg += a.(string)
	}
	runtime.Goexit() // as testing.T does: nothing after Skip or Fatal runs
}

// The tier rule holds for the emulator too: without moto a test skips, and
// under LAB_TIERS_REQUIRED=1 (.ci/run) it fails, also when
// .ci/moto-tier.sh said why moto is missing, so CI cannot pass with every
// emulator test skipped.
func TestWithoutTheEmulatorATestSkipsOrFailsAsTheTierRuleSays(t *testing.T) {
	for name, tc := range map[string]struct {
		required, why string
		fail          bool
	}{
		"not required":                   {},
		"not required, reason given":     {why: "no python3"},
		"required":                       {required: "1", fail: true},
		"required, reason given by .ci/": {required: "1", why: "no python3", fail: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("LAB_MOTO", "")
			t.Setenv("LAB_MOTO_MISSING", tc.why)
			t.Setenv(tier.RequiredEnv, tc.required)
			o := &outcome{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				URL(o)
			}()
			<-done
			if o.failed != tc.fail || o.skipped == tc.fail {
				t.Errorf("failed %v, skipped %v; want failed %v", o.failed, o.skipped, tc.fail)
			}
			if tc.why != "" && !strings.Contains(o.msg, tc.why) {
				t.Errorf("message %q does not give the reason %q", o.msg, tc.why)
			}
		})
	}
}
