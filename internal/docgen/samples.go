package docgen

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eks-study/lab/components/workloads/catalog"
)

// Names of the parts the sample catalog generates.
const (
	PulumiYamlSamples = "samples"
	SamplesTable      = "samples-table"
)

// SamplesConfig is Pulumi.yaml's declaration of every sample's config key,
// indented as the keys under config:.
func SamplesConfig(samples []catalog.Sample) (string, error) {
	var b strings.Builder
	for _, s := range samples {
		desc, err := yaml.Marshal(s.Description)
		if err != nil {
			return "", fmt.Errorf("sample %s: %w", s.Key, err)
		}
		fmt.Fprintf(&b, "  %s:\n    type: boolean\n    default: %t\n    description: %s", s.Key, s.Default, desc)
	}
	return b.String(), nil
}

// SamplesMarkdown is docs/samples.md's table of the samples, and what they need.
func SamplesMarkdown(samples []catalog.Sample) string {
	var b strings.Builder
	b.WriteString("| Config key | Namespace | Stack output | Lesson | Section |\n| --- | --- | --- | --- | --- |\n")
	var lb, dns []string
	for _, s := range samples {
		outputs := make([]string, len(s.Outputs))
		for i, o := range s.Outputs {
			outputs[i] = "`" + o + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | [%s](#%s) |\n", s.Key, s.Namespace, strings.Join(outputs, ", "), s.Lesson, s.Name, Anchor(s.Doc))
		if s.NeedsLBController {
			lb = append(lb, "`"+s.Key+"`")
		}
		if s.NeedsExternalDNS {
			dns = append(dns, "`"+s.Key+"`")
		}
	}
	fmt.Fprintf(&b, "\n%s the AWS Load Balancer Controller (`lbController: true`); %s ExternalDNS (`domain` and `hostedZoneId`).\n",
		need(lb), need(dns))
	return b.String()
}

// need says which samples need something, as a sentence does.
func need(samples []string) string {
	switch len(samples) {
	case 0:
		return "no sample needs"
	case 1:
		return samples[0] + " needs"
	}
	return strings.Join(samples[:len(samples)-1], ", ") + " and " + samples[len(samples)-1] + " need"
}

// Anchor is the link target GitHub gives a markdown heading: lower case,
// spaces to hyphens, punctuation other than hyphens and underscores dropped.
func Anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127 && r != '—':
			b.WriteRune(r)
		}
	}
	return b.String()
}
