// Package motoserver runs moto, the AWS API emulator, for tests: the
// emulator tier. LAB_MOTO is the command that starts it (.ci/moto-tier.sh
// finds or installs moto at versions.Moto and prints it, and .ci/run exports it). A test
// package calls Main from its TestMain, and each test Config or Env, which
// reset the emulator to an empty account.
//
// Tests that use it must not run in parallel: they share one emulator.
package motoserver

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/eks-study/lab/internal/testing/tier"
	"github.com/eks-study/lab/internal/versions"
)

// Region is the region tests use; AccountID is moto's default account.
const (
	Region    = "ap-northeast-2"
	AccountID = "123456789012"
)

var server struct {
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
}

// Main runs the package's tests and stops the emulator if one started.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the emulator if one started: for a TestMain that also stops
// other servers (kubetest.Main) and so cannot call Main.
func Stop() {
	if server.cmd != nil {
		_ = server.cmd.Process.Kill()
		_ = server.cmd.Wait()
	}
}

// URL starts the emulator once per test binary, resets it to an empty
// account and returns its endpoint. Without LAB_MOTO the test is skipped,
// or fails under LAB_TIERS_REQUIRED=1 (tier.Missing), with the reason
// .ci/moto-tier.sh gave (LAB_MOTO_MISSING) or how to get moto.
func URL(t testing.TB) string {
	t.Helper()
	command := os.Getenv("LAB_MOTO")
	if command == "" {
		missing(t)
	}
	server.once.Do(func() { server.url, server.cmd, server.err = start(command) })
	if server.err != nil {
		t.Fatalf("emulator tier: starting %q: %v", command, server.err)
	}
	resp, err := http.Post(server.url+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("emulator tier: reset: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("emulator tier: reset: %s", resp.Status)
	}
	return server.url
}

// missing skips or fails t, the emulator not being there.
func missing(t testing.TB) {
	t.Helper()
	if why := os.Getenv("LAB_MOTO_MISSING"); why != "" {
		tier.Missing(t, "emulator tier: "+why)
	}
	tier.Missing(t, "emulator tier: LAB_MOTO is not set; to run it: eval \"$(bash .ci/moto-tier.sh)\" (needs moto "+versions.Moto+", the AWS API emulator, under python3)")
}

// Config is an AWS configuration for the emulator with static credentials.
// A call is retried only when the connection breaks: the emulator's HTTP
// server resets connections now and then under load ("use of closed network
// connection" reading a 200's body, seen once in a .ci/run), which the SDK's
// default retryer retries for a real account too (aws-sdk-go-v2
// aws/retry/retryable_error.go, RetryableConnectionError). An answer of the
// emulator's, error or not, is the test's to see at once.
func Config(t testing.TB) aws.Config {
	t.Helper()
	url := URL(t)
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDMOTOTEST", "secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      connectionRetryer,
	}
}

func connectionRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.RateLimiter = ratelimit.None
	})
}

// Env points code that loads the default AWS configuration (environment,
// shared files, ...) at the emulator, with static credentials and no
// region: the code must take the region from its own input.
func Env(t *testing.T) {
	t.Helper()
	url := URL(t)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            url,
		"AWS_ACCESS_KEY_ID":           "AKIDMOTOTEST",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
		// The SDK's default, 3 attempts, as a member's lab audit has: it
		// also retries the connections the emulator resets (see Config).
		"AWS_MAX_ATTEMPTS": "",
	} {
		t.Setenv(k, v)
	}
}

// CLIEnv returns the environment in which `aws ...` runs the AWS CLI
// against the emulator at endpoint (Config's BaseEndpoint): PATH starts with a directory whose aws runs the CLI
// (awscli at versions.AWSCLI, which .ci/moto-tier.sh installs beside moto, under the
// python that runs moto; else an aws on PATH), and the endpoint and
// credentials point at the emulator. Tests run the delete commands the
// audit prints with it, as a member would.
func CLIEnv(t *testing.T, endpoint string) []string {
	t.Helper()
	dir := t.TempDir()
	var script string
	if f := strings.Fields(os.Getenv("LAB_MOTO")); len(f) == 3 && f[1] == "-m" && f[2] == "moto.server" &&
		exec.Command(f[0], "-m", "awscli", "--version").Run() == nil {
		script = "#!/bin/sh\nexec " + f[0] + " -m awscli \"$@\"\n"
	} else if aws, err := exec.LookPath("aws"); err == nil {
		script = "#!/bin/sh\nexec " + aws + " \"$@\"\n"
	} else {
		tier.Missing(t, "emulator tier: no AWS CLI (python -m awscli beside moto, or aws on PATH) to run the printed commands; "+
			"to get it: eval \"$(bash .ci/moto-tier.sh)\"")
	}
	if err := os.WriteFile(dir+"/aws", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// None of the caller's AWS settings: the CLI takes an empty
	// AWS_PROFILE for a profile's name.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "PATH=") })
	return append(env,
		"PATH="+dir+":"+os.Getenv("PATH"),
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID=AKIDMOTOTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	)
}

var running = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)

// start runs command on a free loopback port (port 0: the server picks one
// and prints it, so no other process can take it in between).
func start(command string) (string, *exec.Cmd, error) {
	args := append(strings.Fields(command), "-H", "127.0.0.1", "-p", "0")
	cmd := exec.Command(args[0], args[1:]...)
	out, err := cmd.StderrPipe() // werkzeug logs there: its address, then every request
	if err != nil {
		return "", nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	found := make(chan string, 1)
	go func() {
		var head []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := running.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				_, _ = io.Copy(io.Discard, out) // keep reading, or the server blocks on a full pipe
				return
			}
			head = append(head, sc.Text())
		}
		found <- "exited: " + strings.Join(head, "\n")
	}()
	select {
	case url := <-found:
		if strings.HasPrefix(url, "http://") {
			return url, cmd, nil
		}
		err = errors.New(url)
	case <-time.After(2 * time.Minute):
		err = errors.New("no \"Running on\" line after 2 minutes")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return "", nil, err
}
