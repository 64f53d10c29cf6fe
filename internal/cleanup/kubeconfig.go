package cleanup

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// kubeconfig is the subset of the kubeconfig format the cleanup needs. yaml.v3
// also reads JSON, which is what pulumi-eks emits. A cluster's and a user's
// fields are kept as nodes first so that a field the client does not support
// (a client certificate, a proxy, ...) is rejected by name instead of being
// silently ignored.
type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string    `yaml:"name"`
		Cluster yaml.Node `yaml:"cluster"`
	} `yaml:"clusters"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Users []struct {
		Name string    `yaml:"name"`
		User yaml.Node `yaml:"user"`
	} `yaml:"users"`
}

// clusterInfo is a kubeconfig cluster (client-go's clientcmd/api/v1 Cluster).
type clusterInfo struct {
	Server                   string `yaml:"server"`
	CertificateAuthority     string `yaml:"certificate-authority"`
	CertificateAuthorityData string `yaml:"certificate-authority-data"`
	InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
	TLSServerName            string `yaml:"tls-server-name"`
}

// clusterFields are the cluster fields the client honours; extensions and
// disable-compression do not change what it connects to or trusts.
var clusterFields = fields("server", "certificate-authority", "certificate-authority-data",
	"insecure-skip-tls-verify", "tls-server-name", "disable-compression", "extensions")

// userInfo is a kubeconfig user (client-go's AuthInfo) as far as supported.
type userInfo struct {
	Token string    `yaml:"token"`
	Exec  yaml.Node `yaml:"exec"`
}

var userFields = fields("token", "exec", "extensions")

// execConfig is a client-go credential plugin, e.g. `aws eks get-token`.
type execConfig struct {
	APIVersion string   `yaml:"apiVersion"`
	Command    string   `yaml:"command"`
	Args       []string `yaml:"args"`
	Env        []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	InstallHint string `yaml:"installHint"`
	// ProvideClusterInfo asks for the cluster in KUBERNETES_EXEC_INFO, which
	// the client does not send: rejected when true.
	ProvideClusterInfo bool `yaml:"provideClusterInfo"`
}

// interactiveMode is accepted: the plugin always runs without a terminal.
var execFields = fields("apiVersion", "command", "args", "env", "installHint", "provideClusterInfo", "interactiveMode")

func fields(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// decodeKnown decodes a mapping node into out after checking that it holds
// only supported fields; what names the object in the error.
func decodeKnown(n *yaml.Node, supported map[string]bool, what string, out any) error {
	if n.Kind == 0 || n.Tag == "!!null" {
		return nil // absent
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s is not a mapping", what)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !supported[k] {
			return fmt.Errorf("%s: field %q is not supported by lab cleanup (it supports %s)", what, k, strings.Join(slices.Sorted(maps.Keys(supported)), ", "))
		}
	}
	if err := n.Decode(out); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// restConfig is what one kubeconfig context resolves to.
type restConfig struct {
	server string
	http   *http.Client
	token  tokenSource
}

// KubeconfigError is a kubeconfig the cleanup cannot use: bad input, not
// worth a retry.
type KubeconfigError struct{ err error }

func (e *KubeconfigError) Error() string { return "kubeconfig: " + e.err.Error() }
func (e *KubeconfigError) Unwrap() error { return e.err }

// parseKubeconfig resolves the current context of a kubeconfig. dir is the
// directory relative paths are resolved against, as kubectl does: the
// kubeconfig file's ("" for an inline kubeconfig: the working directory).
func parseKubeconfig(data []byte, dir string) (*restConfig, error) {
	rc, err := resolveKubeconfig(data, dir)
	if err != nil {
		return nil, &KubeconfigError{err}
	}
	return rc, nil
}

func resolveKubeconfig(data []byte, dir string) (*restConfig, error) {
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, fmt.Errorf("neither YAML nor JSON: %w", err)
	}
	ctxName := kc.CurrentContext
	if ctxName == "" {
		if len(kc.Contexts) != 1 {
			return nil, errors.New("no current-context")
		}
		ctxName = kc.Contexts[0].Name
	}
	var clusterName, userName string
	found := false
	for _, c := range kc.Contexts {
		if c.Name == ctxName {
			clusterName, userName, found = c.Context.Cluster, c.Context.User, true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("context %q not found", ctxName)
	}

	var cluster *clusterInfo
	for _, c := range kc.Clusters {
		if c.Name == clusterName {
			cluster = &clusterInfo{}
			if err := decodeKnown(&c.Cluster, clusterFields, fmt.Sprintf("cluster %q", clusterName), cluster); err != nil {
				return nil, err
			}
			break
		}
	}
	if cluster == nil {
		return nil, fmt.Errorf("cluster %q not found", clusterName)
	}
	tlsConf, err := clusterTLS(cluster, dir)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", clusterName, err)
	}
	rc := &restConfig{server: strings.TrimSuffix(cluster.Server, "/")}
	if rc.server == "" {
		return nil, fmt.Errorf("cluster %q has no server", clusterName)
	}

	var user *userInfo
	for _, u := range kc.Users {
		if u.Name == userName {
			user = &userInfo{}
			if err := decodeKnown(&u.User, userFields, fmt.Sprintf("user %q", userName), user); err != nil {
				return nil, err
			}
			break
		}
	}
	if user == nil {
		return nil, fmt.Errorf("user %q not found", userName)
	}
	switch {
	case user.Exec.Kind != 0:
		var e execConfig
		if err := decodeKnown(&user.Exec, execFields, fmt.Sprintf("user %q: exec", userName), &e); err != nil {
			return nil, err
		}
		if e.Command == "" {
			return nil, fmt.Errorf("user %q: exec has no command", userName)
		}
		if e.ProvideClusterInfo {
			return nil, fmt.Errorf("user %q: exec: provideClusterInfo is not supported by lab cleanup", userName)
		}
		// Like kubectl: a command with a path separator is relative to the kubeconfig.
		if strings.ContainsRune(e.Command, filepath.Separator) {
			e.Command = resolvePath(dir, e.Command)
		}
		rc.token = &execToken{cfg: e}
	case user.Token != "":
		rc.token = staticToken(user.Token)
	default:
		return nil, fmt.Errorf("user %q has neither a token nor an exec credential plugin", userName)
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	rc.http = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	return rc, nil
}

// clusterTLS is how the client trusts the server, with kubectl's rules:
// certificate-authority-data wins over certificate-authority (a file,
// relative to the kubeconfig's directory); without either the system roots
// apply; insecure-skip-tls-verify is refused together with a CA.
func clusterTLS(c *clusterInfo, dir string) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLSServerName}
	var caPEM []byte
	switch {
	case c.CertificateAuthorityData != "":
		b, err := base64.StdEncoding.DecodeString(c.CertificateAuthorityData)
		if err != nil {
			return nil, fmt.Errorf("certificate-authority-data: %w", err)
		}
		caPEM = b
	case c.CertificateAuthority != "":
		b, err := os.ReadFile(resolvePath(dir, c.CertificateAuthority))
		if err != nil {
			return nil, fmt.Errorf("certificate-authority: %w", err)
		}
		caPEM = b
	}
	if c.InsecureSkipTLSVerify {
		if caPEM != nil {
			return nil, errors.New("insecure-skip-tls-verify cannot be used together with a certificate authority (kubectl refuses it too): remove one")
		}
		conf.InsecureSkipVerify = true // the kubeconfig asks for it, as kubectl would honour it
		return conf, nil
	}
	if caPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("no certificate in the certificate authority")
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

func resolvePath(dir, p string) string {
	if dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// tokenSource yields the bearer token; invalidate forces a fresh one after a 401.
type tokenSource interface {
	token(ctx context.Context) (string, error)
	invalidate()
}

type staticToken string

func (s staticToken) token(context.Context) (string, error) { return string(s), nil }
func (staticToken) invalidate()                             {}

// execToken runs the credential plugin and caches its token until it expires:
// `aws eks get-token` tokens live about 15 minutes, a cleanup can take longer.
type execToken struct {
	cfg       execConfig
	timeout   time.Duration // per run; 0 is DefaultExecTimeout
	waitDelay time.Duration // 0 is execWaitDelay

	mu      sync.Mutex
	cached  string
	expires time.Time // zero: no expiry given
}

// execCredential is client.authentication.k8s.io ExecCredential (v1 and v1beta1).
type execCredential struct {
	Status *struct {
		Token               string `json:"token"`
		ExpirationTimestamp string `json:"expirationTimestamp"`
	} `json:"status"`
}

func (e *execToken) invalidate() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cached = ""
}

// DefaultExecTimeout bounds one run of the kubeconfig's credential plugin.
// `aws eks get-token` answers in a second or two; one that waits for a
// login (an expired AWS SSO session behind a credential_process, an MFA
// prompt) would otherwise hold the cleanup until its own timeout.
const DefaultExecTimeout = time.Minute

// execWaitDelay is how long to wait for the plugin's output to close after
// it was killed: a child it started (a browser opener) may hold it open.
const execWaitDelay = 2 * time.Second

func (e *execToken) token(ctx context.Context) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// A minute of margin so a token does not expire between here and the API server.
	if e.cached != "" && (e.expires.IsZero() || time.Now().Add(time.Minute).Before(e.expires)) {
		return e.cached, nil
	}
	apiVersion := e.cfg.APIVersion
	if apiVersion == "" {
		apiVersion = "client.authentication.k8s.io/v1beta1"
	}
	timeout := e.timeout
	if timeout <= 0 {
		timeout = DefaultExecTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, e.cfg.Command, e.cfg.Args...)
	cmd.WaitDelay = e.waitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = execWaitDelay
	}
	cmd.Env = os.Environ()
	for _, kv := range e.cfg.Env {
		cmd.Env = append(cmd.Env, kv.Name+"="+kv.Value)
	}
	info, _ := json.Marshal(map[string]any{
		"apiVersion": apiVersion,
		"kind":       "ExecCredential",
		"spec":       map[string]any{"interactive": false},
	})
	cmd.Env = append(cmd.Env, "KUBERNETES_EXEC_INFO="+string(info))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	what := fmt.Sprintf("kubeconfig exec credential %q", strings.Join(append([]string{e.cfg.Command}, e.cfg.Args...), " "))
	fail := func(advice, format string, args ...any) (string, error) {
		return "", &credentialError{fmt.Errorf("%s: "+format, append([]any{what}, args...)...), advice}
	}
	err := cmd.Run()
	switch {
	case err != nil && ctx.Err() == nil && runCtx.Err() != nil:
		printed := ""
		if out := strings.TrimSpace(stderr.String()); out != "" {
			printed = fmt.Sprintf(" (it printed: %q)", out)
		}
		return fail(e.loginAdvice(), "no answer within %s, so it was stopped%s", timeout, printed)
	case err != nil && errors.Is(err, exec.ErrNotFound) && e.cfg.InstallHint != "":
		return fail(strings.TrimSpace(e.cfg.InstallHint), "%w", err)
	case err != nil:
		return fail(pluginAdvice, "%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var cred execCredential
	if err := json.Unmarshal(stdout.Bytes(), &cred); err != nil {
		return fail(pluginAdvice, "output is not an ExecCredential: %w", err)
	}
	if cred.Status == nil || cred.Status.Token == "" {
		return fail(pluginAdvice, "no status.token in its output")
	}
	e.cached = cred.Status.Token
	e.expires = time.Time{}
	if ts := cred.Status.ExpirationTimestamp; ts != "" {
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return fail(pluginAdvice, "expirationTimestamp: %w", err)
		}
		e.expires = t
	}
	return e.cached, nil
}

// pluginAdvice is what to check when the credential plugin fails.
const pluginAdvice = "The kubeconfig's credential plugin failed; for EKS check that the AWS CLI is installed and that `aws sts get-caller-identity` shows an identity with access to the cluster."

// loginAdvice is what to do when the credential plugin does not answer:
// it is waiting for a login nobody can give it here.
func (e *execToken) loginAdvice() string {
	profile := os.Getenv("AWS_PROFILE")
	for _, kv := range e.cfg.Env {
		if kv.Name == "AWS_PROFILE" {
			profile = kv.Value
		}
	}
	for i, a := range e.cfg.Args {
		if a == "--profile" && i+1 < len(e.cfg.Args) {
			profile = e.cfg.Args[i+1]
		}
	}
	login := "aws sso login"
	if profile != "" {
		login += " --profile " + profile
	}
	return "The credential plugin is probably waiting for a login it cannot get here (it runs without a terminal). " +
		"For an AWS IAM Identity Center (SSO) profile run `" + login + "`, for an MFA profile refresh its session; " +
		"check that the plugin's command above prints a token on its own, then run the cleanup again."
}
