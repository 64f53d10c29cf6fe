// Package versions holds every version pin of the project, each in one
// place: what the lab deploys (the controllers' charts and apps, the
// bastion's tools with their checksums, which change together), what the
// test tiers run against (the kube-apiserver, moto and awscli, ExternalDNS,
// the pulumi CLI) and the CI's Go tools. Pure data that imports nothing:
// components read the pins from here; scripts and workflows with
// `go run ./cmd/lab-ci version NAME`, which builds in seconds; and the
// tables of pins in docs/samples.md and docs/architecture.md are generated
// from Pins (internal/docgen).
package versions

import (
	"fmt"
	"slices"
	"strings"
)

// PulumiCLI is the pulumi CLI release the project runs. Used by
// .ci/pulumi-cli.sh (the CLI test tier builds it from source), by
// .github/actions/pulumi-cli (the workflows install it with pulumi/actions),
// and by tests/tier_cli_test.go (which asserts that release's messages).
const PulumiCLI = "v3.274.1"

// The AWS Load Balancer Controller (kubernetes-sigs/aws-load-balancer-controller).
// Since chart 3.0.0 the chart's version is the controller's. The IAM policy
// the program embeds is the controller's docs/install/iam_policy.json of
// tag LBController, byte for byte (components/lbcontroller/awslbc, whose file
// name carries the version: a test checks it), and the vendored CRDs are the
// chart's crds/ at LBControllerCommit: bump the three together and replace
// those files from the new tag (docs/samples.md, "Pinned versions").
const (
	LBControllerChart = "3.5.0"
	LBController      = "v3.5.0"
	// LBControllerCommit is the commit tagged LBController. Its helm/ chart
	// is the one eks-charts publishes as LBControllerChart
	// (stable/aws-load-balancer-controller, identical); files are read by
	// commit, which unlike a tag cannot move.
	LBControllerCommit = "11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4"
)

// Gateway API (kubernetes-sigs/gateway-api), the standard channel the
// load balancer controller serves Gateways with: "The LBC is built for
// Gateway API version v1.6.0" (docs/guide/gateway/gateway.md at
// LBController). The program applies the release's standard-install.yaml,
// vendored in components/lbcontroller/awslbc/crds (a test pins its SHA-256),
// when a Gateway sample is on. GatewayAPICommit is the commit tag GatewayAPI
// names (a lightweight tag).
const (
	GatewayAPI       = "v1.6.0"
	GatewayAPICommit = "89b3b0c3fa63f9342f43ba0fb2cf93d6aab53af7"
)

// ExternalDNS (kubernetes-sigs/external-dns): chart (charts/external-dns at
// tag external-dns-helm-chart-1.21.1, commit 9f26451) and app. The newest
// chart ships app 0.21.0; the newest app is v0.22.0 (tag v0.22.0, commit
// 994f908), which the release runs through image.tag. Every flag chart
// 1.21.1 passes exists in v0.22.0 (docs/flags.md at v0.22.0). The ExternalDNS
// test tier (.ci/externaldns-tier.sh) builds the same app version.
const (
	ExternalDNSChart = "1.21.1"
	ExternalDNS      = "v0.22.0"
)

// Kubectl is the bastion's kubectl release per Kubernetes minor version:
// kubectl supports one minor of skew, so the bastion's follows the cluster's,
// and config refuses a minor without a pin. The bastion checks each download
// against the .sha256 file dl.k8s.io publishes beside the binary for that
// exact version (https://dl.k8s.io/release/<version>/bin/linux/<arch>/kubectl.sha256):
// the values could not be read here to pin them in the repository. To add a
// minor, add its latest patch release.
var Kubectl = map[string]string{
	"1.34": "v1.34.4",
	"1.35": "v1.35.4",
	"1.36": "v1.36.3",
	"1.37": "v1.37.2",
}

// KubectlMinors lists the minors Kubectl pins, oldest first.
func KubectlMinors() []string {
	out := make([]string, 0, len(Kubectl))
	for m := range Kubectl {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
	return out
}

// Archive is a release archive and the SHA-256 its publisher gives, per
// architecture (amd64, arm64): a version and its checksums change together.
type Archive struct {
	Version string
	URL     string            // with {arch} for the architecture
	SHA256  map[string]string // by architecture
	Binary  string            // the path of the binary inside the archive, with {arch}
}

// For returns the archive's URL, checksum and binary path for arch.
func (a Archive) For(arch string) (url, sha256, binary string) {
	return strings.ReplaceAll(a.URL, "{arch}", arch), a.SHA256[arch], strings.ReplaceAll(a.Binary, "{arch}", arch)
}

// Helm is the bastion's helm: Helm 3 at the version of the helm.sh/helm/v3
// module the project builds with. The checksums are the ones Helm's v3.22.0
// release notes list per archive (https://github.com/helm/helm/releases/tag/v3.22.0,
// "Installation and Upgrading"), the same values as get.helm.sh's .sha256sum files.
var Helm = Archive{
	Version: "v3.22.0",
	URL:     "https://get.helm.sh/helm-v3.22.0-linux-{arch}.tar.gz",
	SHA256: map[string]string{
		"amd64": "1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb",
		"arm64": "f14e804dfee240f55525b667488fe9adca349e63e00c9af634c0beb1421ac310",
	},
	Binary: "linux-{arch}/helm",
}

// Eksctl is the bastion's eksctl, at a release whose checksums eksctl's
// release automation published in the Homebrew formula GoReleaser generates
// from the release's archives (github.com/aws/homebrew-tap, Formula/eksctl.rb
// at commit 8e11364, "Update eksctl to v0.228.0", by github-actions[bot]).
var Eksctl = Archive{
	Version: "v0.228.0",
	URL:     "https://github.com/eksctl-io/eksctl/releases/download/v0.228.0/eksctl_Linux_{arch}.tar.gz",
	SHA256: map[string]string{
		"amd64": "967ec8b9eccc070f22c8be83ec5b008a69d243cefda0a41ca9008a6bfd13eb23",
		"arm64": "059f11f9e4cc4ce8fb4efa744dc5a9acaabe86019becd39ffd0c291e44269001",
	},
	Binary: "eksctl",
}

// KubeTier is the Kubernetes release whose kube-apiserver and
// kube-controller-manager the kube-apiserver test tier builds from the Go
// module k8s.io/kubernetes (.ci/kube-tier.sh).
const KubeTier = "v1.35.4"

// The AWS API emulator tier (.ci/moto-tier.sh): moto, and awscli beside it
// (the tests run the delete commands `lab audit` prints).
const (
	Moto   = "5.2.1"
	AWSCLI = "1.45.11"
)

// The CI's Go tools (.ci/install-tools.sh): actionlint lints the workflows,
// staticcheck the Go code, gojq is the jq the workflows' steps (and
// tests/workflows_test.go) run, and gremlins mutates the pure packages
// to measure their tests (.ci/mutation.sh).
const (
	Actionlint  = "v1.7.9"
	Staticcheck = "v0.8.2"
	Gojq        = "v0.12.17"
	Gremlins    = "v0.6.0"
)

// Pin is one pinned version, by the name `lab-ci version` knows it by.
type Pin struct {
	Name    string
	Version string
	// What it pins, and where it comes from, for the docs' tables.
	What string
	// Deployed is true for what the lab installs in AWS, false for what its
	// tests and CI run.
	Deployed bool
}

// Pins lists every pin, the deployed ones first.
func Pins() []Pin {
	pins := []Pin{
		{"lb-controller-chart", LBControllerChart, "AWS Load Balancer Controller chart `aws-load-balancer-controller` (https://aws.github.io/eks-charts)", true},
		{"lb-controller", LBController, "AWS Load Balancer Controller app, its IAM policy (`components/lbcontroller/awslbc/iam_policy_" + LBController + ".json`) and CRDs", true},
		{"lb-controller-commit", LBControllerCommit, "the commit of tag " + LBController + " the CRDs and the chart were read at", true},
		{"gateway-api", GatewayAPI, "Gateway API CRDs, standard channel (`components/lbcontroller/awslbc/crds/gateway-api-standard-install.yaml`), with a Gateway sample on", true},
		{"gateway-api-commit", GatewayAPICommit, "the commit of tag " + GatewayAPI + " the standard channel's file was rebuilt from", true},
		{"external-dns-chart", ExternalDNSChart, "ExternalDNS chart `external-dns` (https://kubernetes-sigs.github.io/external-dns/)", true},
		{"external-dns", ExternalDNS, "ExternalDNS app (`image.tag`; the chart ships 0.21.0), and the ExternalDNS test tier's binary", true},
	}
	for _, minor := range KubectlMinors() {
		pins = append(pins, Pin{"kubectl-" + minor, Kubectl[minor], "the bastion's kubectl for Kubernetes " + minor + " (checked against dl.k8s.io's .sha256)", true})
	}
	return append(pins,
		Pin{"helm", Helm.Version, "the bastion's helm (SHA-256 pinned per architecture)", true},
		Pin{"eksctl", Eksctl.Version, "the bastion's eksctl (SHA-256 pinned per architecture)", true},
		Pin{"pulumi-cli", PulumiCLI, "the pulumi CLI of the workflows and of the CLI test tier", false},
		Pin{"kube-tier", KubeTier, "kube-apiserver and kube-controller-manager of the kube-apiserver test tier", false},
		Pin{"moto", Moto, "moto, the AWS API emulator of the emulator test tier", false},
		Pin{"awscli", AWSCLI, "awscli beside moto, which runs the delete commands `lab audit` prints", false},
		Pin{"actionlint", Actionlint, "actionlint, the CI's workflow linter", false},
		Pin{"staticcheck", Staticcheck, "staticcheck, the CI's Go linter", false},
		Pin{"gojq", Gojq, "gojq, the jq of the workflows' steps", false},
		Pin{"gremlins", Gremlins, "gremlins, the mutation tester of `.ci/mutation.sh`", false},
	)
}

// Lookup returns the version of the pin of that name.
func Lookup(name string) (string, error) {
	var names []string
	for _, p := range Pins() {
		if p.Name == name {
			return p.Version, nil
		}
		names = append(names, p.Name)
	}
	return "", fmt.Errorf("no pin %q; the pins are %s", name, strings.Join(names, ", "))
}
