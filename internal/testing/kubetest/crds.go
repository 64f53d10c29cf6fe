package kubetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// installPaths are where the cluster-scoped kinds of a CRD install file
// (the load balancer controller's, Gateway API's) are served.
var installPaths = map[string]string{
	"CustomResourceDefinition":         "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/",
	"ValidatingAdmissionPolicy":        "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/",
	"ValidatingAdmissionPolicyBinding": "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/",
}

// Install applies every object of a CRD install file for real, server-side
// and forced as the program applies it, and waits until each CRD is
// Established and its group version is served and, when it created a CRD,
// until the garbage collector knows its kind. It returns the objects'
// paths, for Uninstall.
func (s *Server) Install(t testing.TB, text string) []string {
	t.Helper()
	var paths, groupVersions []string
	createdCRD := false
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("kubetest: install: %v", err)
		}
		if obj == nil {
			continue
		}
		kind, _ := obj["kind"].(string)
		name, _ := obj["metadata"].(map[string]any)["name"].(string)
		base, ok := installPaths[kind]
		if !ok || name == "" {
			t.Fatalf("kubetest: install: a %s %q, want only CRDs and admission policies", kind, name)
		}
		q := url.Values{"fieldManager": {"kubetest"}, "force": {"true"}}
		code, body, err := s.Do(http.MethodPatch, base+name+"?"+q.Encode(), "application/apply-patch+yaml", obj)
		if err != nil || code >= 300 {
			t.Fatalf("kubetest: install %s %s: HTTP %d %s %v", kind, name, code, body, err)
		}
		paths = append(paths, base+name)
		if kind == "CustomResourceDefinition" {
			createdCRD = createdCRD || code == http.StatusCreated
			spec, _ := obj["spec"].(map[string]any)
			versions, _ := spec["versions"].([]any)
			for _, v := range versions {
				if v, _ := v.(map[string]any); v["served"] == true {
					groupVersions = append(groupVersions, fmt.Sprintf("/apis/%s/%s", spec["group"], v["name"]))
				}
			}
		}
	}
	for _, p := range paths {
		if strings.HasPrefix(p, installPaths["CustomResourceDefinition"]) {
			s.eventually(t, p+" Established", func() bool { return s.established(p) })
		}
	}
	for _, gv := range groupVersions {
		s.eventually(t, gv+" served", func() bool {
			code, _, err := s.Do(http.MethodGet, gv, "", nil)
			return err == nil && code == http.StatusOK
		})
	}
	if createdCRD {
		if err := s.restartControllerManager(); err != nil {
			t.Fatalf("kubetest: install: %v", err)
		}
	}
	return paths
}

// Uninstall deletes what Install applied and waits until it is gone.
func (s *Server) Uninstall(t testing.TB, paths []string) {
	t.Helper()
	for _, p := range paths {
		if code, body, err := s.Do(http.MethodDelete, p, "", nil); err != nil || code >= 300 && code != http.StatusNotFound {
			t.Errorf("kubetest: uninstall %s: HTTP %d %s %v", p, code, body, err)
		}
	}
	for _, p := range paths {
		s.eventually(t, p+" gone", func() bool {
			code, _, err := s.Do(http.MethodGet, p, "", nil)
			return err == nil && code == http.StatusNotFound
		})
	}
}

func (s *Server) established(path string) bool {
	code, body, err := s.Do(http.MethodGet, path, "", nil)
	if err != nil || code != http.StatusOK {
		return false
	}
	var crd struct {
		Status struct {
			Conditions []struct{ Type, Status string }
		}
	}
	if json.Unmarshal(body, &crd) != nil {
		return false
	}
	for _, c := range crd.Status.Conditions {
		if c.Type == "Established" && c.Status == "True" {
			return true
		}
	}
	return false
}

// eventually fails t unless ok turns true within a minute.
func (s *Server) eventually(t testing.TB, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("kubetest: %s: not after a minute", what)
		}
	}
}
