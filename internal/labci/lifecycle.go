package labci

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// BackendStack is what the Pulumi backend says about one stack: its entry in
// `pulumi stack ls --json` (the shape of stackSummaryJSON in pulumi's
// pkg/cmd/pulumi/stack/stack_ls.go) and its `pulumi stack output --json`.
type BackendStack struct {
	Name          string         `json:"name"`                    // as the backend lists it: NAME, ORG/NAME or ORG/PROJECT/NAME
	ResourceCount *int           `json:"resourceCount,omitempty"` // absent for a stack never updated
	Outputs       map[string]any `json:"-"`
}

// Short is the stack's name without organization and project: the name of
// its file and of the concurrency group its jobs share.
func (s BackendStack) Short() string { return s.Name[strings.LastIndex(s.Name, "/")+1:] }

// Expiry reads the stack's `expiry` output (RFC 3339, set by the program).
// deployed is false when the stack holds nothing: never brought up, or
// destroyed (a destroy leaves the stack with no resources and no outputs).
// A stack with resources and a missing or malformed expiry is an error
// naming the stack: the sweep cannot tell when to remove it.
func (s BackendStack) Expiry() (at time.Time, deployed bool, err error) {
	v, ok := s.Outputs["expiry"]
	if !ok {
		if s.ResourceCount != nil && *s.ResourceCount > 0 {
			return time.Time{}, false, fmt.Errorf("stack %s has %d resources but no expiry output: "+
				"bring it up again from this repository (deploy.yml) or destroy it by hand (destroy.yml with stack %s)",
				s.Name, *s.ResourceCount, s.Short())
		}
		return time.Time{}, false, nil
	}
	text, _ := v.(string)
	at, err = time.Parse(time.RFC3339, text)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("stack %s: expiry output %s is not an RFC 3339 time: "+
			"set eks-lab:expiry in its stack file and deploy it, or destroy it by hand (destroy.yml with stack %s)",
			s.Name, jsonText(v), s.Short())
	}
	return at, true, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Sweep returns the short names, sorted, of the stacks whose expiry has
// passed at now, and one error per stack it cannot decide on, naming it.
// Stacks with nothing deployed are left alone.
func Sweep(stacks []BackendStack, now time.Time) (expired []string, problems []error) {
	for _, s := range stacks {
		if !stackName.MatchString(s.Short()) {
			problems = append(problems, fmt.Errorf("stack %q: a name this workflow does not put in commands; destroy it by hand", s.Name))
			continue
		}
		at, deployed, err := s.Expiry()
		switch {
		case err != nil:
			problems = append(problems, err)
		case deployed && !at.After(now):
			expired = append(expired, s.Short())
		}
	}
	sort.Strings(expired)
	return expired, problems
}

// DeployRequest is what decides whether a deploy job may bring a stack up.
type DeployRequest struct {
	Stack       string        // short name; its file stacks/Pulumi.<stack>.yaml exists at the head
	Manual      bool          // someone asked for this stack by name (workflow_dispatch)
	FileChanged bool          // the push changed the stack's file
	OldExpiry   string        // eks-lab:expiry in the stack file before the push ("" when unset or new)
	NewExpiry   string        // eks-lab:expiry in the stack file at the head ("" when unset)
	Backend     *BackendStack // nil when the backend has no such stack
	Now         time.Time
}

// DecideDeploy says whether the job may run `pulumi up`, and why. A push
// updates the stacks that are live and not expired; it never brings back a
// stack that expired or was destroyed (the program would give it a fresh
// 8-hour expiry) unless the push sets a new eks-lab:expiry in its file. A new
// stack comes up when its file is added or changed. A manual run deploys the
// stack it names. No run deploys a stack whose eks-lab:expiry has passed.
func DecideDeploy(r DeployRequest) (deploy bool, reason string, err error) {
	if r.NewExpiry != "" {
		at, err := time.Parse(time.RFC3339, r.NewExpiry)
		if err != nil {
			return false, "", fmt.Errorf("stack %s: eks-lab:expiry = %q in %s is not an RFC 3339 time such as %s",
				r.Stack, r.NewExpiry, StackFile(r.Stack), r.Now.Add(8*time.Hour).UTC().Format(time.RFC3339))
		}
		if !at.After(r.Now) {
			return false, fmt.Sprintf("stack %s: its eks-lab:expiry %s has passed; set a later one to bring it up", r.Stack, r.NewExpiry), nil
		}
	}
	var at time.Time
	deployed := false
	if r.Backend != nil {
		if at, deployed, err = r.Backend.Expiry(); err != nil {
			return false, "", err
		}
	}
	newExpiry := r.NewExpiry != "" && r.NewExpiry != r.OldExpiry
	switch {
	case deployed && at.After(r.Now):
		return true, fmt.Sprintf("stack %s is live until %s", r.Stack, at.UTC().Format(time.RFC3339)), nil
	case r.Manual:
		return true, fmt.Sprintf("stack %s: deploying on request", r.Stack), nil
	case newExpiry:
		return true, fmt.Sprintf("stack %s: the push sets eks-lab:expiry to %s", r.Stack, r.NewExpiry), nil
	case r.Backend == nil && r.FileChanged:
		return true, fmt.Sprintf("stack %s is new", r.Stack), nil
	case deployed:
		return false, fmt.Sprintf("stack %s expired at %s and the scheduled destroy removes it; "+
			"to keep it, set a later eks-lab:expiry in %s", r.Stack, at.UTC().Format(time.RFC3339), StackFile(r.Stack)), nil
	default:
		return false, fmt.Sprintf("stack %s has nothing deployed (destroyed, or never brought up): a push brings it up "+
			"only when it sets a new eks-lab:expiry in %s; or run deploy.yml for it", r.Stack, StackFile(r.Stack)), nil
	}
}

// FileExpiry returns eks-lab:expiry from a stack file's content, "" when
// the file or the key is absent.
func FileExpiry(content []byte) (string, error) {
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return "", fmt.Errorf("not valid YAML: %v", err)
	}
	v, ok := doc.Config["eks-lab:expiry"]
	if !ok || v == nil {
		return "", nil
	}
	if t, ok := v.(time.Time); ok { // YAML reads an unquoted timestamp as a time
		return t.UTC().Format(time.RFC3339), nil
	}
	return fmt.Sprint(v), nil
}
