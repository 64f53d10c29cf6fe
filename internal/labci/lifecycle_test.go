package labci

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func count(n int) *int { return &n }

func live(name, expiry string) BackendStack {
	return BackendStack{Name: name, ResourceCount: count(120), Outputs: map[string]any{"expiry": expiry, "region": "ap-northeast-2"}}
}

func TestSweepDestroysExpiredStacksAndNamesTheOnesItCannotRead(t *testing.T) {
	stacks := []BackendStack{
		live("dev", "2026-11-27T09:00:00Z"),                                                      // expired
		live("org/eks-lab/alice", "2026-11-27T10:00:00+00:00"),                                   // expires now: due
		live("bob", "2026-11-27T18:00:00Z"),                                                      // not yet
		{Name: "carol", ResourceCount: count(0), Outputs: map[string]any{}},                      // destroyed
		{Name: "new", Outputs: map[string]any{}},                                                 // never updated
		{Name: "dave", ResourceCount: count(37), Outputs: map[string]any{"region": "us-east-1"}}, // no expiry
		live("erin", "tomorrow"),
		{Name: "frank", ResourceCount: count(3), Outputs: map[string]any{"expiry": 1764237600}},
	}
	expired, problems := Sweep(stacks, now)
	if strings.Join(expired, ",") != "alice,dev" {
		t.Errorf("expired = %v, want alice and dev (and never bob, carol or new)", expired)
	}
	if len(problems) != 3 {
		t.Fatalf("problems = %v, want dave, erin and frank", problems)
	}
	for i, want := range []string{"stack dave has 37 resources but no expiry output", `stack erin: expiry output "tomorrow"`, "stack frank: expiry output 1764237600"} {
		if !strings.Contains(problems[i].Error(), want) {
			t.Errorf("problem %d = %q, want it to say %q", i, problems[i], want)
		}
	}
}

func TestDecideDeploy(t *testing.T) {
	destroyed := &BackendStack{Name: "dev", ResourceCount: count(0), Outputs: map[string]any{}}
	expired := live("dev", "2026-11-27T09:00:00Z")
	running := live("dev", "2026-11-27T18:00:00Z")
	for _, c := range []struct {
		name   string
		req    DeployRequest
		deploy bool
		says   string
	}{
		{"live stack, program change", DeployRequest{Backend: &running}, true, "live until 2026-11-27T18:00:00Z"},
		// The case the sweep met: destroyed at expiry, then an unrelated merge.
		{"destroyed stack, unrelated merge", DeployRequest{Backend: destroyed}, false, "nothing deployed"},
		{"destroyed stack, its file changed but not its expiry", DeployRequest{Backend: destroyed, FileChanged: true, OldExpiry: "2026-11-28T00:00:00Z", NewExpiry: "2026-11-28T00:00:00Z"}, false, "nothing deployed"},
		{"destroyed stack, the push sets a new expiry", DeployRequest{Backend: destroyed, FileChanged: true, NewExpiry: "2026-11-28T00:00:00Z"}, true, "sets eks-lab:expiry"},
		{"expired, not yet swept, unrelated merge", DeployRequest{Backend: &expired}, false, "expired at 2026-11-27T09:00:00Z"},
		{"expired, the push sets a new expiry", DeployRequest{Backend: &expired, FileChanged: true, OldExpiry: "2026-11-27T09:00:00Z", NewExpiry: "2026-11-28T00:00:00Z"}, true, "sets eks-lab:expiry"},
		{"new stack file", DeployRequest{FileChanged: true}, true, "is new"},
		{"stack file never brought up, program change", DeployRequest{}, false, "nothing deployed"},
		{"manual run of a destroyed stack", DeployRequest{Backend: destroyed, Manual: true}, true, "on request"},
		{"manual run with a past expiry", DeployRequest{Manual: true, NewExpiry: "2026-11-27T09:30:00Z"}, false, "has passed"},
		{"new stack with a past expiry", DeployRequest{FileChanged: true, NewExpiry: "2026-11-01T00:00:00Z"}, false, "has passed"},
		// The program refuses to pause what is not up: the job would fail.
		{"new stack file, paused", DeployRequest{FileChanged: true, Paused: true}, false, "eks-lab:paused: true in stacks/Pulumi.dev.yaml and nothing deployed"},
		{"destroyed stack, paused, the push sets a new expiry", DeployRequest{Backend: destroyed, FileChanged: true, Paused: true, NewExpiry: "2026-11-28T00:00:00Z"}, false, "remove eks-lab:paused"},
		{"manual run of a destroyed paused stack", DeployRequest{Backend: destroyed, Manual: true, Paused: true}, false, "a lab is paused after it has been up"},
		{"live stack, the push pauses it", DeployRequest{Backend: &running, FileChanged: true, Paused: true}, true, "live until"},
		// Not swept yet, it is still up: a new expiry pauses it.
		{"expired, paused, the push sets a new expiry", DeployRequest{Backend: &expired, Paused: true, NewExpiry: "2026-11-28T00:00:00Z"}, true, "sets eks-lab:expiry"},
	} {
		c.req.Stack, c.req.Now = "dev", now
		deploy, reason, err := DecideDeploy(c.req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if deploy != c.deploy || !strings.Contains(reason, c.says) {
			t.Errorf("%s: deploy = %t (%s), want %t saying %q", c.name, deploy, reason, c.deploy, c.says)
		}
	}
}

func TestDecideDeployFailsOnUnreadableExpiry(t *testing.T) {
	broken := BackendStack{Name: "org/dev", ResourceCount: count(5), Outputs: map[string]any{}}
	if _, _, err := DecideDeploy(DeployRequest{Stack: "dev", Backend: &broken, Now: now}); err == nil || !strings.Contains(err.Error(), "stack org/dev has 5 resources but no expiry output") {
		t.Errorf("err = %v, want one naming the stack", err)
	}
	if _, _, err := DecideDeploy(DeployRequest{Stack: "dev", NewExpiry: "friday", Now: now}); err == nil || !strings.Contains(err.Error(), `eks-lab:expiry = "friday" in stacks/Pulumi.dev.yaml`) {
		t.Errorf("err = %v, want one naming the key, the value and the file", err)
	}
}

func TestFileExpiry(t *testing.T) {
	for in, want := range map[string]string{
		"config:\n  aws:region: us-east-1\n":                     "",
		"config:\n  eks-lab:expiry: \"2026-11-28T00:00:00Z\"\n":  "2026-11-28T00:00:00Z",
		"config:\n  eks-lab:expiry: 2026-11-28T09:00:00+09:00\n": "2026-11-28T00:00:00Z",
		"": "",
	} {
		got, err := FileExpiry([]byte(in))
		if err != nil || got != want {
			t.Errorf("FileExpiry(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// Pulumi takes a YAML boolean or its string for a bool key; the program
// reads it with strconv.ParseBool (infra/config), and so does the CI.
func TestFilePaused(t *testing.T) {
	for in, want := range map[string]bool{
		"config:\n  aws:region: us-east-1\n":    false,
		"config:\n  eks-lab:paused: true\n":     true,
		"config:\n  eks-lab:paused: \"true\"\n": true,
		"config:\n  eks-lab:paused: false\n":    false,
		"":                                      false,
	} {
		if got, err := FilePaused([]byte(in)); err != nil || got != want {
			t.Errorf("FilePaused(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := FilePaused([]byte("config:\n  eks-lab:paused: yes please\n")); err == nil || err.Error() != `eks-lab:paused = "yes please" is not true or false` {
		t.Errorf("an invalid value: %v", err)
	}
	if _, err := FilePaused([]byte("config: [")); err == nil {
		t.Error("invalid YAML: no error")
	}
}

// A lab still deployed well after its expiry means a destroy did not run:
// the sweep destroys it again and says so, naming it; a lab whose destroy
// may still be under way is not reported.
func TestSweepReportsADestroyThatDidNotRun(t *testing.T) {
	stacks := []BackendStack{
		live("late", now.Add(-Overdue-time.Minute).Format(time.RFC3339)),
		live("recent", now.Add(-Overdue+time.Minute).Format(time.RFC3339)),
	}
	expired, problems := Sweep(stacks, now)
	if strings.Join(expired, ",") != "late,recent" {
		t.Errorf("expired = %v, want both", expired)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "stack late expired at 2026-11-27T06:59:00Z, 3h1m0s ago, and is still deployed") {
		t.Errorf("problems = %v, want one naming late", problems)
	}
}

func TestSweepRefusesANameItWouldPutInCommands(t *testing.T) {
	expired, problems := Sweep([]BackendStack{live("org/x;rm -rf", "2026-11-27T09:00:00Z")}, now)
	if len(expired) != 0 || len(problems) != 1 || !strings.Contains(problems[0].Error(), `stack "org/x;rm -rf"`) {
		t.Errorf("expired %v, problems %v", expired, problems)
	}
}

// A manual destroy: an expired or empty lab goes at once; a live one, or
// one whose expiry or outputs cannot be read, only with before-expiry, and
// then as live (a reviewer approves).
func TestDecideDestroy(t *testing.T) {
	running := live("dev", "2026-11-27T18:00:00Z")
	broken := BackendStack{Name: "dev", ResourceCount: count(5), Outputs: map[string]any{}}
	unreadable := errors.New("stack dev: cannot read its outputs: error: failed to decrypt")
	for _, c := range []struct {
		name         string
		stack        BackendStack
		outputsErr   error
		beforeExpiry bool
		live         bool
		says         string // in the reason, or the error when refused
		refused      bool
	}{
		{"expired", live("dev", "2026-11-27T09:00:00Z"), nil, false, false, "expired at 2026-11-27T09:00:00Z", false},
		{"expires now", live("dev", "2026-11-27T10:00:00Z"), nil, false, false, "expired at", false},
		{"destroyed", BackendStack{Name: "dev", ResourceCount: count(0), Outputs: map[string]any{}}, nil, false, false, "nothing deployed", false},
		{"live", running, nil, false, false, "live until 2026-11-27T18:00:00Z: to destroy it before its expiry, run destroy.yml with before-expiry", true},
		{"live, before-expiry", running, nil, true, true, "once a reviewer approves", false},
		{"expired, before-expiry: no approval", live("dev", "2026-11-27T09:00:00Z"), nil, true, false, "expired at", false},
		{"unreadable expiry", broken, nil, false, false, "5 resources but no expiry output", true},
		{"unreadable expiry, before-expiry", broken, nil, true, true, "once a reviewer approves", false},
		{"unreadable outputs", running, unreadable, false, false, "failed to decrypt; to destroy it all the same", true},
		{"unreadable outputs, before-expiry", running, unreadable, true, true, "failed to decrypt: destroying it once a reviewer approves", false},
	} {
		live, reason, err := DecideDestroy(c.stack, c.outputsErr, c.beforeExpiry, now)
		if c.refused {
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("%s: err = %v, want a refusal saying %q", c.name, err, c.says)
			}
			continue
		}
		if err != nil || live != c.live || !strings.Contains(reason, c.says) {
			t.Errorf("%s: live = %t (%q, %v), want %t saying %q", c.name, live, reason, err, c.live, c.says)
		}
	}
}

func TestCheckStackName(t *testing.T) {
	for name, ok := range map[string]bool{"dev": true, "alice.lab_2-x": true, "": false, "-dev": false, ".x": false, "a b": false, "a/b": false, "x;rm": false, "x\ny": false} {
		if err := CheckStackName(name); (err == nil) != ok {
			t.Errorf("CheckStackName(%q) = %v", name, err)
		}
	}
}

func TestStackExpiryOutput(t *testing.T) {
	for _, c := range []struct {
		stack    BackendStack
		deployed bool
		err      string
	}{
		{live("dev", "2026-11-27T18:00:00+09:00"), true, ""},
		{BackendStack{Name: "new", Outputs: map[string]any{}}, false, ""},
		{BackendStack{Name: "o/p/dev", ResourceCount: count(2), Outputs: map[string]any{}}, false, "destroy.yml with stack dev"},
		{BackendStack{Name: "dev", ResourceCount: count(2), Outputs: map[string]any{"expiry": "27.11.2026"}}, false, `expiry output "27.11.2026"`},
	} {
		at, deployed, err := c.stack.Expiry()
		if deployed != c.deployed || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: %v, %t, %v; want deployed %t, error %q", c.stack.Name, at, deployed, err, c.deployed, c.err)
		}
	}
	if at, _, _ := live("dev", "2026-11-27T18:00:00+09:00").Expiry(); !at.Equal(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("expiry with an offset = %v", at)
	}
}

// A destroy that waited behind a deploy is called off only by a readable
// later expiry or an empty stack; an unreadable one is destroyed as decided.
func TestStillDue(t *testing.T) {
	for _, c := range []struct {
		name       string
		stack      BackendStack
		outputsErr error
		due        bool
		says       string
	}{
		{"still expired", live("dev", "2026-11-27T09:00:00Z"), nil, true, "expired at"},
		{"extended", live("dev", "2026-11-28T09:00:00Z"), nil, false, "now expires at 2026-11-28T09:00:00Z"},
		{"destroyed meanwhile", BackendStack{Name: "dev", ResourceCount: count(0), Outputs: map[string]any{}}, nil, false, "holds nothing"},
		{"expiry unreadable", BackendStack{Name: "dev", ResourceCount: count(3), Outputs: map[string]any{"expiry": "soon"}}, nil, true, "as the sweep decided"},
		{"outputs unreadable", live("dev", "2026-11-28T09:00:00Z"), errors.New("failed to decrypt"), true, "failed to decrypt"},
	} {
		due, reason := StillDue(c.stack, c.outputsErr, now)
		if due != c.due || !strings.Contains(reason, c.says) {
			t.Errorf("%s: due = %t (%s), want %t saying %q", c.name, due, reason, c.due, c.says)
		}
	}
}
