package cleanup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// plugin writes a credential plugin that runs script (sh) and returns an
// execToken for it; the plugin appends KUBERNETES_EXEC_INFO to runs.
func plugin(t *testing.T, script string) (*execToken, string) {
	t.Helper()
	dir := t.TempDir()
	path, runs := filepath.Join(dir, "plugin"), filepath.Join(dir, "runs")
	body := "#!/bin/sh\necho \"$KUBERNETES_EXEC_INFO\" >> '" + runs + "'\n" + script + "\n"
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return &execToken{cfg: execConfig{Command: path}}, runs
}

// A credential plugin's answer: its token, cached until a minute before it
// expires; what is not a token is an error naming the plugin, with advice.
func TestExecTokenReadsThePluginsAnswer(t *testing.T) {
	e, runs := plugin(t, `echo '{"status":{"token":"k8s-aws-v1.abc","expirationTimestamp":"2099-01-01T00:00:00Z"}}'`)
	for range 2 {
		if tok, err := e.token(context.Background()); err != nil || tok != "k8s-aws-v1.abc" {
			t.Fatalf("token = %q, %v", tok, err)
		}
	}
	data, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 1 || !strings.Contains(string(data), `"apiVersion":"client.authentication.k8s.io/v1beta1"`) ||
		!strings.Contains(string(data), `"interactive":false`) {
		t.Errorf("the plugin ran %d time(s) with KUBERNETES_EXEC_INFO %s; want once, v1beta1 by default, not interactive", n, data)
	}
	// A token about to expire is asked for again, with the kubeconfig's apiVersion.
	e, runs = plugin(t, `echo '{"status":{"token":"soon","expirationTimestamp":"`+time.Now().Add(30*time.Second).UTC().Format(time.RFC3339)+`"}}'`)
	e.cfg.APIVersion = "client.authentication.k8s.io/v1"
	for range 2 {
		if _, err := e.token(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if data, _ := os.ReadFile(runs); strings.Count(string(data), "\n") != 2 || !strings.Contains(string(data), `"apiVersion":"client.authentication.k8s.io/v1"`) {
		t.Errorf("a token expiring within a minute: runs %s; want two, with apiVersion v1", data)
	}

	for script, want := range map[string]string{
		`echo not json`:        "output is not an ExecCredential",
		`echo '{"status":{}}'`: "no status.token in its output",
		`echo '{}'`:            "no status.token in its output",
		`echo '{"status":{"token":"t","expirationTimestamp":"soon"}}'`: "expirationTimestamp",
		`echo 'ExpiredToken: run aws sso login' >&2; exit 255`:         "exit status 255: ExpiredToken: run aws sso login",
	} {
		e, _ := plugin(t, script)
		tok, err := e.token(context.Background())
		var ce *credentialError
		if !errors.As(err, &ce) || tok != "" || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "kubeconfig exec credential") || ce.advice != pluginAdvice {
			t.Errorf("plugin %q: %q, %v; want an error with %q and the advice", script, tok, err, want)
		}
	}
}

// A plugin that exits but leaves a child holding its output (a browser
// opener) does not hold the cleanup: after execWaitDelay it is an error.
func TestExecTokenDoesNotWaitForAPluginsChildren(t *testing.T) {
	e, _ := plugin(t, `echo '{"status":{"token":"t"}}'; sleep 10 &`)
	done := make(chan error, 1)
	go func() { _, err := e.token(context.Background()); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a plugin whose child holds its output: no error")
		}
	case <-time.After(3*execWaitDelay + time.Second):
		t.Fatalf("still waiting for the plugin's child after %s", 3*execWaitDelay+time.Second)
	}
}
