// Package offline is what the lab's offline engine reads and records: a
// stack's config as Pulumi's own loader hands it to the program (the CLI's
// workspace package), and every resource a run of the real program under
// Pulumi's mock engine registers (type, name, inputs, parent, provider,
// dependencies, aliases). internal/offline/mock runs the program; `lab plan`,
// `lab audit` and the whole-program tests read what this package holds.
// It does not link the provider SDKs, so the tool packages built on it, and
// their tests, stay light.
package offline

import (
	"time"

	"github.com/eks-study/lab/infra/config"
)

// Now is the clock of a mock run, so plans are byte-identical; the default
// expiry in a plan is Now + 8h. See Clock.
var Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Clock is the time the program runs at for a stack: Now, unless the stack
// sets eks-lab:expiry. The program checks a set expiry against its clock (in
// the future, at most 7 days ahead), so a fixed clock would refuse every
// real expiry; and with the expiry set, the clock no longer shows in the plan.
// StackConfig.At, when set, overrides both (a past update's own time).
func (s *StackConfig) Clock() time.Time {
	if !s.At.IsZero() {
		return s.At
	}
	if s.Values[config.Namespace+":expiry"] != "" {
		return time.Now()
	}
	return Now
}

// AccountID is the fake account of every mock run.
const AccountID = "123456789012"

// CallerArn is who every mock run deploys as (aws.GetCallerIdentity): a
// member signed in through IAM Identity Center, as most are. The role it
// assumed is arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/
// AWSReservedSSO_AdministratorAccess_0123456789abcdef; the session ARN drops
// the path.
const CallerArn = "arn:aws:sts::" + AccountID + ":assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/study-member"

// Resource is one registered resource.
type Resource struct {
	URN      string         `json:"urn"`
	Type     string         `json:"type"`
	Name     string         `json:"name"`
	Parent   string         `json:"parent,omitempty"`   // parent URN; empty for the stack's children
	Provider string         `json:"provider,omitempty"` // provider reference "urn::id"; empty = default provider
	Custom   bool           `json:"custom"`
	Remote   bool           `json:"remote,omitempty"` // a multi-language component (pulumi-eks)
	Inputs   map[string]any `json:"inputs"`
	// Secrets are the dotted paths of inputs the program marked secret
	// (their values are in Inputs, unwrapped, for the tests to check).
	Secrets []string `json:"-"`
	// IgnoreChanges are the input paths later updates leave alone.
	IgnoreChanges []string `json:"ignoreChanges,omitempty"`
	// DeleteBeforeReplace: a replacement deletes the old resource first.
	DeleteBeforeReplace bool `json:"deleteBeforeReplace,omitempty"`
	// RetainOnDelete: deleting it from the program leaves it in the cluster or account.
	RetainOnDelete bool `json:"retainOnDelete,omitempty"`
	// Dependencies are the URNs it depends on (explicit dependsOn and inputs), sorted.
	Dependencies []string `json:"dependencies"`
	// Aliases are the earlier URNs this resource answers to (pulumi.Aliases),
	// sorted: a rename that keeps a live resource instead of replacing it.
	Aliases []string `json:"aliases,omitempty"`
	// Transforms are the program's transform callbacks registered with it
	// (pulumi.Transforms), which the engine runs on it and its children; see
	// mock.Transformed. Valid while the program's run is (the callbacks are
	// served by the run's process).
	Transforms []Transform `json:"-"`
}

// Plan is everything one run registered.
type Plan struct {
	Stack     string         `json:"stack"`
	Resources []Resource     `json:"resources"` // sorted by URN
	Outputs   map[string]any `json:"outputs"`
}

// Account is what the mock AWS account already holds in the stack's region
// when the program runs: EKS clusters and CloudWatch log groups, by name,
// with their tags. The zero Account is a fresh account.
type Account struct {
	Clusters  map[string]map[string]string
	LogGroups map[string]map[string]string
}

// LabConfig is the lab's typed configuration of the stack, read by the
// program's own config.Load as if the program ran at now.
func (s *StackConfig) LabConfig(now time.Time) (*config.Config, error) {
	return config.Load(config.Namespace, s.Stack, config.MapSource(s.Values, s.Secrets), now)
}

// Transform is a transform callback of the program: the address of the
// run's callback server and the callback's token there.
type Transform struct{ Target, Token string }
