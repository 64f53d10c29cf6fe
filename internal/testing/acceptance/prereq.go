// Package acceptance holds the steps and checks of the acceptance test
// (tests/acceptance), which brings a real lab up in an AWS account, checks
// that it serves, tears it down and audits that nothing is left. Each check
// is a plain function, unit-tested here against local servers and fixtures,
// so `go test ./...` exercises them without an AWS account.
package acceptance

import (
	"fmt"
	"strings"
	"time"
)

// Environment variables the acceptance test reads.
const (
	// EnvOptIn must be 1: the test bills the AWS account it runs in.
	EnvOptIn = "LAB_ACCEPTANCE"
	// EnvStack names the stack file to bring up (default DefaultStack).
	EnvStack = "LAB_ACCEPTANCE_STACK"
	// EnvSSHCidr overrides the caller's public address (default: asked of CheckIPURL).
	EnvSSHCidr = "LAB_ACCEPTANCE_SSH_CIDR"
	// EnvDomain and EnvHostedZoneID, set together, install ExternalDNS for
	// that Route 53 zone and the tetris sample, whose name the test resolves.
	EnvDomain       = "LAB_ACCEPTANCE_DOMAIN"
	EnvHostedZoneID = "LAB_ACCEPTANCE_HOSTED_ZONE_ID"
)

// DefaultStack is the stack file the test brings up: the study's lab.
const DefaultStack = "dev"

// Time budget of one run.
const (
	// MinTimeout is the least `go test -timeout` the test accepts: when it
	// fires, the test binary exits at once and nothing destroys the lab.
	MinTimeout = 115 * time.Minute
	// TeardownReserve is kept for destroy, audit and stack rm: the steps
	// before them stop (gracefully) when only this much time is left.
	TeardownReserve = 40 * time.Minute
	// RunLifetime is the expiry the run's stack file sets: the program
	// refuses an expiry that has passed, and the resume runs about an hour
	// and a quarter after the start.
	RunLifetime = 2 * time.Hour
)

// Prerequisites are what the test found on the machine.
type Prerequisites struct {
	OptIn          string // the value of EnvOptIn
	PulumiErr      error  // looking up the pulumi CLI on PATH
	AWSCLIErr      error  // looking up the aws CLI on PATH: the kubeconfig runs `aws eks get-token`
	CredentialsErr error  // retrieving AWS credentials
}

// Missing is one line naming every missing prerequisite and how to get it;
// "" when nothing is missing.
func (p Prerequisites) Missing() string {
	var m []string
	if p.OptIn != "1" {
		m = append(m, EnvOptIn+"=1 (the opt-in: the test brings up a lab in your AWS account, about $0.80 of charges: docs/acceptance.md)")
	}
	if p.PulumiErr != nil {
		m = append(m, "the pulumi CLI on PATH (https://www.pulumi.com/docs/install/)")
	}
	if p.AWSCLIErr != nil {
		m = append(m, "the aws CLI v2 on PATH (the cluster's kubeconfig runs `aws eks get-token`)")
	}
	if p.CredentialsErr != nil {
		first, _, _ := strings.Cut(p.CredentialsErr.Error(), "\n")
		m = append(m, fmt.Sprintf("AWS credentials (`aws sts get-caller-identity` must work: %s)", first))
	}
	if len(m) == 0 {
		return ""
	}
	return "acceptance test skipped; missing: " + strings.Join(m, "; ")
}
