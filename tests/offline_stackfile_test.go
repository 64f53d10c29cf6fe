package tests

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
)

// stackRoot makes a repository root with the project's Pulumi.yaml and one
// stack file.
func stackRoot(t *testing.T, stack, content string) string {
	t.Helper()
	root := t.TempDir()
	project, err := os.ReadFile(offline.ProjectFile(".."))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(offline.ProjectFile(root), project, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "stacks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "stacks", "Pulumi."+stack+".yaml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// The program gets what the CLI hands it: project defaults applied, lists
// as JSON, aws:region from Pulumi.yaml, secure values marked secret.
func TestLoadStackHandsTheProgramWhatTheCLIWould(t *testing.T) {
	t.Parallel()
	root := stackRoot(t, "s", `config:
  eks-lab:sshCidr: 203.0.113.7/32
  eks-lab:nodeMaxSize: 4
  eks-lab:endpointPublicAccessCidrs:
    - 203.0.113.7/32
    - 198.51.100.0/24
  aws:secretKey:
    secure: v1:c2VjcmV0:c2VjcmV0
`)
	cfg, err := offline.LoadStack(root, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"eks-lab:sshCidr":                   "203.0.113.7/32",
		"eks-lab:nodeMaxSize":               "4",
		"eks-lab:endpointPublicAccessCidrs": `["203.0.113.7/32","198.51.100.0/24"]`,
		"eks-lab:adminRoleArns":             "[]",             // Pulumi.yaml's default
		"eks-lab:nodeInstanceType":          "t3.medium",      // Pulumi.yaml's default
		"aws:region":                        "ap-northeast-2", // Pulumi.yaml's value
		"aws:secretKey":                     offline.Secret,
	} {
		if got := cfg.Values[key]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if !slices.Equal(cfg.Secrets, []string{"aws:secretKey"}) {
		t.Errorf("secret keys %v, want [aws:secretKey]", cfg.Secrets)
	}

	// The program sees the secret as one, as it would under `pulumi up`.
	var secret, plain bool
	_, err = mock.RunWithConfig(cfg, func(ctx *pulumi.Context) error {
		secret, plain = ctx.IsConfigSecret("aws:secretKey"), ctx.IsConfigSecret("eks-lab:sshCidr")
		return nil
	})
	if err != nil || !secret || plain {
		t.Errorf("secret %v, plain key secret %v (%v)", secret, plain, err)
	}
	// The program refuses the credential before registering anything, and
	// its refusal carries neither the ciphertext nor the blinded value.
	p, err := mock.Run(cfg)
	if err == nil || !strings.Contains(err.Error(), "aws:secretKey = [value not shown") || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("got %v, want aws:secretKey refused, its value not shown", err)
	}
	if len(p.Resources) > 0 {
		t.Errorf("%d resources registered before the refusal", len(p.Resources))
	}
}

func TestLoadStackSetsValuesAsTheCLIStoresThem(t *testing.T) {
	t.Parallel()
	root := stackRoot(t, "s", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n")
	cfg, err := offline.LoadStack(root, "s", map[string]string{"eks-lab:adminRoleArns": `["arn:aws:iam::123456789012:role/ci"]`, "eks-lab:nodeMaxSize": "5"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Values["eks-lab:adminRoleArns"] != `["arn:aws:iam::123456789012:role/ci"]` || cfg.Values["eks-lab:nodeMaxSize"] != "5" {
		t.Errorf("values %v", cfg.Values)
	}
	if _, err := offline.LoadStack(root, "s", map[string]string{"eks-lab:nodeMaxSize": "five"}); err == nil || !strings.Contains(err.Error(), "must be of type 'integer'") {
		t.Errorf("a value set on top is not type-checked by Pulumi: %v", err)
	}
}

func TestLoadStackRefusesBadStackNames(t *testing.T) {
	t.Parallel()
	if _, err := offline.LoadStack("..", "dev/../../etc", nil); err == nil || !strings.Contains(err.Error(), "a stack name may only contain") {
		t.Errorf("got %v, want Pulumi's stack name error", err)
	}
}

// An unquoted RFC 3339 time in a stack file is a YAML timestamp: Pulumi's
// loader turns it into Go's time format, which the program must take too.
func TestAnUnquotedExpiryIsAccepted(t *testing.T) {
	t.Parallel()
	// A set expiry is checked against the real clock (StackConfig.Clock).
	expiry := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Minute)
	root := stackRoot(t, "s", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  eks-lab:expiry: "+expiry.Format(time.RFC3339)+"\n")
	cfg, err := offline.LoadStack(root, "s", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Values["eks-lab:expiry"]; got != expiry.String() {
		t.Errorf("Pulumi's loader gives %q, want %q; the program's parsing must follow it", got, expiry.String())
	}
	p, err := mock.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Outputs["expiry"]; got != expiry.Format(time.RFC3339) {
		t.Errorf("expiry output %v, want %s", got, expiry.Format(time.RFC3339))
	}
}
