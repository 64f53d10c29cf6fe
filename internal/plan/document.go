// Package plan turns a mock run of the lab program into the document `lab
// plan` prints: every resource with its inputs, parents and dependencies,
// the stack outputs, and the estimates (pod capacity, cost, up/destroy
// time). It also renders documents as text or markdown and diffs two of them.
package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/eks-study/lab/internal/estimate"
	"github.com/eks-study/lab/internal/offline"
)

// Document is the JSON contract of `lab plan --format json`: sorted, free of
// timestamps and secrets, so that two runs of the same config are
// byte-identical and two commits can be diffed.
type Document struct {
	Stack     string         `json:"stack"`
	Resources []Resource     `json:"resources"` // sorted by URN
	Outputs   map[string]any `json:"outputs"`
	Estimates Estimates      `json:"estimates"`
}

// Resource is one registered resource.
type Resource struct {
	URN          string         `json:"urn"`
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	Parent       string         `json:"parent"` // parent URN; the stack's URN for top-level resources
	Inputs       map[string]any `json:"inputs"`
	Dependencies []string       `json:"dependencies"`      // URNs, sorted
	Aliases      []string       `json:"aliases,omitempty"` // earlier URNs it answers to, sorted
}

// Estimates are what the desired state implies.
type Estimates struct {
	Capacity []NodeCapacity     `json:"capacity"`
	Cost     estimate.Cost      `json:"cost"`
	Duration estimate.Durations `json:"duration"`
	States   *States            `json:"states,omitempty"` // with Options.Other
}

// Options tune the estimates.
type Options struct {
	SessionHours float64 // length of a lab session; estimate.DefaultSessionHours when 0
	// Other is the plan of the same stack with eks-lab:paused flipped; with
	// it the estimates cover both states (Estimates.States). Optional.
	Other *offline.Plan
}

// Secret is what a plan shows in place of a secret value.
const Secret = "[secret]"

// Build makes the document of a mock run.
func Build(p *offline.Plan, opts Options) (*Document, error) {
	if opts.SessionHours == 0 {
		opts.SessionHours = estimate.DefaultSessionHours
	}
	d := &Document{Stack: p.Stack, Resources: make([]Resource, 0, len(p.Resources)), Outputs: map[string]any{}}
	for _, r := range p.Resources {
		deps := append([]string{}, r.Dependencies...)
		slices.Sort(deps)
		d.Resources = append(d.Resources, Resource{
			URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent,
			Inputs: digestManifest(r.Type, redactPaths(redact(r.Type, "", r.Inputs).(map[string]any), r.Secrets)), Dependencies: deps, Aliases: r.Aliases,
		})
	}
	slices.SortFunc(d.Resources, func(a, b Resource) int { return strings.Compare(a.URN, b.URN) })
	for k, v := range p.Outputs {
		d.Outputs[k] = redact("", k, v)
	}
	// Round-trip through JSON so that the document holds exactly what a
	// reader of the JSON file gets (numbers as float64, no typed maps).
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("plan of stack %s: %w", p.Stack, err)
	}
	d = &Document{}
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("plan of stack %s: %w", p.Stack, err)
	}
	est, err := estimates(d, opts)
	if err != nil {
		return nil, fmt.Errorf("plan of stack %s: %w", p.Stack, err)
	}
	d.Estimates = est
	if opts.Other != nil {
		if d.Estimates.States, err = bothStates(d, p, opts.Other, opts); err != nil {
			return nil, fmt.Errorf("plan of stack %s, running and paused: %w", p.Stack, err)
		}
	}
	return d, nil
}

// secretKeys are input names whose values are credentials wherever they
// appear, marked secret by the program or not (inputs the program marked
// secret are hidden too, by redactPaths).
var secretKeys = regexp.MustCompile(`(?i)^(kubeconfig|password|secret|token|privatekey|clientsecret|secretaccesskey|sessiontoken|apikey)$`)

// redactPaths replaces the values at the dotted paths (the inputs the
// program marked secret) with Secret; inputs is already a copy.
func redactPaths(inputs map[string]any, paths []string) map[string]any {
	for _, path := range paths {
		parts := strings.Split(path, ".")
		var cur any = inputs
		for i, part := range parts {
			last := i == len(parts)-1
			switch c := cur.(type) {
			case map[string]any:
				if _, ok := c[part]; ok && last {
					c[part] = Secret
				}
				cur = c[part]
			case []any:
				n, err := strconv.Atoi(part)
				if err != nil || n >= len(c) {
					cur = nil
					continue
				}
				if last {
					c[n] = Secret
				}
				cur = c[n]
			}
		}
	}
	return inputs
}

// digestManifest shows a yaml/v2 ConfigGroup's manifest (the load balancer
// controller's vendored CRDs, some 200 KB) by its SHA-256 and size: a
// changed manifest still changes the plan, without the plan carrying it.
func digestManifest(typ string, inputs map[string]any) map[string]any {
	if text, ok := inputs["yaml"].(string); ok && typ == "kubernetes:yaml/v2:ConfigGroup" {
		inputs["yaml"] = fmt.Sprintf("sha256:%x, %d bytes", sha256.Sum256([]byte(text)), len(text))
	}
	return inputs
}

// redact copies v with secret values replaced by Secret.
func redact(typ, key string, v any) any {
	switch {
	case key != "" && secretKeys.MatchString(key) && v != nil:
		return Secret
	case typ == "kubernetes:core/v1:Secret" && (key == "data" || key == "stringData"):
		return Secret
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = redact(typ, k, e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = redact(typ, "", e)
		}
		return out
	case string:
		if strings.Contains(v, "PRIVATE KEY-----") {
			return Secret
		}
	}
	return v
}

// WriteJSON writes the document as indented JSON with a final newline.
func (d *Document) WriteJSON(w io.Writer) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ReadFile reads a document written by WriteJSON.
func ReadFile(path string) (*Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: not a lab plan JSON file: %v", path, err)
	}
	if d.Stack == "" || d.Resources == nil {
		return nil, fmt.Errorf("%s: not a lab plan JSON file (no stack or resources); make one with `lab plan --format json`", path)
	}
	return &d, nil
}

// OfType returns the resources of one type, in URN order.
func (d *Document) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range d.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}
