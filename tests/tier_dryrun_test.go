// The kube-apiserver dry-run tier (LAB_KUBE_BIN_DIR, LAB_ETCD) sends every
// Kubernetes object that `lab plan` plans for each stack to a real
// kube-apiserver with server-side apply and dryRun=All,
// the way pulumi-kubernetes v4 applies them: the API server's own
// validation, defaulting and admission must accept each one.

package tests

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/testing/kubetest"
)

// objects are the plan's Kubernetes objects: every kubernetes: resource
// but Helm releases, which are not objects. Namespaces come first.
func dryRunObjects(p *offline.Plan) []map[string]any {
	var out []map[string]any
	for _, r := range p.Resources {
		if r.Custom && strings.HasPrefix(r.Type, "kubernetes:") && r.Type != "kubernetes:helm.sh/v3:Release" {
			out = append(out, r.Inputs)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i]["kind"] == "Namespace" && out[j]["kind"] != "Namespace" })
	return out
}

// resource is where the API serves one kind, from its discovery document.
type dryRunResource struct {
	plural     string
	namespaced bool
}

func dryRunDiscover(t *testing.T, srv *kubetest.Server, apiVersion, kind string) dryRunResource {
	t.Helper()
	base := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		base = "/api/" + apiVersion
	}
	var list struct {
		Resources []struct {
			Name       string `json:"name"`
			Kind       string `json:"kind"`
			Namespaced bool   `json:"namespaced"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(srv.Must(t, http.StatusOK, http.MethodGet, base, nil), &list); err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Resources {
		if r.Kind == kind && !strings.Contains(r.Name, "/") {
			return dryRunResource{plural: base + "/" + r.Name, namespaced: r.Namespaced}
		}
	}
	t.Fatalf("the API server does not serve %s %s", apiVersion, kind)
	return dryRunResource{}
}

// path is the object's URL path.
func dryRunPath(t *testing.T, srv *kubetest.Server, obj map[string]any) string {
	t.Helper()
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if apiVersion == "" || kind == "" || name == "" {
		t.Fatalf("object without apiVersion, kind or metadata.name: %v", obj)
	}
	res := dryRunDiscover(t, srv, apiVersion, kind)
	if !res.namespaced {
		return res.plural + "/" + name
	}
	ns, _ := md["namespace"].(string)
	if ns == "" {
		ns = "default"
	}
	prefix, plural := res.plural[:strings.LastIndex(res.plural, "/")], res.plural[strings.LastIndex(res.plural, "/")+1:]
	return fmt.Sprintf("%s/namespaces/%s/%s/%s", prefix, ns, plural, name)
}

// apply sends obj with server-side apply; dryRun leaves nothing behind.
func dryRunApply(srv *kubetest.Server, p string, obj map[string]any, dryRun bool) (int, string, error) {
	q := url.Values{"fieldManager": {"eks-lab-dryrun"}, "force": {"true"}, "fieldValidation": {"Strict"}}
	if dryRun {
		q.Set("dryRun", "All")
	}
	code, body, err := srv.Do(http.MethodPatch, p+"?"+q.Encode(), "application/apply-patch+yaml", obj)
	return code, string(body), err
}

// What the cluster has before the samples: the controller chart's
// IngressClass (templates/ingressclass.yaml of aws-load-balancer-controller
// 1.17.1), minimally: without its IngressClassParams, whose CRD the chart
// installs and this server lacks.
var dryRunClusterObjects = []map[string]any{{
	"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
	"metadata": map[string]any{"name": "alb"},
	"spec":     map[string]any{"controller": "ingress.k8s.aws/alb"},
}}

// installTheCRDs really applies the files the program applies before the
// objects that need them: the load balancer controller's CRDs and Gateway
// API's standard channel, each served once it returns (one install: the
// garbage collector is brought up to date once).
func installTheCRDs(t *testing.T, srv *kubetest.Server) {
	t.Helper()
	var texts []string
	for _, f := range append(slices.Clone(awslbc.CRDFiles), awslbc.GatewayAPIFile) {
		text, err := awslbc.CRDs(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, text)
	}
	srv.Install(t, strings.Join(texts, "\n---\n"))
}

func TestEveryPlannedObjectIsAcceptedByTheAPIServer(t *testing.T) {
	srv := kubetest.Shared(t)
	installTheCRDs(t, srv)
	for _, obj := range dryRunClusterObjects {
		if code, body, err := dryRunApply(srv, dryRunPath(t, srv, obj), obj, false); err != nil || code >= 300 {
			t.Fatalf("creating the cluster's %s: HTTP %d %s %v", obj["kind"], code, body, err)
		}
	}
	stacks, err := offline.Stacks(root)
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no stack files: %v", err)
	}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			plan, err := mock.RunStackFile(root, stack)
			if err != nil {
				t.Fatal(err)
			}
			objs := dryRunObjects(plan)
			if len(objs) == 0 {
				t.Fatal("the plan has no Kubernetes objects")
			}
			for _, obj := range objs {
				p := dryRunPath(t, srv, obj)
				code, body, err := dryRunApply(srv, p, obj, true)
				if err != nil || code >= 300 {
					t.Errorf("%s %s: the API server refuses it: HTTP %d %s %v", obj["kind"], p, code, body, err)
					continue
				}
				// Dry run stores nothing, yet the objects in a namespace the plan
				// creates need it: create each Namespace once it passed.
				if obj["kind"] == "Namespace" {
					if code, body, err := dryRunApply(srv, p, obj, false); err != nil || code >= 300 {
						t.Fatalf("creating %s: HTTP %d %s %v", p, code, body, err)
					}
				}
			}
		})
	}
}

// The load balancer controller's vendored CRDs, as the program applies them
// (server-side, forced), are valid CustomResourceDefinitions for the API
// server: structural schemas, the versions it serves.
func TestTheVendoredCRDsAreAcceptedByTheAPIServer(t *testing.T) {
	srv := kubetest.Shared(t)
	var names []string
	for _, f := range append(slices.Clone(awslbc.CRDFiles), awslbc.GatewayAPIFile) {
		text, err := awslbc.CRDs(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(strings.NewReader(text))
		for {
			var obj map[string]any
			if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if obj == nil {
				continue
			}
			if kind := obj["kind"]; kind != "CustomResourceDefinition" && (f != awslbc.GatewayAPIFile || kind != "ValidatingAdmissionPolicy" && kind != "ValidatingAdmissionPolicyBinding") {
				t.Errorf("%s holds a %v, not only CRDs (and Gateway API's admission policy)", f, kind)
				continue
			}
			p := dryRunPath(t, srv, obj)
			if code, body, err := dryRunApply(srv, p, obj, true); err != nil || code >= 300 {
				t.Errorf("%s %s: the API server refuses it: HTTP %d %s %v", f, p, code, body, err)
			}
			names = append(names, p[strings.LastIndex(p, "/")+1:])
		}
	}
	// crds.yaml: 4 (elbv2 and aga), gateway-crds.yaml: 3 (gateway.k8s.aws),
	// Gateway API v1.6.0's standard channel: 10 CRDs, the safe-upgrades
	// ValidatingAdmissionPolicy and its binding.
	if len(names) != 19 {
		t.Errorf("applied %v, want the chart's 7 CRDs and Gateway API's 12 objects", names)
	}
}
