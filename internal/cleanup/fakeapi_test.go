package cleanup

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeObject is a Service or an Ingress in the fake API server.
type fakeObject struct {
	kind, namespace, name string
	svcType               string // Services only
	finalizers            []string
	hostname              string
	// release is how long after the delete the fake controller removes the
	// finalizers; negative: never (a stuck or missing controller).
	release  time.Duration
	deleting bool
}

// deleteCall records one DELETE the client sent.
type deleteCall struct {
	kind, namespace, name, propagation string
}

// fakeAPI is a Kubernetes API server (TLS, bearer token) for Services and
// Ingresses: list with pagination, and delete with finalizers.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	token  string
	page   int // items per page, to exercise "continue"
	mu     sync.Mutex
	objs   map[string]*fakeObject
	calls  []deleteCall
	authed int // requests with the right token
}

func newFakeAPI(t *testing.T, token string, objs ...*fakeObject) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, token: token, page: 2, objs: map[string]*fakeObject{}}
	for _, o := range objs {
		f.objs[key(o.kind, o.namespace, o.name)] = o
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/services", f.list("Service"))
	mux.HandleFunc("GET /apis/networking.k8s.io/v1/ingresses", f.list("Ingress"))
	mux.HandleFunc("DELETE /api/v1/namespaces/{ns}/services/{name}", f.delete("Service"))
	mux.HandleFunc("DELETE /apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/{name}", f.delete("Ingress"))
	f.srv = httptest.NewTLSServer(f.auth(mux))
	t.Cleanup(f.srv.Close)
	return f
}

func key(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

func (f *fakeAPI) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			status(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		f.mu.Lock()
		f.authed++
		f.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func status(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": msg, "code": code})
}

func (o *fakeObject) json() map[string]any {
	md := map[string]any{"name": o.name, "namespace": o.namespace, "uid": "uid-" + o.name}
	if len(o.finalizers) > 0 {
		md["finalizers"] = o.finalizers
	}
	if o.deleting {
		md["deletionTimestamp"] = "2025-01-01T00:00:00Z"
	}
	m := map[string]any{"metadata": md, "spec": map[string]any{}}
	if o.kind == "Service" {
		m["spec"] = map[string]any{"type": o.svcType}
	}
	if o.hostname != "" {
		m["status"] = map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"hostname": o.hostname}}}}
	}
	return m
}

func (f *fakeAPI) list(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var keys []string
		for k, o := range f.objs {
			if o.kind == kind {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
		end := min(start+f.page, len(keys))
		items := []any{}
		for _, k := range keys[min(start, len(keys)):end] {
			items = append(items, f.objs[k].json())
		}
		md := map[string]any{"resourceVersion": "1"}
		if end < len(keys) {
			md["continue"] = strconv.Itoa(end)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": kind + "List", "metadata": md, "items": items})
	}
}

func (f *fakeAPI) delete(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var opts struct {
			Kind              string `json:"kind"`
			PropagationPolicy string `json:"propagationPolicy"`
		}
		if err := json.NewDecoder(r.Body).Decode(&opts); err != nil || opts.Kind != "DeleteOptions" {
			status(w, http.StatusBadRequest, fmt.Sprintf("bad DeleteOptions: %v", err))
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		k := key(kind, r.PathValue("ns"), r.PathValue("name"))
		f.calls = append(f.calls, deleteCall{kind, r.PathValue("ns"), r.PathValue("name"), opts.PropagationPolicy})
		o, ok := f.objs[k]
		if !ok {
			status(w, http.StatusNotFound, "not found")
			return
		}
		_ = json.NewEncoder(w).Encode(o.json())
		if len(o.finalizers) == 0 {
			delete(f.objs, k)
			return
		}
		if o.deleting {
			return
		}
		o.deleting = true
		if o.release >= 0 {
			// The fake controller deletes the load balancer, then drops its finalizer.
			time.AfterFunc(o.release, func() {
				f.mu.Lock()
				defer f.mu.Unlock()
				delete(f.objs, k)
			})
		}
	}
}

// has reports whether the object is still in the API.
func (f *fakeAPI) has(kind, ns, name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.objs[key(kind, ns, name)]
	return ok
}

func (f *fakeAPI) authedRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authed
}

func (f *fakeAPI) deletes() []deleteCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]deleteCall(nil), f.calls...)
}

// caData is the server's certificate as kubeconfig certificate-authority-data.
func (f *fakeAPI) caData() string {
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	return base64.StdEncoding.EncodeToString(p)
}

// tokenKubeconfig is a YAML kubeconfig with a static token, plus a decoy
// context that must not be used.
func (f *fakeAPI) tokenKubeconfig(token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: lab
clusters:
- name: decoy
  cluster:
    server: https://127.0.0.1:1
- name: lab-cluster
  cluster:
    server: %s
    certificate-authority-data: %s
contexts:
- name: decoy
  context: {cluster: decoy, user: decoy}
- name: lab
  context: {cluster: lab-cluster, user: lab-user}
users:
- name: decoy
  user: {token: wrong}
- name: lab-user
  user:
    token: %s
`, f.srv.URL, f.caData(), token)
}

// execKubeconfig is a JSON kubeconfig shaped like pulumi-eks's, whose exec
// plugin is a shell printing the ExecCredential held in an env var of the
// plugin config, so the test sees that command, args and env are all used.
func (f *fakeAPI) execKubeconfig(t *testing.T, token, expiry, counterFile string) string {
	t.Helper()
	status := map[string]any{"token": token}
	if expiry != "" {
		status["expirationTimestamp"] = expiry
	}
	cred, err := json.Marshal(map[string]any{
		"apiVersion": "client.authentication.k8s.io/v1beta1",
		"kind":       "ExecCredential",
		"status":     status,
	})
	if err != nil {
		t.Fatal(err)
	}
	kc := map[string]any{
		"apiVersion": "v1",
		"kind":       "Config",
		"clusters": []any{map[string]any{"name": "kubernetes", "cluster": map[string]any{
			"server": f.srv.URL, "certificate-authority-data": f.caData(),
		}}},
		"contexts":        []any{map[string]any{"name": "aws", "context": map[string]any{"cluster": "kubernetes", "user": "aws"}}},
		"current-context": "aws",
		"users": []any{map[string]any{"name": "aws", "user": map[string]any{"exec": map[string]any{
			"apiVersion": "client.authentication.k8s.io/v1beta1",
			"command":    "/bin/sh",
			"args":       []string{"-c", `echo x >> "$COUNTER"; printf '%s' "$FAKE_CREDENTIAL"`},
			"env": []any{
				map[string]any{"name": "FAKE_CREDENTIAL", "value": string(cred)},
				map[string]any{"name": "COUNTER", "value": counterFile},
			},
		}}}},
	}
	b, err := json.Marshal(kc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
