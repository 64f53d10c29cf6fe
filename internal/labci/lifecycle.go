package labci

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
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
				"bring it up again from this repository (deploy.yml) or destroy it by hand (destroy.yml with stack %s and before-expiry)",
				s.Name, *s.ResourceCount, s.Short())
		}
		return time.Time{}, false, nil
	}
	text, _ := v.(string)
	at, err = time.Parse(time.RFC3339, text)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("stack %s: expiry output %s is not an RFC 3339 time: "+
			"set eks-lab:expiry in its stack file and deploy it, or destroy it by hand (destroy.yml with stack %s and before-expiry)",
			s.Name, jsonText(v), s.Short())
	}
	return at, true, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Overdue is how long after its expiry a lab may still be deployed before
// the sweep calls it a destroy that did not run: the hourly sweep finds it
// within the hour and its destroy job may take 90 minutes (timeout-minutes
// in destroy.yml), plus slack for GitHub starting scheduled runs late.
const Overdue = 3 * time.Hour

// Sweep returns the short names, sorted, of the stacks whose expiry has
// passed at now, and one error per stack it cannot decide on, naming it,
// and per stack still deployed longer than Overdue after its expiry (an
// earlier destroy was cancelled, skipped or failed; it is destroyed all the
// same). Stacks with nothing deployed are left alone.
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
			if late := now.Sub(at); late > Overdue {
				problems = append(problems, fmt.Errorf("stack %s expired at %s, %s ago, and is still deployed: an earlier destroy "+
					"did not run or did not finish (see destroy.yml's runs); this run destroys it again",
					s.Name, at.UTC().Format(time.RFC3339), late.Round(time.Minute)))
			}
		}
	}
	sort.Strings(expired)
	return expired, problems
}

// StillDue says whether the destroy of s that the sweep decided on is still
// due when its job starts, which may be long after the decision: the job
// queues behind a deploy of the same stack, and that deploy may have set a
// later expiry or another run may have destroyed the stack. Only a
// readable future expiry, or nothing left deployed, calls it off; a stack
// that cannot be read now is destroyed as decided.
func StillDue(s BackendStack, outputsErr error, now time.Time) (due bool, reason string) {
	if outputsErr != nil {
		return true, fmt.Sprintf("%v: destroying it as the sweep decided", outputsErr)
	}
	at, deployed, err := s.Expiry()
	switch {
	case err != nil:
		return true, fmt.Sprintf("%v: destroying it as the sweep decided", err)
	case !deployed:
		return false, fmt.Sprintf("stack %s holds nothing any more (destroyed while this job waited): nothing to do", s.Name)
	case at.After(now):
		return false, fmt.Sprintf("stack %s now expires at %s (a deploy set a later expiry while this job waited): not destroying it",
			s.Name, at.UTC().Format(time.RFC3339))
	}
	return true, fmt.Sprintf("stack %s expired at %s: destroying it", s.Name, at.UTC().Format(time.RFC3339))
}

// DecideDestroy says whether a manual destroy of s needs a reviewer (live)
// and why. A lab whose expiry has passed, or that holds nothing, is
// destroyed at once, as the sweep would; one still running until its expiry
// is destroyed only when the run asks for it (beforeExpiry), and then only
// once a reviewer approves; so is one whose expiry cannot be read, or whose
// outputs could not be (outputsErr).
func DecideDestroy(s BackendStack, outputsErr error, beforeExpiry bool, now time.Time) (live bool, reason string, err error) {
	var at time.Time
	deployed, err := false, outputsErr
	if err == nil {
		at, deployed, err = s.Expiry()
	}
	switch {
	case err != nil && !beforeExpiry:
		return false, "", fmt.Errorf("%v; to destroy it all the same, run destroy.yml with before-expiry, which a reviewer approves", err)
	case err != nil:
		return true, fmt.Sprintf("%v: destroying it once a reviewer approves", err), nil
	case !deployed:
		return false, fmt.Sprintf("stack %s has nothing deployed: the destroy finds nothing to delete", s.Name), nil
	case !at.After(now):
		return false, fmt.Sprintf("stack %s expired at %s: destroying it", s.Name, at.UTC().Format(time.RFC3339)), nil
	case !beforeExpiry:
		return false, "", fmt.Errorf("stack %s is live until %s: to destroy it before its expiry, run destroy.yml with before-expiry; "+
			"a reviewer of the lab-approval environment approves it", s.Name, at.UTC().Format(time.RFC3339))
	default:
		return true, fmt.Sprintf("stack %s is live until %s: destroying it before its expiry once a reviewer approves", s.Name, at.UTC().Format(time.RFC3339)), nil
	}
}

// DeployRequest is what decides whether a deploy job may bring a stack up.
type DeployRequest struct {
	Stack       string        // short name; its file stacks/Pulumi.<stack>.yaml exists at the head
	Manual      bool          // someone asked for this stack by name (workflow_dispatch)
	FileChanged bool          // the push changed the stack's file
	OldExpiry   string        // eks-lab:expiry in the stack file before the push ("" when unset or new)
	NewExpiry   string        // eks-lab:expiry in the stack file at the head ("" when unset)
	Paused      bool          // eks-lab:paused is true in the stack file at the head
	Backend     *BackendStack // nil when the backend has no such stack
	Now         time.Time
}

// DecideDeploy says whether the job may run `pulumi up`, and why. A push
// updates the stacks that are live and not expired; it never brings back a
// stack that expired or was destroyed (the program would give it a fresh
// 8-hour expiry) unless the push sets a new eks-lab:expiry in its file. A new
// stack comes up when its file is added or changed. A manual run deploys the
// stack it names. No run deploys a stack whose eks-lab:expiry has passed, nor
// a paused one with nothing deployed: the program refuses to pause a lab
// that is not up.
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
	case r.Paused && !deployed:
		return false, fmt.Sprintf("stack %s has eks-lab:paused: true in %s and nothing deployed: a lab is paused after it has been up; "+
			"remove eks-lab:paused from the file to bring it up", r.Stack, StackFile(r.Stack)), nil
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
	config, err := fileConfig(content)
	if err != nil {
		return "", err
	}
	v := config["eks-lab:expiry"]
	if v == nil { // absent, or "key:" with no value
		return "", nil
	}
	if t, ok := v.(time.Time); ok { // YAML reads an unquoted timestamp as a time
		return t.UTC().Format(time.RFC3339), nil
	}
	return fmt.Sprint(v), nil
}

// FilePaused returns eks-lab:paused from a stack file's content: false
// when the file or the key is absent.
func FilePaused(content []byte) (bool, error) {
	config, err := fileConfig(content)
	if err != nil {
		return false, err
	}
	v := config["eks-lab:paused"]
	if v == nil { // absent, or "key:" with no value
		return false, nil
	}
	paused, err := strconv.ParseBool(fmt.Sprint(v))
	if err != nil {
		return false, fmt.Errorf("eks-lab:paused = %q is not true or false", fmt.Sprint(v))
	}
	return paused, nil
}

// fileConfig is the config section of a stack file's content.
func fileConfig(content []byte) (map[string]any, error) {
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %v", err)
	}
	return doc.Config, nil
}
