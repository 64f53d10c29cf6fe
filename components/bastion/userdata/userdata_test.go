package userdata

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/eks-study/lab/internal/versions"
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
		"/release/" + versions.Kubectl["1.35"] + "/bin/linux/amd64/kubectl", // kubectl at the cluster's minor version
		"helm-" + versions.Helm.Version + "-linux-amd64.tar.gz", "eksctl_Linux_amd64.tar.gz", "dnf install -y jq",
		"export CLUSTER_NAME=myeks", "export AWS_DEFAULT_REGION=ap-northeast-2",
		"export MyDomain=lab.example.com", "export MyDnzHostedZoneId=Z0123456789ABC",
		"ACCOUNT_ID=", `export "N$i=$ip"`, "aws eks update-kubeconfig --name \"$CLUSTER_NAME\"",
		ProfilePath,
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

func render(t *testing.T, arm bool) string {
	t.Helper()
	script, err := UserData{ClusterName: "myeks", Region: "ap-northeast-2", KubernetesVersion: "1.35", Arm: arm}.Render()
	if err != nil {
		t.Fatal(err)
	}
	return script
}

// The bastion holds AdministratorAccess: what it installs must be the
// version we chose, checked against the publisher's SHA-256 before it is
// installed, never a script or a "latest" from a branch.
func TestUserDataPinsEachToolAndChecksItBeforeInstalling(t *testing.T) {
	for _, c := range []struct {
		arm  bool
		arch string
	}{{false, "amd64"}, {true, "arm64"}} {
		script := render(t, c.arm)
		for _, bad := range []string{"latest", "| bash", "|bash", "stable-", "raw.githubusercontent.com", "get-helm"} {
			if strings.Contains(script, bad) {
				t.Errorf("%s: user data contains %q", c.arch, bad)
			}
		}
		helmURL, helmSum, _ := versions.Helm.For(c.arch)
		eksctlURL, eksctlSum, _ := versions.Eksctl.For(c.arch)
		kubectlURL := "https://dl.k8s.io/release/" + versions.Kubectl["1.35"] + "/bin/linux/" + c.arch + "/kubectl"
		for _, tool := range []struct{ name, check string }{
			{"kubectl", `fetch ` + kubectlURL + ` "$tmp/kubectl" "$kubectl_sha256"`},
			{"helm", "fetch " + helmURL + ` "$tmp/helm.tar.gz" ` + helmSum},
			{"eksctl", "fetch " + eksctlURL + ` "$tmp/eksctl.tar.gz" ` + eksctlSum},
		} {
			check := strings.Index(script, tool.check)
			install := strings.Index(script, "/usr/local/bin/"+tool.name+" ||")
			if check < 0 || install < 0 || check > install {
				t.Errorf("%s: %s is not installed after its checksum check %q", c.arch, tool.name, tool.check)
			}
		}
		if !strings.Contains(script, `kubectl_sha256="$(curl -fsSL `+kubectlURL+`.sha256)"`) {
			t.Errorf("%s: kubectl is not checked against dl.k8s.io's .sha256 of the same version", c.arch)
		}
		// Every download names an exact version.
		for _, url := range regexp.MustCompile(`https://[^ "]+`).FindAllString(script, -1) {
			if !regexp.MustCompile(`/v[0-9]+\.[0-9]+\.[0-9]+/|-v[0-9]+\.[0-9]+\.[0-9]+-`).MatchString(url) {
				t.Errorf("%s: download without an exact version: %s", c.arch, url)
			}
		}
		if sum := versions.Helm.SHA256[c.arch]; len(sum) != 64 || versions.Eksctl.SHA256[c.arch] == sum {
			t.Errorf("%s: checksum pins look wrong", c.arch)
		}
	}
}

func TestUserDataIsValidBash(t *testing.T) {
	for _, arm := range []bool{false, true} {
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = strings.NewReader(render(t, arm))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("bash -n (arm %t): %v\n%s", arm, err, out)
		}
	}
}

// The rendered fetch function installs nothing whose checksum differs.
func TestUserDataFetchRefusesAWrongChecksum(t *testing.T) {
	var fetch string
	for _, line := range strings.Split(render(t, false), "\n") {
		if strings.HasPrefix(line, "fetch() {") {
			fetch = line
		}
	}
	if fetch == "" {
		t.Fatal("no fetch function in the user data")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "published")
	if err := os.WriteFile(src, []byte("the release archive\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// sha256 of "the release archive\n"
	out, err := exec.Command("sha256sum", src).Output()
	if err != nil {
		t.Fatal(err)
	}
	good := strings.Fields(string(out))[0]
	for _, c := range []struct {
		sum string
		ok  bool
	}{{good, true}, {strings.Repeat("0", 64), false}, {"", false}, {"<html>Not Found</html>", false}} {
		// curl is replaced by a copy: the download is not what is tested.
		script := `curl() { cp "$3" "$2"; }` + "\n" + fetch + "\n" + `fetch "$1" "$2" "$3"`
		cmd := exec.Command("bash", "-c", script, "bash", src, filepath.Join(dir, "got"), c.sum)
		err := cmd.Run()
		if (err == nil) != c.ok {
			t.Errorf("fetch with checksum %q: err = %v, want ok = %t", c.sum, err, c.ok)
		}
	}
}

func TestUserDataRefusesAKubernetesVersionWithoutPinnedKubectl(t *testing.T) {
	_, err := UserData{ClusterName: "c", Region: "us-east-1", KubernetesVersion: "1.29"}.Render()
	if err == nil || !strings.Contains(err.Error(), "1.34, 1.35, 1.36, 1.37") {
		t.Errorf("err = %v, want the pinned minors named", err)
	}
}
