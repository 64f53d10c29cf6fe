// Package kubetest runs a real Kubernetes API server for tests, the envtest
// way: etcd, kube-apiserver and kube-controller-manager (for the garbage
// collector that foreground deletion waits on, and the volume controllers
// that bind, protect and release claims and volumes) as local processes on
// loopback, with free ports, a temporary directory, a certificate authority
// of its own and static bearer tokens. It is test support: shipped code never
// imports it.
//
// The binaries come from .ci/kube-tier.sh, which .ci/run evals:
//
//	eval "$(bash .ci/kube-tier.sh)"   # exports LAB_KUBE_BIN_DIR and LAB_ETCD
//
// Without them the tests that need the server skip, unless LAB_TIERS_REQUIRED=1
// (set by .ci/run), where a missing binary fails them.
package kubetest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/testing/tier"
)

// Environment variables that locate the binaries.
const (
	BinDirEnv = "LAB_KUBE_BIN_DIR" // holds kube-apiserver and kube-controller-manager
	EtcdEnv   = "LAB_ETCD"         // the etcd binary
)

// Bearer tokens the server accepts (--token-auth-file).
const (
	AdminToken   = "kubetest-admin-token"   // user "admin" in group system:masters: may do anything
	LimitedToken = "kubetest-limited-token" // user "limited", no RBAC bindings: 403 on everything
)

// Server is a running API server.
type Server struct {
	URL   string // https://127.0.0.1:PORT
	CA    []byte // PEM of the CA that signed the serving certificate
	Other []byte // PEM of a CA that did not: a wrong certificate-authority
	// EtcdURL answers plain HTTP: a server that does not speak TLS.
	EtcdURL string

	dir  string
	http *http.Client

	procsMu sync.Mutex // guards procs, which a restart changes
	procs   []*proc
	// controllerManager is kube-controller-manager's command line;
	// restarting it one restart at a time.
	controllerManager []string
	restarting        sync.Mutex
}

// proc is a started process; done is closed when it has exited.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the package run's one server, started on first use (a few
// seconds). Without the binaries it skips t, or fails it (tier.Missing).
func Shared(t testing.TB) *Server {
	t.Helper()
	bin, etcd := os.Getenv(BinDirEnv), os.Getenv(EtcdEnv)
	if bin == "" || etcd == "" {
		tier.Missing(t, fmt.Sprintf("needs a real kube-apiserver: run `eval \"$(bash .ci/kube-tier.sh)\"` in the repository to build it and set %s and %s", BinDirEnv, EtcdEnv))
	}
	shared.once.Do(func() {
		// A free port can be taken between picking and binding it: try again then.
		for attempt := 0; attempt < 3; attempt++ {
			shared.srv, shared.err = start(bin, etcd)
			if shared.err == nil {
				return
			}
		}
	})
	if shared.err != nil {
		t.Fatalf("kubetest: %v", shared.err)
	}
	return shared.srv
}

// Main runs a test package's tests and then stops the shared server:
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.stop()
	}
	return code
}

func start(binDir, etcdBin string) (srv *Server, err error) {
	dir, err := os.MkdirTemp("", "kubetest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]
	pki, err := newPKI(dir)
	if err != nil {
		return nil, err
	}
	s.CA, s.Other = pki.ca, pki.other
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CA)
	s.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}

	s.EtcdURL = "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	if err := s.run("etcd", etcdBin,
		"--name=kubetest", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+s.EtcdURL, "--advertise-client-urls="+s.EtcdURL,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=kubetest="+peer,
	); err != nil {
		return nil, err
	}
	if err := s.waitFor("etcd", func() bool {
		resp, err := http.Get(s.EtcdURL + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		return nil, err
	}

	tokens := filepath.Join(dir, "tokens.csv")
	csv := AdminToken + ",admin,1,\"system:masters\"\n" + LimitedToken + ",limited,2\n"
	if err := os.WriteFile(tokens, []byte(csv), 0o600); err != nil {
		return nil, err
	}
	s.URL = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	if err := s.run("kube-apiserver", filepath.Join(binDir, "kube-apiserver"),
		"--etcd-servers="+s.EtcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort),
		"--tls-cert-file="+pki.serverCert, "--tls-private-key-file="+pki.serverKey,
		"--token-auth-file="+tokens, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pki.saKey, "--service-account-signing-key-file="+pki.saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
	); err != nil {
		return nil, err
	}
	if err := s.waitFor("kube-apiserver", func() bool {
		code, _, err := s.Do(http.MethodGet, "/readyz", "", nil)
		return err == nil && code == http.StatusOK
	}); err != nil {
		return nil, err
	}

	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, s.Kubeconfig(AdminToken), 0o600); err != nil {
		return nil, err
	}
	// Only the controllers a cleanup needs: the garbage collector removes the
	// foregroundDeletion finalizer and deletes what a deleted workload owned,
	// the EndpointSlice controller gives every Service the dependents that
	// foreground deletion waits for, the PersistentVolume binder binds claims
	// and releases their volumes, and the protection controllers keep a
	// claim while a pod uses it and a volume while a claim is bound to it.
	s.controllerManager = []string{filepath.Join(binDir, "kube-controller-manager"),
		"--kubeconfig=" + kubeconfig, "--controllers=garbagecollector,endpointslice,persistentvolume-binder,pvc-protection,pv-protection",
		"--leader-elect=false", "--secure-port=0",
	}
	return s, s.startControllerManager()
}

// startControllerManager starts kube-controller-manager and waits until its
// garbage collector works.
func (s *Server) startControllerManager() error {
	if err := s.run("kube-controller-manager", s.controllerManager[0], s.controllerManager[1:]...); err != nil {
		return err
	}
	return s.waitForGarbageCollector()
}

// restartControllerManager makes the garbage collector know kinds that
// CRDs added since it started. By itself it learns them at its discovery
// resync, every 30 seconds (const syncPeriod in garbageCollectorController.Run,
// cmd/kube-controller-manager/app/core.go at v1.35.4), and a foreground
// delete of a new kind's object waits until then; a restart learns them at
// once, as a cluster has after its next resync.
func (s *Server) restartControllerManager() error {
	s.restarting.Lock()
	defer s.restarting.Unlock()
	s.procsMu.Lock()
	i := slices.IndexFunc(s.procs, func(p *proc) bool { return p.name == "kube-controller-manager" })
	var old *proc
	if i >= 0 { // none after a restart that failed to start it
		old = s.procs[i]
		s.procs = slices.Delete(s.procs, i, i+1)
	}
	s.procsMu.Unlock()
	if old != nil {
		_ = old.cmd.Process.Kill()
		<-old.done
	}
	return s.startControllerManager()
}

// waitForGarbageCollector deletes a Service in the foreground until the
// garbage collector, once its caches are in sync, lets it go.
func (s *Server) waitForGarbageCollector() error {
	svc := map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "kubetest-gc-probe", "namespace": "default"},
		"spec":     map[string]any{"ports": []any{map[string]any{"port": 80}}, "selector": map[string]any{"app": "none"}},
	}
	if code, body, err := s.Do(http.MethodPost, "/api/v1/namespaces/default/services", "", svc); err != nil || code != http.StatusCreated {
		return fmt.Errorf("creating the garbage collector probe: %d %s %v", code, body, err)
	}
	path := "/api/v1/namespaces/default/services/kubetest-gc-probe"
	if code, body, err := s.Do(http.MethodDelete, path, "", map[string]any{"propagationPolicy": "Foreground"}); err != nil || code >= 300 {
		return fmt.Errorf("deleting the garbage collector probe: %d %s %v", code, body, err)
	}
	return s.waitFor("kube-controller-manager's garbage collector", func() bool {
		code, _, err := s.Do(http.MethodGet, path, "", nil)
		return err == nil && code == http.StatusNotFound
	})
}

// run starts a process whose output goes to DIR/<name>.log.
func (s *Server) run(name, bin string, args ...string) error {
	log, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	SetDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	s.procsMu.Lock()
	s.procs = append(s.procs, p)
	s.procsMu.Unlock()
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return nil
}

// waitFor polls ready for up to two minutes (the machine may be busy), failing
// early when a process has exited.
func (s *Server) waitFor(what string, ready func() bool) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if ready() {
			return nil
		}
		s.procsMu.Lock()
		procs := slices.Clone(s.procs)
		s.procsMu.Unlock()
		for _, p := range procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited while waiting for %s:\n%s", p.name, what, s.logTail(p.name))
			default:
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after 2 minutes", what)
}

func (s *Server) logTail(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, name+".log"))
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func (s *Server) stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		_ = s.procs[i].cmd.Process.Kill()
		<-s.procs[i].done
	}
	_ = os.RemoveAll(s.dir)
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Kubeconfig is a YAML kubeconfig for the server with this bearer token,
// trusting the server's CA.
func (s *Server) Kubeconfig(token string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: kubetest
clusters:
- name: kubetest
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: kubetest
  context: {cluster: kubetest, user: kubetest}
users:
- name: kubetest
  user:
    token: %s
`, s.URL, base64.StdEncoding.EncodeToString(s.CA), token))
}

// Do sends one request as the admin. body, when not nil, is sent as JSON,
// with contentType ("" is application/json).
func (s *Server) Do(method, path, contentType string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		return 0, nil, err
	}
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// Must sends one request as the admin and fails t unless the answer is
// wantCode; it returns the answer's body.
func (s *Server) Must(t testing.TB, wantCode int, method, path string, body any) []byte {
	t.Helper()
	contentType := ""
	if method == http.MethodPatch {
		contentType = "application/merge-patch+json"
	}
	code, data, err := s.Do(method, path, contentType, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != wantCode {
		t.Fatalf("%s %s: HTTP %d, want %d: %s", method, path, code, wantCode, data)
	}
	return data
}

// Exists reports whether GET path finds the object.
func (s *Server) Exists(t testing.TB, path string) bool {
	t.Helper()
	code, data, err := s.Do(http.MethodGet, path, "", nil)
	switch {
	case err != nil:
		t.Fatalf("GET %s: %v", path, err)
	case code == http.StatusNotFound:
		return false
	case code != http.StatusOK:
		t.Fatalf("GET %s: HTTP %d: %s", path, code, strings.TrimSpace(string(data)))
	}
	return true
}
