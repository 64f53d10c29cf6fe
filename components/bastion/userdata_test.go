package bastion

import (
	"strings"
	"testing"
)

func TestUserDataInstallsToolsAndWritesTheLabEnvironment(t *testing.T) {
	script, err := UserData{
		ClusterName: "myeks", Region: "ap-northeast-2", KubernetesVersion: "1.35",
		Domain: "lab.example.com", HostedZoneID: "Z0123456789ABC",
	}.Render()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(script, "#!/bin/bash\n") {
		t.Errorf("cloud-init runs user data as a script only with a shebang first:\n%.40s", script)
	}
	for _, want := range []string{
		"stable-1.35.txt", "/bin/linux/amd64/kubectl", // kubectl at the cluster's minor version
		"get-helm-3", "eksctl_Linux_amd64.tar.gz", "dnf install -y jq",
		"export CLUSTER_NAME=myeks", "export AWS_DEFAULT_REGION=ap-northeast-2",
		"export MyDomain=lab.example.com", "export MyDnzHostedZoneId=Z0123456789ABC",
		"ACCOUNT_ID=", `export "N$i=$ip"`, "aws eks update-kubeconfig --name \"$CLUSTER_NAME\"",
		ProfilePath, "openssl",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("user data lacks %q", want)
		}
	}
}

// A failed download must not stop the script before the lab's environment
// is written: the environment comes first and nothing aborts the script.
func TestUserDataWritesTheEnvironmentBeforeAnyDownload(t *testing.T) {
	script, err := UserData{ClusterName: "myeks", Region: "ap-northeast-2", KubernetesVersion: "1.35"}.Render()
	if err != nil {
		t.Fatal(err)
	}
	profile := strings.Index(script, "cat > "+ProfilePath)
	for _, download := range []string{"dnf install", "curl -fsSL"} {
		if i := strings.Index(script, download); i < profile {
			t.Errorf("%q runs before the profile is written", download)
		}
	}
	if strings.Contains(script, "set -e") {
		t.Error("set -e would abort the setup at the first failed download")
	}
}

func TestUserDataArm(t *testing.T) {
	script, err := UserData{ClusterName: "c", Region: "us-east-1", KubernetesVersion: "1.35", Arm: true}.Render()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(script, "/bin/linux/arm64/kubectl") || !strings.Contains(script, "eksctl_Linux_arm64") {
		t.Error("arm64 bastion gets amd64 binaries")
	}
}

func TestUserDataRejectsShellMetacharacters(t *testing.T) {
	if _, err := (UserData{ClusterName: "x; rm -rf /", Region: "r", KubernetesVersion: "1.35"}).Render(); err == nil {
		t.Error("a value with ; was put in a root shell script")
	}
}
