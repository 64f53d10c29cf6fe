package labci

import (
	"strings"
	"testing"
)

// Every output the destroy job writes to $GITHUB_ENV or $GITHUB_OUTPUT is
// checked: one that could carry a line of its own (a newline, an "=") or
// that is not even a string is refused, naming the output; a stack from
// before an output falls back as documented.
func TestReadStackOutputs(t *testing.T) {
	file := []byte("config:\n  aws:region: us-east-1\n")
	for _, c := range []struct {
		name    string
		outputs string
		file    []byte
		want    StackOutputs
		refused string // the output named in the error
	}{
		{"every output", `{"region":"eu-west-1","clusterName":"my-eks_1","hostedZoneId":"Z0123456789ABCDEFGHIJ","txtOwnerId":"eks-lab-dev"}`, file,
			StackOutputs{"eu-west-1", "my-eks_1", "Z0123456789ABCDEFGHIJ", "eks-lab-dev"}, ""},
		{"no hosted zone", `{"region":"us-gov-west-1","clusterName":"c","hostedZoneId":""}`, nil, StackOutputs{"us-gov-west-1", "c", "", ""}, ""},
		{"from before hostedZoneId", `{"region":"eu-west-1","clusterName":"c"}`, nil, StackOutputs{"eu-west-1", "c", "absent", ""}, ""},
		{"no region: the file's", `{"clusterName":"c","region":null}`, file, StackOutputs{"us-east-1", "c", "absent", ""}, ""},
		{"no region, no file: the default", `{}`, nil, StackOutputs{"ap-northeast-2", "", "absent", ""}, ""},
		{"an empty region: the file's", `{"region":""}`, file, StackOutputs{"us-east-1", "", "absent", ""}, ""},
		{"a newline in the region", `{"region":"eu-west-1\nAWS_ACCESS_KEY_ID=x"}`, nil, StackOutputs{}, "region"},
		{"an = in the cluster name", `{"region":"eu-west-1","clusterName":"c=1"}`, nil, StackOutputs{}, "clusterName"},
		{"a cluster name over 100 characters", `{"region":"eu-west-1","clusterName":"` + strings.Repeat("c", 101) + `"}`, nil, StackOutputs{}, "clusterName"},
		{"a lower-case zone", `{"region":"eu-west-1","hostedZoneId":"z123"}`, nil, StackOutputs{}, "hostedZoneId"},
		{"a zone path", `{"region":"eu-west-1","hostedZoneId":"/hostedzone/Z123"}`, nil, StackOutputs{}, "hostedZoneId"},
		{"an owner with a space", `{"region":"eu-west-1","txtOwnerId":"a b"}`, nil, StackOutputs{}, "txtOwnerId"},
		{"a number", `{"region":1}`, nil, StackOutputs{}, "region"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadStackOutputs([]byte(c.outputs), c.file, "ap-northeast-2")
			if c.refused != "" {
				if err == nil || !strings.Contains(err.Error(), "output "+c.refused+" = ") {
					t.Errorf("err = %v, want %s refused", err, c.refused)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("= %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
	for _, bad := range []struct{ outputs, file, def string }{
		{`not json`, "", "ap-northeast-2"},
		{`{}`, "config: [", "ap-northeast-2"},
		{`{}`, "config:\n  aws:region: \"eu-west-1\\nX=1\"\n", "ap-northeast-2"},
		{`{}`, "", "nowhere"},
	} {
		if got, err := ReadStackOutputs([]byte(bad.outputs), []byte(bad.file), bad.def); err == nil {
			t.Errorf("ReadStackOutputs(%q, file %q, default %q) = %+v, want an error", bad.outputs, bad.file, bad.def, got)
		}
	}
}
