package externaldnstest

import (
	"slices"
	"strings"
	"testing"

	"github.com/eks-study/lab/components/externaldns/extdns"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/internal/versions"
)

// The tier runs ExternalDNS with the flags the program deploys: what the
// chart's templates/deployment.yaml (tag external-dns-helm-chart-1.21.1)
// renders from components/externaldns's values over the chart's defaults.
// When the component sets a value Flags does not translate, or the chart
// changes, these fail.

func TestFlagsAreWhatTheChartRendersFromTheComponentsValues(t *testing.T) {
	want := []string{
		"--log-level=info",
		"--log-format=text",
		"--interval=1m",
		"--events",
		"--source=service",
		"--source=ingress",
		"--policy=sync",
		"--registry=txt",
		"--txt-owner-id=eks-lab-dev",
		"--domain-filter=example.com",
		"--annotation-prefix=external-dns.alpha.kubernetes.io/",
		"--provider=aws",
		"--aws-zone-type=public",
		"--zone-id-filter=Z0123456789ABCDEFGHIJ",
	}
	for _, mode := range []trust.Mode{trust.IRSA, trust.PodIdentity} {
		values := extdns.HelmValues("example.com", "/hostedzone/Z0123456789ABCDEFGHIJ", "ap-northeast-2", "eks-lab-dev", mode, "arn:aws:iam::123456789012:role/external-dns", false)
		got, err := Flags(values)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: flags\n%s\nwant\n%s", mode, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		env, err := Env(values)
		if err != nil || !slices.Equal(env, []string{"AWS_DEFAULT_REGION=ap-northeast-2"}) {
			t.Errorf("%s: environment %q, %v; want the region", mode, env, err)
		}
	}
}

// Every value the component sets is a flag Flags renders or one of the few
// that reach the pod another way.
func TestEveryValueTheComponentSetsIsTranslated(t *testing.T) {
	if versions.ExternalDNSChart != FlagsChart {
		t.Fatalf("the program deploys chart %s, Flags follows %s's templates/deployment.yaml: read the new template and update Flags, chartDefaults and FlagsChart", versions.ExternalDNSChart, FlagsChart)
	}
	for _, path := range extdns.ValuePaths {
		top, _, _ := strings.Cut(path, ".")
		_, isDefault := chartDefaults[top]
		if !isDefault && !slices.Contains(labFlagValues, top) && !slices.Contains(notFlags, top) {
			t.Errorf("the component sets %s, which Flags does not translate", path)
		}
	}
	values := extdns.HelmValues("example.com", "Z0123456789ABCDEFGHIJ", "ap-northeast-2", "eks-lab-dev", trust.IRSA, "arn:aws:iam::123456789012:role/external-dns", false)
	values["txtPrefix"] = "registry-"
	if _, err := Flags(values); err == nil || !strings.Contains(err.Error(), `"txtPrefix"`) {
		t.Errorf("a value Flags does not know: error %v, want one naming txtPrefix", err)
	}
}
