// The ExternalDNS tier (LAB_EXTERNAL_DNS, with the kube-apiserver and moto
// tiers) runs the real ExternalDNS (internal/testing/externaldnstest), with
// the flags the program's Helm values give it, against the real
// kube-apiserver tier and moto's Route 53: the records a member's Service
// gets, what `lab audit` makes of them, and the cleanup that must
// see them deleted before ExternalDNS is uninstalled.
//
// Tests share one API server and one emulator, so none runs in parallel;
// each has its own namespace and an emulator reset to an empty account.

package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	cleanupstep "github.com/eks-study/lab/components/cleanup"
	"github.com/eks-study/lab/components/externaldns/extdns"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/audit"
	"github.com/eks-study/lab/internal/cleanup"
	"github.com/eks-study/lab/internal/testing/externaldnstest"
	"github.com/eks-study/lab/internal/testing/kubetest"
	"github.com/eks-study/lab/internal/testing/motoserver"
)

const domain = "study.example.com"

// nlbZone is the canonical hosted zone of NLBs in ap-northeast-2, where an
// alias to one must point (external-dns v0.22.0 provider/aws/aws.go,
// canonicalHostedZones, "elb.ap-northeast-2.amazonaws.com").
const nlbZone = "ZIBE1TIR4HY56"

var namespaces atomic.Int64

// lab is one test's lab: its config, its hosted zone in the emulator, its
// namespace on the API server, and its running ExternalDNS.
type lab struct {
	t    *testing.T
	ctx  context.Context
	kube *kubetest.Server
	aws  aws.Config
	r53  *route53.Client
	cfg  *config.Config
	ns   string
	edns *externaldnstest.Process
	// foreign are the zone's records that are not this lab's, as they were
	// before its ExternalDNS started.
	foreign map[string]r53types.ResourceRecordSet
}

// service is the sample-like Service of the lab: tetris's kind of Service
// (an NLB with an ExternalDNS hostname), named team.<domain>.
const (
	serviceName = "team"
	host        = "team." + domain
)

// newLab creates the zone, another lab's records in it (written by a real
// ExternalDNS with another owner id: a host literally named a-team, whose
// name is this lab's TXT record name for team) and a record nobody's
// ExternalDNS owns, then starts this lab's ExternalDNS with the program's values.
func newLab(t *testing.T) *lab {
	t.Helper()
	return newLabWith(t, nil)
}

// newLabWith is newLab for a stack that turns samples on: their needs
// decide ExternalDNS's sources (a Gateway sample adds HTTPRoutes).
func newLabWith(t *testing.T, samples catalog.Selection) *lab {
	t.Helper()
	externaldnstest.Binary(t) // skips before the servers start, without it
	kube := kubetest.Shared(t)
	l := &lab{t: t, ctx: t.Context(), kube: kube}
	l.aws = motoserver.Config(t)
	motoserver.Env(t) // ExternalDNS's AWS SDK: the emulator, static credentials
	l.r53 = route53.NewFromConfig(l.aws)

	zone, err := l.r53.CreateHostedZone(l.ctx, &route53.CreateHostedZoneInput{
		Name: aws.String(domain), CallerReference: aws.String(t.Name()),
	})
	if err != nil {
		t.Fatal(err)
	}
	l.cfg = &config.Config{
		Project: audit.DefaultProject, Stack: "dev", Region: motoserver.Region, ClusterName: "myeks",
		Domain: domain, HostedZoneID: strings.TrimPrefix(aws.ToString(zone.HostedZone.Id), "/hostedzone/"),
		Samples: samples,
	}

	// Another lab sharing the zone (another stack, another cluster).
	other := *l.cfg
	other.Stack = "other"
	otherNS := l.namespace("other-lab")
	l.createService(otherNS, "a-team", "a-team."+domain, "k8s-other-ateam-0123456789-0123456789abcdef.elb.ap-northeast-2.amazonaws.com")
	externaldnstest.RunOnce(t, externaldnstest.Options{
		Values: values(&other), Kubeconfig: kube.Kubeconfig(kubetest.AdminToken),
		Args: []string{"--namespace=" + otherNS}, // its cluster has only its own Services
	})
	kube.Must(t, http.StatusOK, http.MethodDelete, "/api/v1/namespaces/"+otherNS+"/services/a-team", nil)
	// And a record made by hand.
	l.change(r53types.ChangeActionCreate, r53types.ResourceRecordSet{
		Name: aws.String("www." + domain), Type: r53types.RRTypeCname, TTL: aws.Int64(300),
		ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("example.org")}},
	})
	l.foreign = l.records()
	for _, want := range []string{"a-team." + domain + ". A", "a-team." + domain + ". AAAA", "a-a-team." + domain + ". TXT", "www." + domain + ". CNAME"} {
		if _, ok := l.foreign[want]; !ok {
			t.Fatalf("the zone lacks the other lab's or the hand-made record %s: %v", want, keys(l.foreign))
		}
	}

	l.ns = l.namespace("lab")
	l.edns = externaldnstest.Start(t, externaldnstest.Options{Values: values(l.cfg), Kubeconfig: kube.Kubeconfig(kubetest.AdminToken)})
	return l
}

// values are the chart values the program gives ExternalDNS for cfg
// (infra/program/addons.go, components/externaldns).
func values(cfg *config.Config) map[string]any {
	return extdns.HelmValues(cfg.Domain, cfg.HostedZoneID, cfg.Region, cfg.TxtOwnerID(), trust.IRSA, "arn:aws:iam::123456789012:role/external-dns", cfg.Samples.GatewayAPI())
}

func (l *lab) namespace(prefix string) string {
	ns := fmt.Sprintf("%s-%d", prefix, namespaces.Add(1))
	l.kube.Must(l.t, http.StatusCreated, http.MethodPost, "/api/v1/namespaces", map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	})
	return ns
}

// createService creates a LoadBalancer Service of the controller's NLB
// class with the ExternalDNS hostname annotation, as the samples have it,
// and gives it the load balancer the controller would (the tier has none):
// status.loadBalancer.ingress, through the status subresource.
func (l *lab) createService(ns, name, hostname, lbHostname string) {
	l.t.Helper()
	ann, err := catalog.HostnameAnnotations(hostname)
	if err != nil {
		l.t.Fatal(err)
	}
	l.kube.Must(l.t, http.StatusCreated, http.MethodPost, "/api/v1/namespaces/"+ns+"/services", map[string]any{
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": name, "namespace": ns, "annotations": ann},
		"spec": map[string]any{
			"type": "LoadBalancer", "loadBalancerClass": catalog.NLBClass,
			"selector": map[string]any{"app": name},
			"ports":    []any{map[string]any{"port": 80, "targetPort": 80}},
		},
	})
	// Gone before the next test, whatever this one left: the cleanup and
	// every later ExternalDNS see all namespaces.
	l.t.Cleanup(func() { _, _, _ = l.kube.Do(http.MethodDelete, "/api/v1/namespaces/"+ns+"/services/"+name, "", nil) })
	l.kube.Must(l.t, http.StatusOK, http.MethodPatch, "/api/v1/namespaces/"+ns+"/services/"+name+"/status", map[string]any{
		"status": map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"hostname": lbHostname}}}},
	})
}

// records are the zone's record sets but its NS and SOA, by "name TYPE".
func (l *lab) records() map[string]r53types.ResourceRecordSet {
	l.t.Helper()
	sets, err := l.listRecords(l.ctx)
	if err != nil {
		l.t.Fatal(err)
	}
	return sets
}

func (l *lab) listRecords(ctx context.Context) (map[string]r53types.ResourceRecordSet, error) {
	out := map[string]r53types.ResourceRecordSet{}
	p := route53.NewListResourceRecordSetsPaginator(l.r53, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(l.cfg.HostedZoneID)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.ResourceRecordSets {
			if s.Type != r53types.RRTypeNs && s.Type != r53types.RRTypeSoa {
				out[aws.ToString(s.Name)+" "+string(s.Type)] = s
			}
		}
	}
	return out, nil
}

func (l *lab) change(action r53types.ChangeAction, s r53types.ResourceRecordSet) {
	l.t.Helper()
	_, err := l.r53.ChangeResourceRecordSets(l.ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(l.cfg.HostedZoneID),
		ChangeBatch:  &r53types.ChangeBatch{Changes: []r53types.Change{{Action: action, ResourceRecordSet: &s}}},
	})
	if err != nil {
		l.t.Fatalf("%s %s %s: %v", action, aws.ToString(s.Name), s.Type, err)
	}
}

// ours are the records ExternalDNS v0.22.0 writes for the lab's Service
// with an NLB: an alias A and AAAA to the NLB, and one TXT registry record
// per type, named with the type before the first label (registry/txt,
// registry/mapper at v0.22.0; the lab sets no --txt-prefix).
var ours = []string{
	host + ". A", host + ". AAAA",
	"a-" + host + ". TXT", "aaaa-" + host + ". TXT",
}

const lbHostname = "k8s-lab-team-0123456789-0123456789abcdef.elb.ap-northeast-2.amazonaws.com"

// publish creates the lab's Service and waits for ExternalDNS to publish
// its records, then checks what they say.
func (l *lab) publish() {
	l.t.Helper()
	l.createService(l.ns, serviceName, host, lbHostname)
	l.edns.WaitFor(l.t, "ExternalDNS's records for "+host, func(ctx context.Context) (bool, error) {
		sets, err := l.listRecords(ctx)
		for _, k := range ours {
			if _, ok := sets[k]; !ok {
				return false, err
			}
		}
		return true, err
	})
	sets := l.records()
	for _, typ := range []string{"A", "AAAA"} {
		a := sets[host+". "+typ].AliasTarget
		if a == nil || strings.TrimSuffix(aws.ToString(a.DNSName), ".") != lbHostname || aws.ToString(a.HostedZoneId) != nlbZone {
			l.t.Errorf("%s %s: alias %+v, want an alias to %s in zone %s", host, typ, a, lbHostname, nlbZone)
		}
	}
	owner := fmt.Sprintf(`"heritage=external-dns,external-dns/owner=%s,external-dns/resource=service/%s/%s"`, l.cfg.TxtOwnerID(), l.ns, serviceName)
	for _, k := range ours[2:] {
		if got := sets[k].ResourceRecords; len(got) != 1 || aws.ToString(got[0].Value) != owner {
			l.t.Errorf("%s: %v, want the registry record %s", k, recordValues(got), owner)
		}
	}
	l.checkForeignUntouched(sets)
	if extra := slices.DeleteFunc(keys(sets), func(k string) bool { _, f := l.foreign[k]; return f || slices.Contains(ours, k) }); len(extra) > 0 {
		l.t.Errorf("records nobody asked for: %v", extra)
	}
}

// checkForeignUntouched fails unless the other lab's and the hand-made
// records are still there as they were.
func (l *lab) checkForeignUntouched(sets map[string]r53types.ResourceRecordSet) {
	l.t.Helper()
	for k, want := range l.foreign {
		got, ok := sets[k]
		if !ok {
			l.t.Errorf("%s, another lab's or a hand-made record, was deleted", k)
			continue
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			l.t.Errorf("%s, another lab's or a hand-made record, changed:\n%s\nwas\n%s", k, g, w)
		}
	}
}

// audit runs `lab audit`'s checks for the lab's stack against the emulator.
func (l *lab) audit() audit.Report {
	l.t.Helper()
	rep, err := audit.Run(l.ctx, audit.FromConfig(l.cfg), audit.NewClients(l.aws))
	if err != nil {
		l.t.Fatalf("audit: %v", err)
	}
	return rep
}

// checkAuditListsOurs fails unless the audit lists exactly the lab's
// records, and nothing of the other lab's or the hand-made one.
func (l *lab) checkAuditListsOurs(rep audit.Report) {
	l.t.Helper()
	var got []string
	for _, lo := range rep.Leftovers {
		got = append(got, lo.Kind+": "+lo.ID)
		if _, foreign := l.foreign[lo.ID]; foreign {
			l.t.Errorf("the audit claims %s, which is not this lab's (%s), with the delete command:\n%s", lo.ID, lo.Detail, lo.Delete)
		}
	}
	var want []string
	for _, k := range ours {
		want = append(want, "Route 53 record: "+k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		l.t.Errorf("audit leftovers:\n  %s\nwant the lab's records:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !rep.Complete {
		l.t.Errorf("audit incomplete: %+v", rep)
	}
}

// tierDNSSyncWait is the cleanup's wait for ExternalDNS in the tier: an
// event-driven sync (at most 5 s after the event) three times over.
const tierDNSSyncWait = 15 * time.Second

// runCleanup runs the cleanup with opts (parsed from the command the program
// runs) and the tier's wait for ExternalDNS, and returns its log. The
// records must be gone (gone reports it of the zone's record sets) before
// that wait ends, as before the production wait ends; once they are, the
// rest of the wait changes nothing and the cleanup is stopped there, as
// pulumi's cancel would stop it (about 10 s of each run saved).
func (l *lab) runCleanup(opts cleanup.Options, gone func(map[string]r53types.ResourceRecordSet) bool) string {
	l.t.Helper()
	ctx, cancel := context.WithCancel(l.ctx)
	defer cancel()
	log := &lockedLog{}
	opts.Log, opts.DNSSyncWait = log, tierDNSSyncWait
	done := make(chan error, 1)
	go func() { done <- cleanup.Run(ctx, opts) }()
	for {
		select {
		case err := <-done: // the wait ran out: the assertions after the cleanup say what is left
			if err != nil {
				l.t.Fatalf("cleanup: %v\n%s", err, log)
			}
			return log.String()
		case <-time.After(500 * time.Millisecond):
		}
		if !strings.Contains(log.String(), "waiting "+tierDNSSyncWait.String()+" for ExternalDNS") {
			continue // still deleting
		}
		if sets, err := l.listRecords(l.ctx); err != nil || !gone(sets) {
			continue
		}
		cancel()
		// nil: the wait ran out as it was being stopped.
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			l.t.Fatalf("cleanup stopped in its wait for ExternalDNS: %v\n%s", err, log)
		}
		return log.String()
	}
}

// lockedLog is a log one goroutine writes while another reads it.
type lockedLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestTheCleanupLetsExternalDNSDeleteTheRecordsAndTheAuditFindsNone(t *testing.T) {
	l := newLab(t)
	l.publish()

	l.checkAuditListsOurs(l.audit())

	// What pulumi destroy runs before it uninstalls ExternalDNS: the cleanup
	// of ExternalDNS's own Cleanup (infra/program/cleanups.go).
	args := cleanupstep.DeleteCommand(cleanupstep.CleanupArgs{Targets: cleanup.DNSNames, ExternalDNS: true})
	if !slices.Equal(args[:3], []string{"go", "run", cleanupstep.Package}) {
		t.Fatalf("the cleanup runs %q, not lab-cleanup", args)
	}
	t.Setenv(cleanupstep.KubeconfigEnv, string(l.kube.Kubeconfig(kubetest.AdminToken)))
	opts, err := cleanup.ParseArgs(args[3:], io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The production wait is one ExternalDNS poll and a half (90 s, what
	// the command passes: TestDeleteRunsCleanupWithSecretKubeconfig asserts
	// it), for an ExternalDNS that misses the Service's deletion event. The
	// program runs it with --events (triggerLoopOnEvent), which syncs at most
	// --min-event-sync-interval (5 s) after the event: here the records were
	// gone 5 to 6 s after the cleanup started. The tier waits tierDNSSyncWait,
	// and still asserts that the records are gone within that wait.
	if opts.DNSSyncWait != cleanup.DefaultDNSSyncWait {
		t.Fatalf("the command waits %s for ExternalDNS, want %s", opts.DNSSyncWait, cleanup.DefaultDNSSyncWait)
	}
	log := l.runCleanup(opts, func(sets map[string]r53types.ResourceRecordSet) bool {
		return !slices.ContainsFunc(ours, func(k string) bool { _, ok := sets[k]; return ok })
	})
	t.Logf("cleanup:\n%s", log)

	// Right after the cleanup, while ExternalDNS still runs (Pulumi
	// uninstalls it next): the Service and the lab's records are gone.
	if l.kube.Exists(t, "/api/v1/namespaces/"+l.ns+"/services/"+serviceName) {
		t.Errorf("the cleanup left Service %s/%s", l.ns, serviceName)
	}
	sets := l.records()
	for _, k := range ours {
		if _, ok := sets[k]; ok {
			t.Errorf("%s is still in the zone after the cleanup's wait for ExternalDNS", k)
		}
	}
	l.checkForeignUntouched(sets)
	if !l.edns.Running() {
		t.Fatalf("ExternalDNS exited:\n%s", l.edns.LogTail())
	}
	l.edns.Stop() // uninstalled
	if rep := l.audit(); !rep.Clean() {
		t.Errorf("after the cleanup the audit is not clean: %+v", rep)
	}
}

func TestTheAuditsCommandsDeleteWhatAnUninstalledExternalDNSLeft(t *testing.T) {
	l := newLab(t)
	l.publish()
	// ExternalDNS goes before the Service (a destroy without the cleanup):
	// nobody deletes the records.
	l.edns.Stop()
	l.kube.Must(t, http.StatusOK, http.MethodDelete, "/api/v1/namespaces/"+l.ns+"/services/"+serviceName, nil)

	rep := l.audit()
	l.checkAuditListsOurs(rep)
	for _, lo := range rep.Leftovers {
		if _, foreign := l.foreign[lo.ID]; !foreign { // checkAuditListsOurs reported those
			l.runDelete(lo)
		}
	}
	l.checkForeignUntouched(l.records())
	if rep := l.audit(); !rep.Clean() {
		t.Errorf("after its delete commands the audit is not clean: %+v", rep)
	}
	if left := slices.DeleteFunc(keys(l.records()), func(k string) bool { _, f := l.foreign[k]; return f }); len(left) > 0 {
		t.Errorf("after the audit's delete commands the zone still has %v", left)
	}
}

// runDelete runs a leftover's delete command as a shell would: bash parses
// it, and its words must be the AWS CLI's change-resource-record-sets for
// the lab's zone and region, whose change batch the emulator then applies
// (Route 53, and moto, refuse a DELETE unless it repeats the record set exactly).
func (l *lab) runDelete(lo audit.Leftover) {
	l.t.Helper()
	out, err := exec.Command("bash", "-c", `aws() { printf '%s\0' "$@"; }; `+lo.Delete).Output()
	if err != nil {
		l.t.Fatalf("%s: bash: %v: %s", lo.ID, err, lo.Delete)
	}
	words := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	wantHead := []string{"route53", "change-resource-record-sets", "--region", l.cfg.Region, "--hosted-zone-id", l.cfg.HostedZoneID, "--change-batch"}
	if len(words) != len(wantHead)+1 || !slices.Equal(words[:len(wantHead)], wantHead) {
		l.t.Fatalf("%s: the delete command runs aws %q, want aws %q BATCH", lo.ID, words, wantHead)
	}
	var batch r53types.ChangeBatch
	dec := json.NewDecoder(strings.NewReader(words[len(words)-1]))
	dec.DisallowUnknownFields() // as the AWS CLI refuses a member the API does not have
	if err := dec.Decode(&batch); err != nil {
		l.t.Fatalf("%s: change batch %s: %v", lo.ID, words[len(words)-1], err)
	}
	if _, err := l.r53.ChangeResourceRecordSets(l.ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(l.cfg.HostedZoneID), ChangeBatch: &batch,
	}); err != nil {
		l.t.Errorf("%s: the delete command's change batch fails: %v\n%s", lo.ID, err, lo.Delete)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func recordValues(rs []r53types.ResourceRecord) []string {
	var out []string
	for _, r := range rs {
		out = append(out, aws.ToString(r.Value))
	}
	return out
}

// albZone is the canonical hosted zone of ALBs in ap-northeast-2
// (external-dns v0.22.0 provider/aws/aws.go, canonicalHostedZones).
const albZone = "ZWKZPGTI48KDX"

// A member's HTTPRoute (the ALB Gateway sample's kind of route: no
// spec.hostnames, the hostname annotation) gets an alias to its Gateway's
// ALB from ExternalDNS run with the program's values for a stack with a
// Gateway sample (--source=gateway-httproute) on a cluster with Gateway API
// v1.6.0; the dns-names cleanup deletes the route and ExternalDNS its records.
func TestGatewayHTTPRouteGetsARecordAndTheCleanupRemovesIt(t *testing.T) {
	externaldnstest.Binary(t)
	installTheCRDs(t, kubetest.Shared(t))
	l := newLabWith(t, catalog.Selection{catalog.GatewayALB: true})
	if flags, err := externaldnstest.Flags(values(l.cfg)); err != nil || !slices.Contains(flags, "--source=gateway-httproute") {
		t.Fatalf("ExternalDNS runs %q (%v), without the HTTPRoute source", flags, err)
	}
	const albHostname = "k8s-gatewaya-web-0123456789.ap-northeast-2.elb.amazonaws.com"
	routeHost := "route." + domain
	gateways := "/apis/gateway.networking.k8s.io/v1/namespaces/" + l.ns + "/gateways"
	routes := "/apis/gateway.networking.k8s.io/v1/namespaces/" + l.ns + "/httproutes"
	l.kube.Must(t, http.StatusCreated, http.MethodPost, gateways, map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"gatewayClassName": "alb", "listeners": []any{map[string]any{"name": "http", "protocol": "HTTP", "port": 80}}},
	})
	t.Cleanup(func() { _, _, _ = l.kube.Do(http.MethodDelete, gateways+"/web", "", nil) })
	// What the controller writes once the ALB exists (gateway_controller.go at v3.5.0).
	l.kube.Must(t, http.StatusOK, http.MethodPatch, gateways+"/web/status", map[string]any{
		"status": map[string]any{"addresses": []any{map[string]any{"type": "Hostname", "value": albHostname}}},
	})
	ann, err := catalog.HostnameAnnotations(routeHost)
	if err != nil {
		t.Fatal(err)
	}
	l.kube.Must(t, http.StatusCreated, http.MethodPost, routes, map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": map[string]any{"name": "blue-green", "annotations": ann},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "web", "sectionName": "http"}},
			"rules":      []any{map[string]any{"backendRefs": []any{map[string]any{"name": "blue", "port": 80}}}},
		},
	})
	t.Cleanup(func() { _, _, _ = l.kube.Do(http.MethodDelete, routes+"/blue-green", "", nil) })
	// The controller accepts the route (ExternalDNS publishes accepted routes only).
	l.kube.Must(t, http.StatusOK, http.MethodPatch, routes+"/blue-green/status", map[string]any{
		"status": map[string]any{"parents": []any{map[string]any{
			"parentRef": map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web", "sectionName": "http"}, "controllerName": "gateway.k8s.aws/alb",
			"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}},
		}}},
	})
	l.edns.WaitFor(t, "ExternalDNS's records for "+routeHost, func(ctx context.Context) (bool, error) {
		sets, err := l.listRecords(ctx)
		_, a := sets[routeHost+". A"]
		_, txt := sets["a-"+routeHost+". TXT"]
		return a && txt, err
	})
	if a := l.records()[routeHost+". A"].AliasTarget; a == nil || strings.TrimSuffix(aws.ToString(a.DNSName), ".") != albHostname || aws.ToString(a.HostedZoneId) != albZone {
		t.Errorf("%s A: alias %+v, want an alias to %s in zone %s", routeHost, a, albHostname, albZone)
	}

	// ExternalDNS's own Cleanup, as in the test above.
	t.Setenv(cleanupstep.KubeconfigEnv, string(l.kube.Kubeconfig(kubetest.AdminToken)))
	opts, err := cleanup.ParseArgs(cleanupstep.DeleteCommand(cleanupstep.CleanupArgs{Targets: cleanup.DNSNames, ExternalDNS: true})[3:], io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	l.runCleanup(opts, func(sets map[string]r53types.ResourceRecordSet) bool {
		return !slices.ContainsFunc(slices.Collect(maps.Keys(sets)), func(k string) bool { return strings.Contains(k, routeHost) })
	})
	if l.kube.Exists(t, routes+"/blue-green") || !l.kube.Exists(t, gateways+"/web") {
		t.Errorf("after the dns-names cleanup: route left %v, Gateway deleted %v; want the route gone and the Gateway kept", l.kube.Exists(t, routes+"/blue-green"), !l.kube.Exists(t, gateways+"/web"))
	}
	for k := range l.records() {
		if strings.Contains(k, routeHost) {
			t.Errorf("%s is still in the zone after the cleanup's wait for ExternalDNS", k)
		}
	}
	if !l.edns.Running() {
		t.Fatalf("ExternalDNS exited:\n%s", l.edns.LogTail())
	}
}
