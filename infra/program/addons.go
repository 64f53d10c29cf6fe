package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/externaldns"
	"github.com/eks-study/lab/components/externaldns/extdns"
	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/components/lbcontroller"
	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/components/workloads"
	"github.com/eks-study/lab/infra/config"
	kubecleanup "github.com/eks-study/lab/internal/cleanup"
)

// deployAddons installs the AWS Load Balancer Controller, ExternalDNS and the
// enabled sample workloads, and returns their stack outputs.
//
// Teardown order is the point of the dependencies: the controllers wait for
// the node group (and are removed before it), and every workload waits for
// the controllers, so `pulumi destroy` deletes the Services and Ingresses
// while the controllers still run and remove their NLBs/ALBs, target
// groups, security groups and DNS records.
func deployAddons(ctx *pulumi.Context, b *base) (map[string]pulumi.Input, error) {
	cfg := b.cfg
	out := map[string]pulumi.Input{}
	providers := pulumi.Providers(b.aws, b.k8s)
	// The controllers need nodes to run on, cluster DNS to reach AWS APIs
	// and, with Pod Identity, the agent that hands them their credentials,
	// until they have removed their load balancers and records on destroy.
	//
	// And the NAT gateways: with private nodes the controllers reach the AWS
	// APIs through them, so the cleanups must finish before they go. The
	// edge must be direct: Pulumi orders the deletes of what an update drops
	// by the direct dependencies among them (a kept route table in between
	// orders nothing).
	controllerDeps := []pulumi.Resource{b.cluster.CoreDNS}
	if b.cluster.NodeGroup != nil { // nil while paused
		controllerDeps = append(controllerDeps, b.cluster.NodeGroup)
	}
	if b.cluster.PodIdentityAgent != nil {
		controllerDeps = append(controllerDeps, b.cluster.PodIdentityAgent)
	}
	controllerDeps = append(controllerDeps, b.net.NatGateways...)
	afterNodes := pulumi.DependsOn(controllerDeps)
	// The roles of the controllers' service accounts, in the configured mode.
	cluster := identity.Cluster{
		Mode: cfg.WorkloadIdentity, Name: b.cluster.Name,
		OidcProviderArn: b.cluster.OidcProviderArn, OidcIssuer: b.cluster.OidcIssuer,
	}

	// workloadDeps is what every workload must outlive on destroy (and wait
	// for on create). Anything that has to run between the workloads and the
	// controllers during teardown goes here too.
	var workloadDeps []pulumi.Resource
	var controllers []controller // what the cleanups must run before
	// serviceDeps is what every release that creates a Service or Ingress
	// waits for. The load balancer controller's chart (3.5.0,
	// templates/webhook.yaml) registers mservice.elbv2.k8s.aws for the CREATE
	// of every Service, whatever its type, in every namespace (only the
	// controller's own objects are excluded), and vingress.elbv2.k8s.aws for
	// every Ingress, both with failurePolicy Fail: created before the
	// controller's pods serve the webhook, the object is refused ("no
	// endpoints available for service aws-load-balancer-webhook-service",
	// kubernetes-sigs/aws-load-balancer-controller#4140). The release is done
	// when Helm's wait sees both pods Ready, and their readiness probe is the
	// webhook server's (main.go: AddReadyzCheck "ready-webhook"). On destroy
	// the dependents go first, while the controller still serves.
	serviceDeps := afterNodes

	if cfg.LBController {
		lbc, err := lbcontroller.NewLoadBalancerController(ctx, "aws-load-balancer-controller", &lbcontroller.LoadBalancerControllerArgs{
			Cluster:     cluster,
			Region:      cfg.Region,
			VpcID:       b.net.VpcID,
			DefaultTags: Tags(cfg),
			GatewayAPI:  cfg.Samples.GatewayAPI(),
			Paused:      cfg.Paused,
		}, providers, afterNodes)
		if err != nil {
			return nil, err
		}
		workloadDeps = append(append(workloadDeps, lbc.Release), lbc.GatewayClasses...)
		afterController := append(append([]pulumi.Resource{}, controllerDeps...), lbc.Release)
		if lbc.GatewayAPI != nil {
			// ExternalDNS's HTTPRoute source exits without Gateway API's CRDs.
			afterController = append(afterController, lbc.GatewayAPI)
		}
		serviceDeps = pulumi.DependsOn(afterController)
		controllers = append(controllers, controller{awslbc.ReleaseName, lbc.Release, kubecleanup.LoadBalancers})
		out["lbControllerRoleArn"] = lbc.RoleArn
	}

	switch {
	case cfg.ExternalDNS:
		edns, err := externaldns.NewExternalDNS(ctx, "external-dns", &externaldns.ExternalDNSArgs{
			Domain:       cfg.Domain,
			HostedZoneID: cfg.HostedZoneID,
			Region:       cfg.Region,
			TxtOwnerID:   cfg.TxtOwnerID(),
			Cluster:      cluster,
			// Gateway API is installed with the samples that need it (and
			// those need the load balancer controller, which installs it).
			GatewayHTTPRoutes: cfg.Samples.GatewayAPI(),
			Paused:            cfg.Paused,
		}, providers, serviceDeps) // its chart creates a Service (templates/service.yaml)
		if err != nil {
			return nil, err
		}
		workloadDeps = append(workloadDeps, edns.Release)
		controllers = append(controllers, controller{extdns.ReleaseName, edns.Release, kubecleanup.DNSNames})
		out["externalDnsRoleArn"] = edns.RoleArn
	case cfg.Domain == "" || cfg.HostedZoneID == "":
		if err := ctx.Log.Info("ExternalDNS is not installed: set "+config.Namespace+":domain and "+
			config.Namespace+":hostedZoneId (your Route 53 public hosted zone) to install it", nil); err != nil {
			return nil, err
		}
	default:
		if err := ctx.Log.Info("ExternalDNS is not installed: "+config.Namespace+":externalDns is false", nil); err != nil {
			return nil, err
		}
	}

	// Members' own LoadBalancer Services and Ingresses go before the
	// controllers, and after the samples (so ExternalDNS also sees those go).
	cleanups, err := newCleanups(ctx, b, controllerDeps, controllers)
	if err != nil {
		return nil, err
	}
	workloadDeps = append(workloadDeps, cleanups...)

	// While paused no sample is registered: the update deletes them, then
	// the cleanups, while the controllers, nodes and NAT still run.
	if cfg.Paused || len(cfg.Samples.Enabled()) == 0 {
		return out, nil
	}
	w, err := workloads.NewWorkloads(ctx, "samples", &workloads.WorkloadsArgs{
		Samples:           cfg.Samples,
		Domain:            cfg.Domain,
		ExternalDNS:       cfg.ExternalDNS,
		ALBGroupName:      cfg.ALBGroupName,
		ACMCertificateArn: cfg.ACMCertificateArn,
	}, providers, pulumi.DependsOn(workloadDeps))
	if err != nil {
		return nil, err
	}
	for name, url := range w.URLs {
		out[name] = url
	}
	return out, nil
}
