package audit

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

func TestOwnership(t *testing.T) {
	rec := func(v string) []r53types.ResourceRecord { return []r53types.ResourceRecord{{Value: aws.String(v)}} }
	for v, want := range map[string]bool{
		ownTXT: true,
		`"heritage=external-dns,external-dns/owner=eks-lab-dev"`:                true,
		`"heritage=external-dns,external-dns/owner=eks-lab-dev2"`:               false,
		`"heritage=external-dns,external-dns/owner=x-eks-lab-dev"`:              false,
		`"heritage=something,external-dns/owner=eks-lab-dev"`:                   false,
		`"v=spf1 include:external-dns/owner=eks-lab-dev heritage=external-dns"`: false,
	} {
		if got := ownedBy(rec(v), owner); got != want {
			t.Errorf("ownedBy(%s) = %v, want %v", v, got, want)
		}
	}
	for name, want := range map[string]string{
		`\052.apps.example.com.`:   "*.apps.example.com.",
		`a-\052.Apps.Example.com.`: "a-*.apps.example.com.",
		`x\05`:                     `x\05`, // a cut-off escape is kept
		"Tetris.example.com.":      "tetris.example.com.",
		`back\\slash.example.com.`: `back\\slash.example.com.`,
	} {
		if got := recordName(name); got != want {
			t.Errorf("recordName(%s) = %q, want %q", name, got, want)
		}
	}
}

// One resource found by two checks is one leftover: the keys must agree.
func TestResourceKeys(t *testing.T) {
	for id, want := range map[string]string{
		"arn:aws:ec2:ap-northeast-2:1:security-group/sg-0abc": "sg-0abc",
		"sg-0abc": "sg-0abc",
		"arn:aws:elasticloadbalancing:ap-northeast-2:1:loadbalancer/a0123":   "a0123",
		"arn:aws:elasticloadbalancing:ap-northeast-2:1:loadbalancer/net/n/1": "arn:aws:elasticloadbalancing:ap-northeast-2:1:loadbalancer/net/n/1",
		"arn:aws:logs:ap-northeast-2:1:log-group:/aws/eks/myeks/cluster:*":   "/aws/eks/myeks/cluster",
		"arn:aws:eks:ap-northeast-2:1:cluster/myeks":                         "arn:aws:eks:ap-northeast-2:1:cluster/myeks",
		"tetris.example.com. A": "tetris.example.com. A",
	} {
		if got := resourceKey(id); got != want {
			t.Errorf("resourceKey(%s) = %q, want %q", id, got, want)
		}
	}
}

// The printed change batch reaches the CLI as the exact JSON, quotes and all.
func TestDeleteBatchSurvivesTheShell(t *testing.T) {
	s := r53types.ResourceRecordSet{Name: aws.String("note.example.com."), Type: r53types.RRTypeTxt, TTL: aws.Int64(300),
		ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(`"it's \"quoted\" & $HOME"`)}}}
	out, err := exec.Command("bash", "-c", "printf %s "+deleteBatch(s)).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Changes []struct {
			Action            string
			ResourceRecordSet struct{ ResourceRecords []struct{ Value string } }
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if len(got.Changes) != 1 || got.Changes[0].Action != "DELETE" || got.Changes[0].ResourceRecordSet.ResourceRecords[0].Value != `"it's \"quoted\" & $HOME"` {
		t.Errorf("the shell passed %s", out)
	}
}

// An alias record is deleted without a TTL, which Route 53 refuses on an
// alias, even where the reader reported one.
func TestDeleteBatchOfAnAliasHasNoTTL(t *testing.T) {
	s := r53types.ResourceRecordSet{Name: aws.String("tetris.example.com."), Type: r53types.RRTypeA, TTL: aws.Int64(0),
		AliasTarget: &r53types.AliasTarget{HostedZoneId: aws.String("ZIBE1TIR4HY56"), DNSName: aws.String("k8s-x.elb.ap-northeast-2.amazonaws.com.")}}
	out, err := exec.Command("bash", "-c", "printf %s "+deleteBatch(s)).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Changes []struct{ ResourceRecordSet map[string]any }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	rrs := got.Changes[0].ResourceRecordSet
	if _, ok := rrs["TTL"]; ok || rrs["AliasTarget"] == nil {
		t.Errorf("alias delete batch %s: want an AliasTarget and no TTL", out)
	}
}

// The verdict line is the truth about the report: no "nothing left behind"
// when a check was skipped or the audit stopped.
func TestReportVerdict(t *testing.T) {
	left := []Leftover{{Kind: "tagged resource", ID: "arn:aws:sqs:r:1:q", Detail: "not confirmed"}}
	for name, tc := range map[string]struct {
		rep     Report
		verbose bool
		want    []string
		not     []string
	}{
		"clean":   {rep: Report{Complete: true, Gone: []string{"arn:x: terminated"}}, want: []string{"nothing left behind"}, not: []string{"gone:"}},
		"verbose": {rep: Report{Complete: true, Gone: []string{"arn:x: terminated"}}, verbose: true, want: []string{"gone: arn:x: terminated"}},
		"skipped": {rep: Report{Complete: true, Skipped: []string{"Route 53 records: no zone"}}, want: []string{"skipped: Route 53 records", "not a clean bill"}, not: []string{"nothing left behind"}},
		"incomplete": {rep: Report{Failed: []Failure{{"Route 53 records", errors.New("NoSuchHostedZone")}}, Leftovers: left},
			want: []string{"LEFTOVER tagged resource", "COULD NOT RUN: Route 53 records: NoSuchHostedZone", "lab audit: incomplete"}, not: []string{"nothing left"}},
		"pending":   {rep: Report{Complete: true, Pending: left}, want: []string{"pending: tagged resource", "nothing left to delete"}, not: []string{"LEFTOVER"}},
		"undecided": {rep: Report{Complete: true, Undecided: left}, want: []string{"UNDECIDED tagged resource", "not a clean bill"}, not: []string{"nothing left"}},
		"leftover":  {rep: Report{Complete: true, Leftovers: left}, want: []string{"LEFTOVER tagged resource arn:aws:sqs:r:1:q", "no delete command", "1 resource(s) left behind"}, not: []string{"delete: "}},
	} {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			tc.rep.Write(&b, tc.verbose)
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, b.String())
				}
			}
			for _, n := range tc.not {
				if strings.Contains(b.String(), n) {
					t.Errorf("report has %q:\n%s", n, b.String())
				}
			}
		})
	}
}
