package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/identity"
	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/components/lbcontroller"
	"github.com/eks-study/lab/components/lbcontroller/awslbc"
	"github.com/eks-study/lab/internal/offline"
	"github.com/eks-study/lab/internal/offline/mock"
	"github.com/eks-study/lab/internal/versions"
)

// deployLBController installs the controller the way the program does, after a node group.
func deployLBController(t *testing.T) (*offline.Plan, string) {
	return deployLBControllerIn(t, trust.IRSA)
}

func deployLBControllerIn(t *testing.T, mode trust.Mode) (*offline.Plan, string) {
	t.Helper()
	plan, err := mock.RunProgram("test", nil, func(ctx *pulumi.Context) error {
		awsProv, k8s, err := mock.Providers(ctx)
		if err != nil {
			return err
		}
		nodes, err := awseks.NewNodeGroup(ctx, "nodes", &awseks.NodeGroupArgs{
			ClusterName: pulumi.String("myeks"), NodeRoleArn: pulumi.String("arn:aws:iam::123456789012:role/nodes"),
			SubnetIds:     pulumi.ToStringArray([]string{"subnet-1"}),
			ScalingConfig: &awseks.NodeGroupScalingConfigArgs{DesiredSize: pulumi.Int(3), MinSize: pulumi.Int(3), MaxSize: pulumi.Int(6)},
		}, pulumi.Provider(awsProv))
		if err != nil {
			return err
		}
		_, err = lbcontroller.NewLoadBalancerController(ctx, "lbc", &lbcontroller.LoadBalancerControllerArgs{
			Cluster: identity.Cluster{
				Mode: mode, Name: pulumi.String("myeks"),
				OidcProviderArn: pulumi.String(mockProviderArn), OidcIssuer: pulumi.String(mockIssuer),
			},
			Region: "ap-northeast-2", VpcID: pulumi.String("vpc-0abc"),
		}, pulumi.Providers(awsProv, k8s), pulumi.DependsOn([]pulumi.Resource{nodes}))
		return err
	})
	if err != nil {
		t.Fatalf("lbcontroller: %v", err)
	}
	nodes, _ := plan.Find("aws:eks/nodeGroup:NodeGroup", "nodes")
	return plan, nodes.URN
}

func TestPolicyIsThePublishedOne(t *testing.T) {
	t.Parallel()
	p, _ := deployLBController(t)
	pol := must(t, p, "aws:iam/policy:Policy", "lbc")
	var got, want any
	if err := json.Unmarshal([]byte(pol.Inputs["policy"].(string)), &got); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(awslbc.PolicyDocument()), &want)
	if !reflect.DeepEqual(got, want) {
		t.Error("the IAM policy is not the embedded iam_policy file")
	}
	att := must(t, p, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lbc-irsa-AWSLoadBalancerControllerIAMPolicy")
	if att.Inputs["policyArn"] != "arn:aws:iam::123456789012:policy/lbc" {
		t.Errorf("attached policy = %v", att.Inputs["policyArn"])
	}
}

func TestRoleTrustsOnlyTheControllerServiceAccount(t *testing.T) {
	t.Parallel()
	p, _ := deployLBController(t)
	role := must(t, p, "aws:iam/role:Role", "lbc-irsa")
	var trust struct {
		Statement []struct {
			Principal map[string]string
			Action    string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(role.Inputs["assumeRolePolicy"].(string)), &trust); err != nil {
		t.Fatal(err)
	}
	s := trust.Statement[0]
	if s.Principal["Federated"] != mockProviderArn || s.Action != "sts:AssumeRoleWithWebIdentity" {
		t.Errorf("trust statement %+v", s)
	}
	if sub := s.Condition["StringEquals"][mockIssuer+":sub"]; sub != "system:serviceaccount:kube-system:aws-load-balancer-controller" {
		t.Errorf("trusted subject = %q", sub)
	}
	if aud := s.Condition["StringEquals"][mockIssuer+":aud"]; aud != "sts.amazonaws.com" {
		t.Errorf("trusted audience = %q", aud)
	}
}

func TestHelmRelease(t *testing.T) {
	t.Parallel()
	p, nodes := deployLBController(t)
	rel := must(t, p, "kubernetes:helm.sh/v3:Release", "lbc")
	for key, want := range map[string]any{
		"chart": "aws-load-balancer-controller", "version": versions.LBControllerChart,
		"namespace": "kube-system", "name": "aws-load-balancer-controller",
	} {
		if rel.Inputs[key] != want {
			t.Errorf("release %s = %v, want %v", key, rel.Inputs[key], want)
		}
	}
	if repo := rel.Inputs["repositoryOpts"].(map[string]any)["repo"]; repo != "https://aws.github.io/eks-charts" {
		t.Errorf("chart repo = %v", repo)
	}
	if skip, _ := rel.Inputs["skipAwait"].(bool); skip {
		t.Error("the release does not wait for the controller to be ready")
	}
	v := rel.Inputs["values"].(map[string]any)
	for key, want := range map[string]any{
		"clusterName": "myeks", "region": "ap-northeast-2", "vpcId": "vpc-0abc", "keepTLSSecret": true,
	} {
		if v[key] != want {
			t.Errorf("values.%s = %v, want %v", key, v[key], want)
		}
	}
	sa := v["serviceAccount"].(map[string]any)
	if sa["annotations"].(map[string]any)["eks.amazonaws.com/role-arn"] != "arn:aws:iam::123456789012:role/lbc-irsa" {
		t.Errorf("values.serviceAccount = %v", sa)
	}

	// The program applies the chart's CRDs, from the tagged commit, and Helm
	// leaves them alone (it would install them once and never upgrade them).
	if skip, _ := rel.Inputs["skipCrds"].(bool); !skip {
		t.Error("Helm installs the chart's CRDs besides the program")
	}
	// From the vendored text, nothing read over the network, under the URN
	// a lab created when they were ConfigFiles of a URL had.
	var crds []string
	for _, f := range awslbc.CRDFiles {
		name := "lbc-" + strings.TrimSuffix(f, ".yaml")
		cg := must(t, p, "kubernetes:yaml/v2:ConfigGroup", name)
		text, _ := awslbc.CRDs(f)
		if cg.Inputs["yaml"] != text || cg.Inputs["file"] != nil || !cg.Remote {
			t.Errorf("CRDs %s: %d bytes of YAML (want the vendored %d), file %v, remote %v", f, len(fmt.Sprint(cg.Inputs["yaml"])), len(text), cg.Inputs["file"], cg.Remote)
		}
		if old := strings.Replace(cg.URN, "kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml/v2:ConfigFile", 1); !slices.Contains(cg.Aliases, old) {
			t.Errorf("CRDs %s: aliases %v lack the ConfigFile's URN %s", f, cg.Aliases, old)
		}
		crds = append(crds, cg.URN)
	}

	// Installed after the nodes exist and the CRDs are established; on
	// destroy removed before the nodes and before its permissions are detached.
	att := must(t, p, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lbc-irsa-AWSLoadBalancerControllerIAMPolicy")
	for _, dep := range append([]string{nodes, att.URN}, crds...) {
		if !slices.Contains(rel.Dependencies, dep) {
			t.Errorf("release does not depend on %s (deps %v)", dep, rel.Dependencies)
		}
	}
	k8s := must(t, p, "pulumi:providers:kubernetes", "k8s")
	if !strings.HasPrefix(rel.Provider, k8s.URN+"::") {
		t.Errorf("release provider = %q, want the explicit %s", rel.Provider, k8s.URN)
	}
	awsProv := must(t, p, "pulumi:providers:aws", "aws")
	for _, r := range p.Resources {
		if strings.HasPrefix(r.Type, "aws:") && r.Name != "nodes" && !strings.HasPrefix(r.Provider, awsProv.URN+"::") {
			t.Errorf("%s %s provider = %q", r.Type, r.Name, r.Provider)
		}
		if strings.HasPrefix(r.Type, "kubernetes:") && !strings.HasPrefix(r.Provider, k8s.URN+"::") {
			t.Errorf("%s %s provider = %q, want the explicit %s", r.Type, r.Name, r.Provider, k8s.URN)
		}
	}
}

// With Pod Identity the role trusts the pods.eks.amazonaws.com service, an
// association binds it to the controller's service account, the service
// account carries no role annotation, and the release waits for the
// association (the agent injects credentials when a pod is created).
func TestPodIdentity(t *testing.T) {
	t.Parallel()
	p, _ := deployLBControllerIn(t, trust.PodIdentity)
	role := must(t, p, "aws:iam/role:Role", "lbc-pod-identity")
	if !strings.Contains(role.Inputs["assumeRolePolicy"].(string), `"Service":"pods.eks.amazonaws.com"`) {
		t.Errorf("trust policy = %s", role.Inputs["assumeRolePolicy"])
	}
	assoc := must(t, p, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "lbc-pod-identity")
	for key, want := range map[string]any{
		"clusterName": "myeks", "namespace": "kube-system", "serviceAccount": "aws-load-balancer-controller",
		"roleArn": "arn:aws:iam::123456789012:role/lbc-pod-identity",
	} {
		if assoc.Inputs[key] != want {
			t.Errorf("association %s = %v, want %v", key, assoc.Inputs[key], want)
		}
	}
	rel := must(t, p, "kubernetes:helm.sh/v3:Release", "lbc")
	if sa, ok := rel.Inputs["values"].(map[string]any)["serviceAccount"]; ok {
		t.Errorf("values.serviceAccount = %v, want no role annotation", sa)
	}
	att := must(t, p, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "lbc-pod-identity-AWSLoadBalancerControllerIAMPolicy")
	for _, dep := range []string{assoc.URN, att.URN, role.URN} {
		if !slices.Contains(rel.Dependencies, dep) {
			t.Errorf("release does not depend on %s", dep)
		}
	}
	if _, ok := p.Find("aws:iam/role:Role", "lbc-irsa"); ok {
		t.Error("an IRSA role in Pod Identity mode")
	}
}

func TestKeepCRDsForcesAndRetainsOnlyCRDs(t *testing.T) {
	t.Parallel()
	got := lbcontroller.KeepCRDs(context.Background(), &pulumi.ResourceTransformArgs{
		Type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
		Props: pulumi.Map{"metadata": pulumi.Map{
			"name":        pulumi.String("targetgroupbindings.elbv2.k8s.aws"),
			"annotations": pulumi.Map{"controller-gen.kubebuilder.io/version": pulumi.String("v0.19.0")},
		}},
	})
	if got == nil || !got.Opts.RetainOnDelete {
		t.Fatalf("a CRD is not retained on delete: %+v", got)
	}
	md := got.Props["metadata"].(pulumi.Map)
	ann := md["annotations"].(pulumi.Map)
	if ann["pulumi.com/patchForce"] != pulumi.String("true") || ann["controller-gen.kubebuilder.io/version"] != pulumi.String("v0.19.0") || md["name"] == nil {
		t.Errorf("metadata = %v, want the CRD's own plus pulumi.com/patchForce", md)
	}
	if got := lbcontroller.KeepCRDs(context.Background(), &pulumi.ResourceTransformArgs{Type: "kubernetes:core/v1:Namespace", Props: pulumi.Map{}}); got != nil {
		t.Errorf("a non-CRD was transformed: %+v", got)
	}
}
