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
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// kubeconfig is the subset of the kubeconfig format the cleanup needs. yaml.v3
// also reads JSON, which is what pulumi-eks emits.
type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Token string      `yaml:"token"`
			Exec  *execConfig `yaml:"exec"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// execConfig is a client-go credential plugin, e.g. `aws eks get-token`.
type execConfig struct {
	APIVersion string   `yaml:"apiVersion"`
	Command    string   `yaml:"command"`
	Args       []string `yaml:"args"`
	Env        []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
}

// restConfig is what one kubeconfig context resolves to.
type restConfig struct {
	server string
	http   *http.Client
	token  tokenSource
}

// parseKubeconfig resolves the current context of a kubeconfig. dir is the
// directory relative paths are resolved against ("" for an inline kubeconfig).
func parseKubeconfig(data []byte, dir string) (*restConfig, error) {
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, fmt.Errorf("kubeconfig is neither YAML nor JSON: %w", err)
	}
	ctxName := kc.CurrentContext
	if ctxName == "" {
		if len(kc.Contexts) != 1 {
			return nil, errors.New("kubeconfig has no current-context")
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
		return nil, fmt.Errorf("kubeconfig: context %q not found", ctxName)
	}

	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	rc := &restConfig{}
	found = false
	for _, c := range kc.Clusters {
		if c.Name != clusterName {
			continue
		}
		found = true
		rc.server = strings.TrimSuffix(c.Cluster.Server, "/")
		// Without certificate-authority-data the system roots apply.
		if c.Cluster.CertificateAuthorityData != "" {
			caPEM, err := base64.StdEncoding.DecodeString(c.Cluster.CertificateAuthorityData)
			if err != nil {
				return nil, fmt.Errorf("kubeconfig: cluster %q: certificate-authority-data: %w", clusterName, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(caPEM) {
				return nil, fmt.Errorf("kubeconfig: cluster %q: no certificate in the certificate authority", clusterName)
			}
			tlsConf.RootCAs = pool
		}
	}
	if !found {
		return nil, fmt.Errorf("kubeconfig: cluster %q not found", clusterName)
	}
	if rc.server == "" {
		return nil, fmt.Errorf("kubeconfig: cluster %q has no server", clusterName)
	}

	found = false
	for _, u := range kc.Users {
		if u.Name != userName {
			continue
		}
		found = true
		switch {
		case u.User.Exec != nil:
			e := *u.User.Exec
			if e.Command == "" {
				return nil, fmt.Errorf("kubeconfig: user %q: exec has no command", userName)
			}
			// Like kubectl: a command with a path separator is relative to the kubeconfig.
			if strings.ContainsRune(e.Command, filepath.Separator) {
				e.Command = resolvePath(dir, e.Command)
			}
			rc.token = &execToken{cfg: e}
		case u.User.Token != "":
			rc.token = staticToken(u.User.Token)
		default:
			return nil, fmt.Errorf("kubeconfig: user %q has neither a token nor an exec credential plugin", userName)
		}
	}
	if !found {
		return nil, fmt.Errorf("kubeconfig: user %q not found", userName)
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	rc.http = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	return rc, nil
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
	cfg execConfig

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
	cmd := exec.CommandContext(ctx, e.cfg.Command, e.cfg.Args...)
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
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kubeconfig exec credential %q: %w: %s", e.cfg.Command, err, strings.TrimSpace(stderr.String()))
	}
	var cred execCredential
	if err := json.Unmarshal(stdout.Bytes(), &cred); err != nil {
		return "", fmt.Errorf("kubeconfig exec credential %q: output is not an ExecCredential: %w", e.cfg.Command, err)
	}
	if cred.Status == nil || cred.Status.Token == "" {
		return "", fmt.Errorf("kubeconfig exec credential %q: no status.token in its output", e.cfg.Command)
	}
	e.cached = cred.Status.Token
	e.expires = time.Time{}
	if ts := cred.Status.ExpirationTimestamp; ts != "" {
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return "", fmt.Errorf("kubeconfig exec credential %q: expirationTimestamp: %w", e.cfg.Command, err)
		}
		e.expires = t
	}
	return e.cached, nil
}
