package mock

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Providers registers the explicit aws and kubernetes providers a component
// test hands to its component, as the program does: resources that used a
// default provider instead are then visible in the plan.
func Providers(ctx *pulumi.Context) (*aws.Provider, *kubernetes.Provider, error) {
	awsProvider, err := aws.NewProvider(ctx, "aws", &aws.ProviderArgs{Region: pulumi.String("ap-northeast-2")})
	if err != nil {
		return nil, nil, err
	}
	k8sProvider, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("{}")})
	return awsProvider, k8sProvider, err
}
