package acceptance

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/audit"
)

var (
	taggedVPC = audit.Leftover{Kind: "tagged resource", ID: "arn:aws:ec2:ap-northeast-2:123456789012:vpc/vpc-0abc", Delete: "aws ec2 delete-vpc --region ap-northeast-2 --vpc-id vpc-0abc"}
	memberNLB = audit.Leftover{Kind: "load balancer", ID: "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/net/k8s-default-membernl/3f9c",
		Delete: "aws elbv2 delete-load-balancer --region ap-northeast-2 --load-balancer-arn arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/net/k8s-default-membernl/3f9c"}
)

// fakeAudit returns the reports in turn, then the last one forever.
func fakeAudit(reports ...audit.Report) (func(context.Context) (audit.Report, error), *int) {
	calls := 0
	return func(context.Context) (audit.Report, error) {
		r := reports[min(calls, len(reports)-1)]
		calls++
		return r, nil
	}, &calls
}

func leftovers(l ...audit.Leftover) audit.Report { return audit.Report{Complete: true, Leftovers: l} }

func TestAuditWaitsOutTheTaggingAPIsLag(t *testing.T) {
	clock := newFakeClock()
	run, calls := fakeAudit(leftovers(taggedVPC), leftovers(taggedVPC), audit.Report{Complete: true})
	rep, err := AuditUntilClean(context.Background(), run, clock.poll(20*time.Minute, time.Minute), 3*time.Minute)
	if err != nil || !rep.Clean() || *calls != 3 {
		t.Errorf("AuditUntilClean = %+v, %v after %d audits; want clean on the 3rd", rep, err, *calls)
	}
}

func TestAuditFailsFastOnALoadBalancerThatStays(t *testing.T) {
	clock := newFakeClock()
	run, calls := fakeAudit(leftovers(memberNLB, taggedVPC))
	_, err := AuditUntilClean(context.Background(), run, clock.poll(20*time.Minute, time.Minute), 3*time.Minute)
	if err == nil {
		t.Fatal("a load balancer left behind passed")
	}
	// Audits at 0, 1, 2 and 3 minutes: the grace is over at the 4th.
	if *calls != 4 {
		t.Errorf("%d audits; want 4 (the 3-minute grace), not the 20-minute tagging lag", *calls)
	}
	for _, want := range []string{"still there 3m0s after destroy", "load balancer " + memberNLB.ID, memberNLB.Delete, taggedVPC.Delete} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestAuditAcceptsALoadBalancerGoneWithinTheGrace(t *testing.T) {
	clock := newFakeClock()
	run, _ := fakeAudit(leftovers(memberNLB), leftovers(memberNLB), audit.Report{Complete: true})
	if _, err := AuditUntilClean(context.Background(), run, clock.poll(20*time.Minute, time.Minute), 3*time.Minute); err != nil {
		t.Errorf("gone after two minutes: %v", err)
	}
}

func TestAuditGivesUpOnTaggedResourcesWithAHint(t *testing.T) {
	clock := newFakeClock()
	run, calls := fakeAudit(leftovers(taggedVPC))
	_, err := AuditUntilClean(context.Background(), run, clock.poll(20*time.Minute, time.Minute), 3*time.Minute)
	if err == nil || !strings.Contains(err.Error(), "up to about an hour") || !strings.Contains(err.Error(), taggedVPC.Delete) {
		t.Errorf("tagged VPC listed for 20 minutes: %v; want a failure with the lag hint and the delete command", err)
	}
	if *calls != 21 {
		t.Errorf("%d audits; want one a minute for 20 minutes", *calls)
	}
}

func TestAuditRetriesAnAWSError(t *testing.T) {
	clock := newFakeClock()
	calls := 0
	run := func(context.Context) (audit.Report, error) {
		if calls++; calls == 1 {
			return audit.Report{Complete: true}, errors.New("ThrottlingException: Rate exceeded")
		}
		return audit.Report{Complete: true}, nil
	}
	if _, err := AuditUntilClean(context.Background(), run, clock.poll(20*time.Minute, time.Minute), 3*time.Minute); err != nil || calls != 2 {
		t.Errorf("throttled once: %v after %d audits", err, calls)
	}
}
