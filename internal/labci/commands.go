package labci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Env is what the commands use from outside: the clock, and the programs
// they run (git, go, pulumi) in the repository root.
type Env struct {
	Now func() time.Time
	Run func(stdin io.Reader, name string, args ...string) ([]byte, error)
}

// System is the real environment.
func System() Env {
	return Env{Now: time.Now, Run: func(stdin io.Reader, name string, args ...string) ([]byte, error) {
		cmd := exec.Command(name, args...)
		cmd.Stdin = stdin
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return out, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}}
}

// Affected writes the JSON array of the stacks a change from base to head
// affects (every stack without a known base; only one with only).
func Affected(env Env, base, head, only string, stdout io.Writer) error {
	if head == "" {
		return errors.New("--head is required")
	}
	existing, err := stackFiles(".")
	if err != nil {
		return err
	}
	var list []string
	switch {
	case only != "":
		if !stackName.MatchString(only) || !slices.Contains(existing, only) {
			return fmt.Errorf("stack %q has no file %s", only, StackFile(only))
		}
		list = []string{only}
	case base == "" || !commitExists(env, base):
		list = existing
	default:
		out, err := env.Run(nil, "git", "diff", "--name-only", base+"..."+head)
		if err != nil {
			return err
		}
		prog, err := LoadProgram(".")
		if err != nil {
			return err
		}
		list = prog.Affected(strings.Fields(string(out)), existing)
	}
	return writeJSON(stdout, list)
}

// DeployCheck writes deploy=true or deploy=false: may this push (or a manual
// run) bring the stack up. The reason goes to stderr.
func DeployCheck(env Env, stack, base string, manual bool, org string, stdout, stderr io.Writer) error {
	if stack == "" {
		return errors.New("--stack is required")
	}
	head, err := os.ReadFile(StackFile(stack))
	if err != nil {
		return fmt.Errorf("stack %s: %v", stack, err)
	}
	r := DeployRequest{Stack: stack, Manual: manual, Now: env.Now()}
	if r.NewExpiry, err = FileExpiry(head); err != nil {
		return fmt.Errorf("%s: %v", StackFile(stack), err)
	}
	if r.Paused, err = FilePaused(head); err != nil {
		return fmt.Errorf("%s: %v", StackFile(stack), err)
	}
	// Without a known base (first push, force push) nothing counts as changed.
	r.OldExpiry = r.NewExpiry
	if base != "" && commitExists(env, base) {
		old, err := env.Run(nil, "git", "show", base+":"+StackFile(stack))
		if err != nil {
			old = nil // the push adds the file
		}
		r.FileChanged = !bytes.Equal(old, head)
		if r.OldExpiry, err = FileExpiry(old); err != nil {
			r.OldExpiry = ""
		}
	}
	if r.Backend, err = findBackendStack(env, org, stack); err != nil {
		return err
	}
	if r.Backend != nil {
		if err := readOutputs(env, r.Backend); err != nil {
			return err
		}
	}
	deploy, reason, err := DecideDeploy(r)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, reason)
	fmt.Fprintf(stdout, "deploy=%t\n", deploy)
	return nil
}

// DestroyCheck writes, for a manual destroy of stack, stacks=["STACK"] and
// live=true when a reviewer must approve it (its expiry has not passed, or
// cannot be read) or live=false; it fails for a live stack without
// beforeExpiry. The reason goes to stderr.
func DestroyCheck(env Env, stack, org string, beforeExpiry bool, stdout, stderr io.Writer) error {
	s, outputsErr, err := readBackendStack(env, org, stack)
	if err != nil {
		return err
	}
	live, reason, err := DecideDestroy(*s, outputsErr, beforeExpiry, env.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, reason)
	fmt.Fprint(stdout, "stacks=")
	if err := writeJSON(stdout, []string{stack}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "live=%t\n", live)
	return nil
}

// DestroyDue writes due=true or due=false: is the destroy of stack the
// sweep decided on still due now (StillDue). The reason goes to stderr.
func DestroyDue(env Env, stack, org string, stdout, stderr io.Writer) error {
	s, outputsErr, err := readBackendStack(env, org, stack)
	if err != nil {
		return err
	}
	due, reason := StillDue(*s, outputsErr, env.Now())
	fmt.Fprintln(stderr, reason)
	_, err = fmt.Fprintf(stdout, "due=%t\n", due)
	return err
}

// readBackendStack finds stack in the backend and reads its outputs. Not
// reading them is outputsErr: a destroy decision goes on without them.
func readBackendStack(env Env, org, stack string) (s *BackendStack, outputsErr, err error) {
	if stack == "" {
		return nil, nil, errors.New("--stack is required")
	}
	if s, err = findBackendStack(env, org, stack); err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, nil, fmt.Errorf("stack %s is not in the backend (pulumi stack ls)", stack)
	}
	return s, readOutputs(env, s), nil
}

// SweepBackend writes the JSON array of the backend's stacks whose expiry
// output has passed; it fails, after writing, when a stack cannot be read.
func SweepBackend(env Env, org string, stdout, stderr io.Writer) error {
	stacks, err := listBackend(env, org)
	if err != nil {
		return err
	}
	var problems []error
	var readable []BackendStack
	for _, s := range stacks {
		if err := readOutputs(env, &s); err != nil {
			problems = append(problems, err)
			continue
		}
		readable = append(readable, s)
	}
	expired, more := Sweep(readable, env.Now())
	if err := writeJSON(stdout, expired); err != nil {
		return err
	}
	for _, p := range append(problems, more...) {
		fmt.Fprintln(stderr, p)
	}
	if n := len(problems) + len(more); n > 0 {
		return fmt.Errorf("%d problem(s) above; the expired stacks found are still destroyed", n)
	}
	return nil
}

// EndpointOpen writes the endpoint access that admits ip, or nothing when
// the cluster (JSON of `aws eks describe-cluster` on stdin) already does.
func EndpointOpen(stdin io.Reader, ip string, stdout io.Writer) error {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return err
	}
	current, err := ReadCluster(stdin)
	if err != nil {
		return err
	}
	open, change, err := OpenFor(current, addr)
	if err != nil || !change {
		return err
	}
	return json.NewEncoder(stdout).Encode(open)
}

// EndpointRestore writes the access to put back (originalFile, from before
// EndpointOpen), or nothing when the cluster already has it.
func EndpointRestore(stdin io.Reader, originalFile string, stdout io.Writer) error {
	f, err := os.Open(originalFile)
	if err != nil {
		return err
	}
	defer f.Close()
	var original EndpointAccess
	if err := json.NewDecoder(f).Decode(&original); err != nil {
		return fmt.Errorf("%s: %v", originalFile, err)
	}
	current, err := ReadCluster(stdin)
	if err != nil {
		return err
	}
	restore, change := RestoreTo(original, current)
	if !change {
		return nil
	}
	return json.NewEncoder(stdout).Encode(restore)
}

// listBackend runs `pulumi stack ls --json` for this project (the current
// directory's Pulumi.yaml), in org when given.
func listBackend(env Env, org string) ([]BackendStack, error) {
	args := []string{"stack", "ls", "--json"}
	if org != "" {
		args = append(args, "--organization", org)
	}
	out, err := env.Run(nil, "pulumi", args...)
	if err != nil {
		return nil, err
	}
	var stacks []BackendStack
	if err := json.Unmarshal(out, &stacks); err != nil {
		return nil, fmt.Errorf("pulumi stack ls --json: %v", err)
	}
	return stacks, nil
}

// findBackendStack returns the backend's stack whose short name is stack,
// without its outputs, or nil when there is none.
func findBackendStack(env Env, org, stack string) (*BackendStack, error) {
	stacks, err := listBackend(env, org)
	if err != nil {
		return nil, err
	}
	var found *BackendStack
	for i, s := range stacks {
		if s.Short() != stack {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("stack %s: the backend lists it twice (%s, %s); pass the organization", stack, found.Name, s.Name)
		}
		found = &stacks[i]
	}
	return found, nil
}

func readOutputs(env Env, s *BackendStack) error {
	out, err := env.Run(nil, "pulumi", "stack", "output", "--json", "--stack", s.Name)
	if err != nil {
		return fmt.Errorf("stack %s: cannot read its outputs: %v", s.Name, err)
	}
	if err := json.Unmarshal(out, &s.Outputs); err != nil {
		return fmt.Errorf("stack %s: pulumi stack output --json: %v", s.Name, err)
	}
	return nil
}

func commitExists(env Env, rev string) bool {
	_, err := env.Run(nil, "git", "cat-file", "-e", rev+"^{commit}")
	return err == nil
}

// stackFiles lists the stacks with a file under root/stacks, sorted.
func stackFiles(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "stacks", "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if s, ok := stackOfFile("stacks/" + filepath.Base(f)); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out, nil
}

func writeJSON(w io.Writer, list []string) error {
	if list == nil {
		list = []string{}
	}
	b, err := json.Marshal(list)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// CheckStackName refuses a name that could not be a stack's: names end up
// in commands and file paths.
func CheckStackName(stack string) error {
	if !stackName.MatchString(stack) {
		return fmt.Errorf("stack %q: use letters, digits, - _ . only", stack)
	}
	return nil
}
