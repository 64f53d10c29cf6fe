package tests

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/eks-study/lab/internal/audit"
	"github.com/eks-study/lab/internal/labtool"
	"github.com/eks-study/lab/internal/testing/motoserver"
)

// A flag replaces its one value and keeps the stack file's others: with
// --cluster-name the region still comes from the file, not the environment.
func TestAuditFlagsOverrideOneValueOfTheStackFile(t *testing.T) {
	for name, tc := range map[string]struct {
		stack string
		flags audit.Options
		set   []string
		want  audit.Options
	}{
		"stack file alone": {
			stack: "private-nat",
			want: audit.Options{Project: "eks-lab", Stack: "private-nat", Region: "ap-northeast-1", ClusterName: "myeks",
				HostedZoneID: "Z0123456789ABCDEFGHIJ", TxtOwnerID: "eks-lab-private-nat"},
		},
		"cluster name given": {
			stack: "dev", flags: audit.Options{ClusterName: "other"}, set: []string{"cluster-name"},
			want: audit.Options{Project: "eks-lab", Stack: "dev", Region: "ap-northeast-2", ClusterName: "other",
				TxtOwnerID: "eks-lab-dev", NoHostedZone: true},
		},
		"region given": {
			stack: "private-nat", flags: audit.Options{Region: "eu-west-1"}, set: []string{"region"},
			want: audit.Options{Project: "eks-lab", Stack: "private-nat", Region: "eu-west-1", ClusterName: "myeks",
				HostedZoneID: "Z0123456789ABCDEFGHIJ", TxtOwnerID: "eks-lab-private-nat"},
		},
		"no stack file": {
			stack: "gone", flags: audit.Options{Region: "eu-west-1", ClusterName: "c"}, set: []string{"region", "cluster-name"},
			want: audit.Options{Project: "eks-lab", Stack: "gone", Region: "eu-west-1", ClusterName: "c"},
		},
		// The scheduled sweep passes the stack's hostedZoneId output as it is.
		"no stack file, no hosted zone": {
			stack: "gone", flags: audit.Options{Region: "eu-west-1", ClusterName: "c"}, set: []string{"region", "cluster-name", "hosted-zone-id"},
			want: audit.Options{Project: "eks-lab", Stack: "gone", Region: "eu-west-1", ClusterName: "c", NoHostedZone: true},
		},
		"no stack file, a hosted zone": {
			stack: "gone", flags: audit.Options{Region: "eu-west-1", ClusterName: "c", HostedZoneID: "Z1", TxtOwnerID: "eks-lab-gone"},
			set:  []string{"region", "cluster-name", "hosted-zone-id", "txt-owner-id"},
			want: audit.Options{Project: "eks-lab", Stack: "gone", Region: "eu-west-1", ClusterName: "c", HostedZoneID: "Z1", TxtOwnerID: "eks-lab-gone"},
		},
		"a paused lab": {
			stack: "dev", flags: audit.Options{Paused: true}, set: []string{"paused"},
			want: audit.Options{Project: "eks-lab", Stack: "dev", Region: "ap-northeast-2", ClusterName: "myeks",
				TxtOwnerID: "eks-lab-dev", NoHostedZone: true, Paused: true},
		},
		"a zone taken away on the command line": {
			stack: "private-nat", set: []string{"hosted-zone-id"},
			want: audit.Options{Project: "eks-lab", Stack: "private-nat", Region: "ap-northeast-1", ClusterName: "myeks",
				TxtOwnerID: "eks-lab-private-nat", NoHostedZone: true},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_REGION", "us-east-1")
			set := map[string]bool{}
			for _, s := range tc.set {
				set[s] = true
			}
			got, err := labtool.AuditOptions(root, tc.stack, tc.flags, set)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("options\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func TestAuditBadInputIsOneLine(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no stack":      {[]string{"audit", "--region", "ap-northeast-2"}, "--stack is required"},
		"unknown stack": {[]string{"audit", "--stack", "nope", "--root", root}, `unknown stack "nope"`},
		"no file, no cluster": {[]string{"audit", "--stack", "nope", "--root", root, "--region", "eu-west-1"},
			"give --region and --cluster-name"},
		"zone without owner": {[]string{"audit", "--stack", "nope", "--root", root, "--region", "eu-west-1", "--cluster-name", "c", "--hosted-zone-id", "Z1"},
			"missing txt owner id"},
		"unknown flag": {[]string{"audit", "--stack", "dev", "--nope"}, "flag provided but not defined: -nope"},
		"extra arg":    {[]string{"audit", "--stack", "dev", "now"}, `unexpected argument "now"`},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runLab(t, tc.args...)
			if code != labtool.AuditUsageError {
				t.Errorf("exit %d, want %d", code, labtool.AuditUsageError)
			}
			oneClearLine(t, stderr, tc.want)
		})
	}
}

// Every exit code is in --help and in docs/lifecycle.md.
func TestAuditExitCodesAreDocumented(t *testing.T) {
	_, help, _ := runLab(t, "audit", "--help")
	doc, err := os.ReadFile(root + "/docs/lifecycle.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{labtool.AuditClean, labtool.AuditLeftovers, labtool.AuditUsageError, labtool.AuditIncomplete, labtool.AuditUnsure} {
		if !strings.Contains(help, fmt.Sprintf("\n  %d  ", code)) {
			t.Errorf("lab audit --help does not explain exit code %d:\n%s", code, help)
		}
		if !strings.Contains(string(doc), fmt.Sprintf("\n| %d | ", code)) {
			t.Errorf("docs/lifecycle.md does not explain exit code %d", code)
		}
	}
}

// lab audit against the AWS API emulator: the exit code says the truth.
func TestAuditExitCodes(t *testing.T) {
	for name, tc := range map[string]struct {
		leftover, pendingKey bool
		args                 []string
		code                 int
		want                 []string
	}{
		"clean": {
			args: []string{"--stack", "dev"}, code: labtool.AuditClean, want: []string{"lab audit: nothing left behind"},
		},
		// The bug this replaces: --cluster-name made it ignore the stack file,
		// look in the environment's region and call the account clean.
		"leftover, cluster name given": {
			leftover: true, args: []string{"--stack", "dev", "--cluster-name", "other"}, code: labtool.AuditLeftovers,
			want: []string{"LEFTOVER security group"},
		},
		"no stack file and no zone": {
			args: []string{"--stack", "gone", "--region", motoserver.Region, "--cluster-name", "other"}, code: labtool.AuditUnsure,
			want: []string{"skipped: Route 53 records"},
		},
		// A check that fails hides nothing the others found.
		"zone the account lacks, and a leftover": {
			leftover: true, args: []string{"--stack", "private-nat", "--region", motoserver.Region}, code: labtool.AuditIncomplete,
			want: []string{"LEFTOVER security group", "COULD NOT RUN: Route 53 records", "lab audit: incomplete"},
		},
		// AWS deletes it in 7 days, and it bills nothing until then.
		"only a key pending deletion": {
			pendingKey: true, args: []string{"--stack", "dev"}, code: labtool.AuditClean,
			want: []string{"pending: KMS key", "nothing left to delete"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			motoserver.Env(t)
			t.Setenv("AWS_REGION", "us-east-1")
			stack := tc.args[1]
			cfg := motoserver.Config(t)
			if tc.leftover {
				// The controller's backend group, with the lab's tags.
				c := ec2.NewFromConfig(cfg)
				_, err := c.CreateSecurityGroup(context.Background(), &ec2.CreateSecurityGroupInput{
					GroupName: aws.String("k8s-traffic-other-0a1b2c3d4e"), Description: aws.String("[k8s] backend"),
					TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
						Tags: []ec2types.Tag{{Key: aws.String(audit.ClusterTag), Value: aws.String("other")},
							{Key: aws.String("project"), Value: aws.String("eks-lab")}, {Key: aws.String("stack"), Value: aws.String(stack)}}}},
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if tc.pendingKey {
				c := kms.NewFromConfig(cfg)
				k, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{Tags: []kmstypes.Tag{
					{TagKey: aws.String("project"), TagValue: aws.String("eks-lab")}, {TagKey: aws.String("stack"), TagValue: aws.String(stack)}}})
				if err == nil {
					_, err = c.ScheduleKeyDeletion(context.Background(), &kms.ScheduleKeyDeletionInput{KeyId: k.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := runLab(t, append([]string{"audit", "--root", root}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

// The audit follows the scheduled destroy of an expired lab: its stack file
// still tells where to look, though the program would refuse it today (an
// expiry in the past, a Kubernetes version that has left standard support,
// a value a newer release refuses).
func TestAuditOfAStackFileTheProgramWouldRefuseToday(t *testing.T) {
	for name, extra := range map[string]string{
		"expired":         "  eks-lab:expiry: '2026-01-02T03:04:00Z'\n",
		"out of support":  "  eks-lab:kubernetesVersion: '1.30'\n",
		"now-refused key": "  eks-lab:nodeDesiredSize: 0\n  eks-lab:nodeMinSize: 0\n",
	} {
		t.Run(name, func(t *testing.T) {
			root := stackRoot(t, "expired", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  aws:region: eu-west-1\n  eks-lab:clusterName: old\n"+extra)
			got, err := labtool.AuditOptions(root, "expired", audit.Options{}, map[string]bool{})
			if err != nil {
				t.Fatal(err)
			}
			want := audit.Options{Project: "eks-lab", Stack: "expired", Region: "eu-west-1", ClusterName: "old", TxtOwnerID: "eks-lab-expired", NoHostedZone: true}
			if got != want {
				t.Errorf("options\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

// What the audit puts into the delete commands it prints is still checked.
func TestAuditRefusesAStackFileThatNamesNoLab(t *testing.T) {
	root := stackRoot(t, "odd", "config:\n  eks-lab:sshCidr: 203.0.113.7/32\n  aws:region: 'eu-west-1; rm -rf /'\n  eks-lab:clusterName: 'a b'\n")
	_, err := labtool.AuditOptions(root, "odd", audit.Options{}, map[string]bool{})
	if err == nil || !strings.Contains(err.Error(), "aws:region") || !strings.Contains(err.Error(), "eks-lab:clusterName") {
		t.Fatalf("err = %v, want both the region and the cluster name refused", err)
	}
}
