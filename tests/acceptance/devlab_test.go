//go:build acceptance

// The acceptance test: a real lab in a real AWS account, brought up from a
// stack file with the Automation API, checked from this machine, torn down
// and audited. docs/acceptance.md explains cost, duration and the opt-in.
//
//	LAB_ACCEPTANCE=1 go test -tags acceptance -timeout 120m -count=1 -v ./tests/acceptance -run TestDevLab
package acceptance_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/eks-study/lab/components/workloads/catalog"
	"github.com/eks-study/lab/infra/config"
	"github.com/eks-study/lab/internal/audit"
	"github.com/eks-study/lab/internal/cleanup"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/plan"
	"github.com/eks-study/lab/internal/testing/acceptance"
)

// How long each wait may take. Load balancers take a few minutes to pass
// their health checks; ExternalDNS syncs every minute.
const (
	httpWait      = 10 * time.Minute
	dnsWait       = 10 * time.Minute
	nodesWait     = 10 * time.Minute
	podsWait      = 5 * time.Minute
	memberLBWait  = 10 * time.Minute
	auditLagLimit = 20 * time.Minute // the tagging API's lag we wait out
	auditGrace    = 3 * time.Minute  // for a load balancer, target group, security group or record
)

// lab is one run of the test.
type lab struct {
	t        *testing.T
	run      *acceptance.Run
	cfg      *config.Config
	doc      *plan.Document
	stack    auto.Stack
	awsCfg   aws.Config
	deadline time.Time // zero without a go test timeout
	upStart  time.Time
	measured acceptance.Measured
}

func TestDevLab(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	base := cmp.Or(os.Getenv(acceptance.EnvStack), acceptance.DefaultStack)
	baseCfg, err := offline.LoadStack(root, base, nil)
	if err != nil {
		t.Fatalf("%s=%s: %v", acceptance.EnvStack, base, err)
	}
	awsCfg, credErr := awsConfig(cmp.Or(baseCfg.Values["aws:region"], config.Defaults.Region))
	pre := acceptance.Prerequisites{OptIn: os.Getenv(acceptance.EnvOptIn), CredentialsErr: credErr}
	pulumiPath, pathErr := exec.LookPath("pulumi")
	pre.PulumiErr = pathErr
	_, pre.AWSCLIErr = exec.LookPath("aws")
	if msg := pre.Missing(); msg != "" {
		t.Skip(msg)
	}
	l := &lab{t: t, awsCfg: awsCfg}
	if d, ok := t.Deadline(); ok {
		if time.Until(d) < acceptance.MinTimeout {
			t.Fatalf("run with -timeout 120m (at least %s): when go test's timeout fires the test exits at once, and nothing would destroy the lab", acceptance.MinTimeout)
		}
		l.deadline = d
	}

	// Setup: nothing exists in AWS yet.
	httpc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: http.ProxyFromEnvironment}}
	ctx := context.Background()
	sshCidr, err := acceptance.SSHCidr(ctx, httpc, acceptance.CheckIPURL, os.Getenv(acceptance.EnvSSHCidr))
	if err != nil {
		t.Fatal(err)
	}
	if l.run, err = acceptance.NewRun(root, "", rand.Reader); err != nil {
		t.Fatal(err)
	}
	if err := l.prepare(base, sshCidr); err != nil {
		os.RemoveAll(l.run.Dir)
		t.Fatal(err)
	}
	t.Logf("stack %s, cluster %s in %s, sshCidr %s, expiry %s; project copy and state in %s",
		l.run.Stack, l.run.ClusterName, l.cfg.Region, sshCidr, l.cfg.Expiry.Format(time.RFC3339), l.run.Dir)
	t.Logf("lab plan: up about %g min, destroy about %g min, %.4f %s per hour",
		l.doc.Estimates.Duration.UpMinutes, l.doc.Estimates.Duration.DestroyMinutes, l.doc.Estimates.Cost.HourlyTotal, l.doc.Estimates.Cost.Currency)

	// From here on the stack exists: always destroy it. The steps before the
	// teardown stop (pulumi cancelling gracefully) on SIGINT or SIGTERM, or
	// when only the teardown's reserve of the test's time is left.
	work, stopWork := context.WithCancel(ctx)
	defer stopWork()
	if !l.deadline.IsZero() {
		var stop context.CancelFunc
		work, stop = context.WithDeadline(work, l.deadline.Add(-acceptance.TeardownReserve))
		defer stop()
	}
	l.handleSignals(stopWork)
	cli, err := auto.NewPulumiCommand(nil)
	if err != nil {
		t.Fatal(err)
	}
	l.stack, err = auto.UpsertStackLocalSource(work, l.run.Stack, l.run.ProjectDir,
		auto.EnvVars(l.run.Env()), auto.Pulumi(gracefulCLI{PulumiCommand: cli, path: pulumiPath}))
	if err != nil {
		os.RemoveAll(l.run.Dir)
		t.Fatalf("creating stack %s: %v", l.run.Stack, err)
	}
	t.Cleanup(l.teardown)

	l.step("pulumi up", func() error {
		rec := acceptance.NewRecorder()
		l.upStart = time.Now()
		_, err := l.stack.Up(work, optup.ProgressStreams(os.Stdout), optup.EventStreams(rec.Stream()))
		l.measured.Up = time.Since(l.upStart)
		if err == nil {
			l.measured.UpSteps = acceptance.StepTimes(rec.Events())
		}
		return err
	})
	l.step("a second preview shows no changes", func() error {
		rec := acceptance.NewRecorder()
		res, err := l.stack.Preview(work, optpreview.EventStreams(rec.Stream()))
		if err != nil {
			return err
		}
		return acceptance.NoChanges(res.ChangeSummary, rec.Events())
	})
	outputs, kubeconfig := l.outputs(work)

	vpc, err := netip.ParsePrefix(l.cfg.VpcCidr)
	if err != nil {
		t.Fatal(err)
	}
	l.checkSamples(work, httpc, outputs, vpc, sshCidr, "")
	l.checkDNS(work, outputs[catalog.OutTetris])

	api, err := cleanup.NewAPI(kubeconfig)
	if err != nil {
		t.Fatalf("the stack's kubeconfig: %v", err)
	}
	l.checkCluster(work, api)
	l.createMemberObjects(work, api)
	l.pauseAndResume(work, httpc, vpc, sshCidr)
	// The teardown proves the rest: destroy, audit, stack rm.
}

// checkSamples runs the HTTP checks of the samples the stack exports.
func (l *lab) checkSamples(ctx context.Context, httpc *http.Client, outputs map[string]string, vpc, sshCidr netip.Prefix, when string) {
	for _, c := range acceptance.HTTPChecks(vpc, sshCidr) {
		u, ok := outputs[c.Output]
		if !ok {
			l.t.Logf("-- %s: skipped, the stack exports no %s (sample off)", c.Name, c.Output)
			continue
		}
		l.step(c.Name+when, func() error {
			if u == "" {
				return fmt.Errorf("stack output %s is empty: the controller never wrote the load balancer's address", c.Output)
			}
			return poll(httpWait, 15*time.Second).Until(ctx, func(ctx context.Context) error { return c.Check(ctx, httpc, u) })
		})
	}
}

// pauseAndResume pauses the lab (docs/lifecycle.md), audits that nothing a
// pause deletes or stops bills (the member's load balancers included), then
// resumes it and checks that the samples answer again at their new
// addresses: the same cluster, nodes Ready again.
func (l *lab) pauseAndResume(ctx context.Context, httpc *http.Client, vpc, sshCidr netip.Prefix) {
	l.step("pause: eks-lab:paused true, pulumi up", func() (err error) {
		l.measured.Pause, err = l.upPaused(ctx, true)
		return err
	})
	l.step("lab audit --paused: nothing bills that a pause deletes or stops", func() error {
		return l.auditUntilClean(ctx, true, poll(auditGrace+time.Minute, 30*time.Second))
	})
	l.step("resume: eks-lab:paused false, pulumi up", func() (err error) {
		l.measured.Resume, err = l.upPaused(ctx, false)
		return err
	})
	outputs, kubeconfig := l.outputs(ctx)
	l.checkSamples(ctx, httpc, outputs, vpc, sshCidr, " (after the resume)")
	api, err := cleanup.NewAPI(kubeconfig)
	if err != nil {
		l.t.Fatalf("the stack's kubeconfig after the resume: %v", err)
	}
	l.checkCluster(ctx, api)
}

// upPaused sets eks-lab:paused in the run's stack file and runs pulumi up.
func (l *lab) upPaused(ctx context.Context, paused bool) (time.Duration, error) {
	if err := l.stack.SetConfig(ctx, "eks-lab:paused", auto.ConfigValue{Value: fmt.Sprint(paused)}); err != nil {
		return 0, err
	}
	start := time.Now()
	_, err := l.stack.Up(ctx, optup.ProgressStreams(os.Stdout))
	return time.Since(start), err
}

func awsConfig(region string) (aws.Config, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region))
	if err != nil {
		return cfg, err
	}
	_, err = cfg.Credentials.Retrieve(ctx)
	return cfg, err
}

// gracefulCLI is the Pulumi CLI of the Automation API, run by
// acceptance.RunCLI: an interrupted operation cancels gracefully.
type gracefulCLI struct {
	auto.PulumiCommand
	path string
}

func (c gracefulCLI) Run(ctx context.Context, workdir string, stdin io.Reader, outs, errs []io.Writer, env []string, args ...string) (string, string, int, error) {
	return acceptance.RunCLI(ctx, c.path, workdir, stdin, outs, errs, env, args...)
}

func poll(timeout, interval time.Duration) acceptance.Poll {
	return acceptance.Poll{Timeout: timeout, Interval: interval}
}

// prepare writes the run's stack file and computes `lab plan` for it.
func (l *lab) prepare(base string, sshCidr netip.Prefix) error {
	set, err := l.run.Overrides(sshCidr.String(), time.Now(), os.Getenv(acceptance.EnvDomain), os.Getenv(acceptance.EnvHostedZoneID))
	if err != nil {
		return err
	}
	if err := l.run.WriteStackFile(base, set); err != nil {
		return err
	}
	stackCfg, err := offline.LoadStack(l.run.ProjectDir, l.run.Stack, nil)
	if err != nil {
		return err
	}
	if l.cfg, err = stackCfg.LabConfig(time.Now()); err != nil {
		return err
	}
	p, paused, err := mock.BothStates(l.run.ProjectDir, l.run.Stack, nil)
	if err != nil {
		return fmt.Errorf("lab plan for %s: %w", l.run.Stack, err)
	}
	l.doc, err = plan.Build(p, plan.Options{SessionHours: 1, Other: paused})
	return err
}

// step runs one step, printing its name, duration and outcome; a failure
// ends the test (the teardown still runs).
func (l *lab) step(name string, f func() error) {
	l.t.Helper()
	start := time.Now()
	l.t.Logf("== %s", name)
	if err := f(); err != nil {
		l.t.Fatalf("FAILED: %s, after %s: %v", name, time.Since(start).Round(time.Second), err)
	}
	l.t.Logf("ok: %s (%s)", name, time.Since(start).Round(time.Second))
}

// handleSignals turns SIGINT and SIGTERM into stopWork: the running pulumi
// command cancels gracefully, the test fails, and the teardown destroys the
// lab. Later signals are only reported, until the teardown is done.
func (l *lab) handleSignals(stopWork func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				fmt.Fprintf(os.Stderr, "\nacceptance: %s: stopping the current step; the lab is destroyed next. If you kill the test instead:\n%s\n", s, l.run.RecoveryCommands())
				stopWork()
			case <-done:
				return
			}
		}
	}()
	// Registered before the teardown, so it runs after it.
	l.t.Cleanup(func() {
		signal.Stop(sigs)
		close(done)
	})
}

// outputs reads the stack outputs: the sample URLs, and the kubeconfig.
func (l *lab) outputs(ctx context.Context) (map[string]string, []byte) {
	var urls map[string]string
	var kubeconfig []byte
	l.step("read the stack outputs", func() error {
		outs, err := l.stack.Outputs(ctx)
		if err != nil {
			return err
		}
		urls = map[string]string{}
		for k, v := range outs {
			if s, ok := v.Value.(string); ok {
				urls[k] = s
			}
		}
		switch v := outs["kubeconfig"].Value.(type) {
		case string:
			kubeconfig = []byte(v)
		case nil:
			return fmt.Errorf("no kubeconfig output")
		default:
			kubeconfig, err = json.Marshal(v)
		}
		return err
	})
	return urls, kubeconfig
}

// checkDNS resolves the tetris sample's ExternalDNS name at the zone's own
// name server, when the stack has one.
func (l *lab) checkDNS(ctx context.Context, tetrisURL string) {
	if !l.cfg.ExternalDNS || tetrisURL == "" {
		l.t.Logf("-- ExternalDNS: skipped, no Route 53 zone configured (set %s and %s)", acceptance.EnvDomain, acceptance.EnvHostedZoneID)
		return
	}
	u, err := url.Parse(tetrisURL)
	if err != nil {
		l.t.Fatal(err)
	}
	l.step("ExternalDNS publishes "+u.Hostname(), func() error {
		ns, err := acceptance.NameServer(ctx, nil, l.cfg.Domain)
		if err != nil {
			return err
		}
		return poll(dnsWait, 20*time.Second).Until(ctx, func(ctx context.Context) error {
			addrs, err := acceptance.ResolveAt(ctx, ns, u.Hostname())
			if err == nil {
				l.t.Logf("%s at %s: %v", u.Hostname(), ns, addrs)
			}
			return err
		})
	})
}

// checkCluster checks the nodes against the plan and the controllers' pods.
func (l *lab) checkCluster(ctx context.Context, api *cleanup.API) {
	if len(l.doc.Estimates.Capacity) != 1 {
		l.t.Fatalf("the plan has %d node groups; the test knows one", len(l.doc.Estimates.Capacity))
	}
	c := l.doc.Estimates.Capacity[0]
	l.step(fmt.Sprintf("%d nodes Ready, %d allocatable pods each (lab plan's max pods for %s)", c.DesiredNodes, c.MaxPodsPerNode, c.InstanceType), func() error {
		return poll(nodesWait, 20*time.Second).Until(ctx, func(ctx context.Context) error {
			var nodes json.RawMessage
			if err := api.Do(ctx, http.MethodGet, "/api/v1/nodes", nil, &nodes); err != nil {
				return err
			}
			return acceptance.CheckNodes(nodes, c.DesiredNodes, c.MaxPodsPerNode)
		})
	})
	for _, p := range acceptance.ControllerPods(l.cfg) {
		l.step(p.What+" pods Ready", func() error {
			return poll(podsWait, 15*time.Second).Until(ctx, func(ctx context.Context) error {
				var pods json.RawMessage
				if err := api.Do(ctx, http.MethodGet, p.Path, nil, &pods); err != nil {
					return err
				}
				return acceptance.CheckPodsReady(pods, p.What)
			})
		})
	}
}

// createMemberObjects makes what a member makes with kubectl, and waits
// until the controller has built their load balancers.
func (l *lab) createMemberObjects(ctx context.Context, api *cleanup.API) {
	objs := acceptance.MemberObjects(l.cfg.Samples.GatewayAPI())
	var names []string
	for _, o := range objs {
		names = append(names, o.What)
	}
	l.step("a member's "+strings.Join(names, ", ")+", made through the API, get their load balancers", func() error {
		for _, o := range objs {
			if err := api.Do(ctx, http.MethodPost, o.CollectionPath, o.Body, nil); err != nil {
				return fmt.Errorf("creating %s: %w", o.What, err)
			}
		}
		for _, o := range objs {
			if !o.LoadBalanced {
				continue
			}
			err := poll(memberLBWait, 15*time.Second).Until(ctx, func(ctx context.Context) error {
				var obj json.RawMessage
				if err := api.Do(ctx, http.MethodGet, o.Path(), nil, &obj); err != nil {
					return err
				}
				host, err := acceptance.LoadBalancerHostname(obj)
				if err == nil && host == "" {
					err = fmt.Errorf("%s has no load balancer yet", o.What)
				}
				if err == nil {
					l.t.Logf("%s: %s", o.What, host)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// teardown destroys the stack, audits that nothing is left and removes the
// stack; on any failure it keeps the run's directory and prints the
// commands that finish the job by hand.
func (l *lab) teardown() {
	t := l.t
	ctx := context.Background()
	if !l.deadline.IsZero() {
		// Stop a minute before go test's deadline, to print what is left to do.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, l.deadline.Add(-time.Minute))
		defer cancel()
	}
	if !l.upStart.IsZero() {
		defer l.printTimings()
	}

	t.Logf("== pulumi destroy")
	start := time.Now()
	err := l.destroy(ctx)
	if err != nil && ctx.Err() == nil {
		t.Logf("destroy failed (%v); once more, for what is left", err)
		err = l.destroy(ctx)
	}
	l.measured.Destroy = time.Since(start)
	if !l.upStart.IsZero() {
		l.measured.Lifetime = time.Since(l.upStart)
	}
	if err != nil {
		t.Errorf("FAILED: pulumi destroy, after %s: %v\n\n%s", l.measured.Destroy.Round(time.Second), err, l.run.RecoveryCommands())
		return
	}
	t.Logf("ok: pulumi destroy (%s)", l.measured.Destroy.Round(time.Second))

	t.Logf("== lab audit: nothing left in AWS")
	start = time.Now()
	window := auditLagLimit
	if !l.deadline.IsZero() {
		window = min(window, time.Until(l.deadline)-2*time.Minute)
	}
	if err := l.auditUntilClean(ctx, false, poll(window, time.Minute)); err != nil {
		t.Errorf("FAILED: lab audit after destroy, after %s: %v\n\n%s", time.Since(start).Round(time.Second), err, l.run.RecoveryCommands())
		return
	}
	t.Logf("ok: lab audit (%s)", time.Since(start).Round(time.Second))

	if err := l.stack.Workspace().RemoveStack(ctx, l.run.Stack); err != nil {
		t.Errorf("FAILED: pulumi stack rm %s: %v\n\n%s", l.run.Stack, err, l.run.RecoveryCommands())
		return
	}
	t.Logf("ok: pulumi stack rm %s", l.run.Stack)
	if err := os.RemoveAll(l.run.Dir); err != nil {
		t.Logf("removing %s: %v", l.run.Dir, err)
	}
}

// auditUntilClean runs lab audit for the run's stack (of a paused lab with
// paused) until it finds nothing, as acceptance.AuditUntilClean decides.
func (l *lab) auditUntilClean(ctx context.Context, paused bool, p acceptance.Poll) error {
	opts := audit.FromConfig(l.cfg)
	opts.Paused = paused
	clients := audit.NewClients(l.awsCfg)
	_, err := acceptance.AuditUntilClean(ctx, func(ctx context.Context) (audit.Report, error) {
		return audit.Run(ctx, opts, clients)
	}, p, auditGrace)
	return err
}

func (l *lab) destroy(ctx context.Context) error {
	rec := acceptance.NewRecorder()
	_, err := l.stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout), optdestroy.EventStreams(rec.Stream()), optdestroy.ContinueOnError())
	if err == nil {
		l.measured.DestroySteps = acceptance.StepTimes(rec.Events())
	}
	return err
}

func (l *lab) printTimings() {
	var b strings.Builder
	acceptance.WriteTimings(&b, l.doc, l.measured)
	l.t.Log("\n" + b.String())
}
