package bastion

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"text/template"
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
	arch := "amd64"
	if u.Arm {
		arch = "arm64"
	}
	var buf bytes.Buffer
	err := userDataTemplate.Execute(&buf, struct {
		UserData
		Arch, ProfilePath string
	}{u, arch, ProfilePath})
	return buf.String(), err
}

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

# AL2023 ships the AWS CLI v2 as "aws"; openssl is for helm's checksum check.
dnf install -y jq git tar gzip bash-completion openssl || warn "dnf install"

# kubectl at the cluster's minor version (kubectl supports +/-1 minor skew).
KUBECTL_VERSION="$(curl -fsSL https://dl.k8s.io/release/stable-{{.KubernetesVersion}}.txt)" &&
  curl -fsSLo /usr/local/bin/kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/{{.Arch}}/kubectl" &&
  chmod 0755 /usr/local/bin/kubectl || warn "kubectl install"

curl -fsSL https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-3 | HELM_INSTALL_DIR=/usr/local/bin bash || warn "helm install"
curl -fsSL "https://github.com/eksctl-io/eksctl/releases/latest/download/eksctl_Linux_{{.Arch}}.tar.gz" | tar -xz -C /usr/local/bin || warn "eksctl install"
`, "\n")))
