// Package tools pins the command-line tools the bastion installs: each
// download is one exact version, checked against its publisher's SHA-256
// before it is installed. Pure data, so that config validation can refuse a
// Kubernetes version the bastion has no kubectl for.
package tools

import (
	"sort"
	"strings"
)

// Kubectl is the kubectl release per Kubernetes minor version: kubectl
// supports one minor of skew, so the bastion's follows the cluster's.
// The bastion checks each download against the .sha256 file dl.k8s.io
// publishes beside the binary for that exact version
// (https://dl.k8s.io/release/<version>/bin/linux/<arch>/kubectl.sha256):
// the values could not be read here to pin them in the repository.
// To add a minor, add its latest patch release.
var Kubectl = map[string]string{
	"1.34": "v1.34.4",
	"1.35": "v1.35.4",
	"1.36": "v1.36.3",
	"1.37": "v1.37.2",
}

// KubectlMinors lists the supported minors, sorted.
func KubectlMinors() []string {
	var out []string
	for m := range Kubectl {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return minorLess(out[i], out[j]) })
	return out
}

func minorLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Archive is a release archive and the SHA-256 its publisher gives, per
// architecture (amd64, arm64).
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

// Helm 3 at the version of the helm.sh/helm/v3 module the project builds
// with. The checksums are the ones Helm's v3.22.0 release notes list per
// archive (https://github.com/helm/helm/releases/tag/v3.22.0, "Installation
// and Upgrading"), the same values as get.helm.sh's .sha256sum files.
var Helm = Archive{
	Version: "v3.22.0",
	URL:     "https://get.helm.sh/helm-v3.22.0-linux-{arch}.tar.gz",
	SHA256: map[string]string{
		"amd64": "1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb",
		"arm64": "f14e804dfee240f55525b667488fe9adca349e63e00c9af634c0beb1421ac310",
	},
	Binary: "linux-{arch}/helm",
}

// Eksctl at a release whose checksums eksctl's release automation
// published in the Homebrew formula GoReleaser generates from the release's
// archives (github.com/aws/homebrew-tap, Formula/eksctl.rb at commit
// 8e11364, "Update eksctl to v0.228.0", by github-actions[bot]).
var Eksctl = Archive{
	Version: "v0.228.0",
	URL:     "https://github.com/eksctl-io/eksctl/releases/download/v0.228.0/eksctl_Linux_{arch}.tar.gz",
	SHA256: map[string]string{
		"amd64": "967ec8b9eccc070f22c8be83ec5b008a69d243cefda0a41ca9008a6bfd13eb23",
		"arm64": "059f11f9e4cc4ce8fb4efa744dc5a9acaabe86019becd39ffd0c291e44269001",
	},
	Binary: "eksctl",
}
