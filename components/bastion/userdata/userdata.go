// Package userdata renders the bastion's cloud-init script: the lab's
// environment variables first, then kubectl, helm and eksctl, each at its
// pin of internal/versions and installed only after its download matches the
// publisher's SHA-256. Pure Go, tested without the Pulumi SDKs.
package userdata

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/eks-study/lab/internal/versions"
)

// UserData is what the bastion needs to know to set itself up.
type UserData struct {
	ClusterName       string
	Region            string
	KubernetesVersion string // kubectl follows the cluster's minor version
	Arm               bool
	Domain            string // MyDomain, may be empty
	HostedZoneID      string // MyDnzHostedZoneId, may be empty
}

// ProfilePath is where the lab's environment variables are written.
const ProfilePath = "/etc/profile.d/eks-lab.sh"

var safeValue = regexp.MustCompile(`^[A-Za-z0-9._/-]*$`)

// Render returns the cloud-init shell script. Values are checked, not
// escaped: they come from validated config and must stay plain words.
func (u UserData) Render() (string, error) {
	for _, v := range []string{u.ClusterName, u.Region, u.KubernetesVersion, u.Domain, u.HostedZoneID} {
		if !safeValue.MatchString(v) {
			return "", fmt.Errorf("bastion user data: value %q has characters unsafe in a shell script", v)
		}
	}
	kubectl, ok := versions.Kubectl[u.KubernetesVersion]
	if !ok {
		return "", fmt.Errorf("bastion user data: no kubectl pinned for Kubernetes %q (pinned: %s)",
			u.KubernetesVersion, strings.Join(versions.KubectlMinors(), ", "))
	}
	arch := "amd64"
	if u.Arm {
		arch = "arm64"
	}
	type download struct{ Version, URL, SHA256, Binary string }
	pin := func(a versions.Archive) download {
		url, sum, bin := a.For(arch)
		return download{a.Version, url, sum, bin}
	}
	var buf bytes.Buffer
	err := userDataTemplate.Execute(&buf, struct {
		UserData
		ProfilePath, Kubectl, KubectlURL string
		Helm, Eksctl                     download
	}{
		u, ProfilePath, kubectl, "https://dl.k8s.io/release/" + kubectl + "/bin/linux/" + arch + "/kubectl",
		pin(versions.Helm), pin(versions.Eksctl),
	})
	return buf.String(), err
}

// userDataTemplate is what every bastion runs. Its text is part of the
// instance's inputs, so an edit updates every live lab's bastion: the
// comment naming components/bastion/tools (now internal/versions) stays as
// the labs have it.
var userDataTemplate = template.Must(template.New("userdata").Parse(strings.TrimLeft(`
#!/bin/bash
# EKS lab bastion setup (cloud-init). Log: /var/log/cloud-init-output.log
# No errexit: the environment comes first, and a failed download only warns.
set -uxo pipefail
warn() { echo "EKS LAB WARNING: $* failed; see /var/log/cloud-init-output.log" | tee -a /etc/motd; }

cat > {{.ProfilePath}} <<'PROFILE'
# Environment the lab exercises assume (written by the EKS lab user data).
export CLUSTER_NAME={{.ClusterName}}
export AWS_DEFAULT_REGION={{.Region}}
export MyDomain={{.Domain}}
export MyDnzHostedZoneId={{.HostedZoneID}}
if [ -z "${ACCOUNT_ID:-}" ]; then
  ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text 2>/dev/null || true)"
  export ACCOUNT_ID
fi
# The instance role has a cluster-admin access entry; write a kubeconfig once.
if [ ! -f "$HOME/.kube/config" ]; then
  aws eks update-kubeconfig --name "$CLUSTER_NAME" --region "$AWS_DEFAULT_REGION" >/dev/null 2>&1 || true
fi
# N1, N2, N3...: node private IPs ordered by AZ, as the exercises use them.
i=1
for ip in $(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.labels.topology\.kubernetes\.io/zone}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' 2>/dev/null | sort | awk '{print $2}'); do
  export "N$i=$ip"
  i=$((i + 1))
done
unset i ip
if [ -n "${BASH_VERSION:-}" ]; then
  source <(kubectl completion bash 2>/dev/null || true)
  alias k=kubectl
  complete -o default -F __start_kubectl k
fi
PROFILE
chmod 0644 {{.ProfilePath}}

# AL2023 ships the AWS CLI v2 as "aws".
dnf install -y jq git tar gzip bash-completion || warn "dnf install"

# Each tool: one pinned version, installed only after its download matches
# the publisher's SHA-256 (see components/bastion/tools for the sources).
tmp="$(mktemp -d)"
# fetch URL FILE SHA256: download URL to FILE and check it.
fetch() { curl -fsSLo "$2" "$1" && echo "$3  $2" | sha256sum --check --strict; }

# kubectl {{.Kubectl}} for the cluster's {{.KubernetesVersion}} (kubectl supports one minor of skew),
# checked against the .sha256 dl.k8s.io publishes for this exact version.
kubectl_sha256="$(curl -fsSL {{.KubectlURL}}.sha256)" &&
  fetch {{.KubectlURL}} "$tmp/kubectl" "$kubectl_sha256" &&
  install -m 0755 "$tmp/kubectl" /usr/local/bin/kubectl || warn "kubectl install"

# helm {{.Helm.Version}}
fetch {{.Helm.URL}} "$tmp/helm.tar.gz" {{.Helm.SHA256}} &&
  tar -xzf "$tmp/helm.tar.gz" -C "$tmp" {{.Helm.Binary}} &&
  install -m 0755 "$tmp/{{.Helm.Binary}}" /usr/local/bin/helm || warn "helm install"

# eksctl {{.Eksctl.Version}}
fetch {{.Eksctl.URL}} "$tmp/eksctl.tar.gz" {{.Eksctl.SHA256}} &&
  tar -xzf "$tmp/eksctl.tar.gz" -C "$tmp" {{.Eksctl.Binary}} &&
  install -m 0755 "$tmp/{{.Eksctl.Binary}}" /usr/local/bin/eksctl || warn "eksctl install"
rm -rf "$tmp"
`, "\n")))
