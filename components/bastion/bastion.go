// Package bastion builds the lab's "work" instance: Amazon Linux 2023 in a
// public subnet with an IAM instance profile (no access keys on the box), SSH
// only from the member's CIDR, SSM Session Manager, IMDSv2, an encrypted root
// volume, and the lab's tools and environment variables.
package bastion

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2transitgateway"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eks-study/lab/components/bastion/userdata"
)

// SSMPolicyArn lets Session Manager reach the instance without SSH.
const SSMPolicyArn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"

// BastionArgs configures the bastion.
type BastionArgs struct {
	// VpcID is the lab VPC. Required.
	VpcID pulumi.StringInput
	// SubnetID is the public subnet the bastion runs in. Required.
	SubnetID pulumi.StringInput
	// InstanceType is the EC2 instance type, e.g. t3.small. Required.
	InstanceType string
	// Arm selects the arm64 (Graviton) AMI and tools. Default false (x86_64).
	Arm bool
	// SSHCidr is the only source allowed on port 22. Required.
	SSHCidr string
	// SSHKeyName is an existing EC2 key pair. Optional: SSM works without one.
	SSHKeyName string
	// PolicyArn is what the instance role may do in AWS (admin in the study). Required.
	PolicyArn string
	// UserData is the lab environment to write; its Arm is taken from Arm. Required.
	UserData userdata.UserData
	// Stopped stops the instance (the lab is paused): it keeps its disk,
	// role and private address, and releases its public IPv4. Default false.
	Stopped bool
}

// Bastion is the lab's work instance.
type Bastion struct {
	pulumi.ResourceState

	RoleArn         pulumi.StringOutput // the instance role: has an EKS access entry
	SecurityGroupID pulumi.StringOutput // admitted by the nodes
	InstanceID      pulumi.StringOutput // for `aws ssm start-session --target`
	PublicIP        pulumi.StringOutput // for ssh; "" while stopped (a start gets a new one)
}

// NewBastion registers the role, instance profile, security group and instance.
func NewBastion(ctx *pulumi.Context, name string, args *BastionArgs, opts ...pulumi.ResourceOption) (*Bastion, error) {
	if args == nil || args.VpcID == nil || args.SubnetID == nil || args.InstanceType == "" || args.SSHCidr == "" || args.PolicyArn == "" {
		return nil, fmt.Errorf("bastion %s: VpcID, SubnetID, InstanceType, SSHCidr and PolicyArn are required", name)
	}
	b := &Bastion{}
	if err := ctx.RegisterComponentResource("eks-lab:bastion:Bastion", name, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)

	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Description:      pulumi.String("EKS lab bastion: runs kubectl, helm, eksctl and aws"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("bastion %s: role: %w", name, err)
	}
	for _, p := range []struct{ suffix, arn string }{{"access", args.PolicyArn}, {"ssm", SSMPolicyArn}} {
		if _, err := iam.NewRolePolicyAttachment(ctx, name+"-"+p.suffix, &iam.RolePolicyAttachmentArgs{
			Role: role.Name, PolicyArn: pulumi.String(p.arn),
		}, parent); err != nil {
			return nil, fmt.Errorf("bastion %s: policy %s: %w", name, p.arn, err)
		}
	}
	profile, err := iam.NewInstanceProfile(ctx, name, &iam.InstanceProfileArgs{Role: role.Name}, parent)
	if err != nil {
		return nil, fmt.Errorf("bastion %s: instance profile: %w", name, err)
	}

	sg, err := ec2.NewSecurityGroup(ctx, name, &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("EKS lab bastion: SSH from the member only"),
		Ingress: ec2.SecurityGroupIngressArray{&ec2.SecurityGroupIngressArgs{
			Description: pulumi.String("SSH from sshCidr"),
			Protocol:    pulumi.String("tcp"), FromPort: pulumi.Int(22), ToPort: pulumi.Int(22),
			CidrBlocks: pulumi.StringArray{pulumi.String(args.SSHCidr)},
		}},
		Egress: ec2.SecurityGroupEgressArray{&ec2.SecurityGroupEgressArgs{
			Description: pulumi.String("downloads, AWS APIs, the cluster"),
			Protocol:    pulumi.String("-1"), FromPort: pulumi.Int(0), ToPort: pulumi.Int(0),
			CidrBlocks: pulumi.StringArray{pulumi.String("0.0.0.0/0")},
		}},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("bastion %s: security group: %w", name, err)
	}

	arch := "x86_64"
	if args.Arm {
		arch = "arm64"
	}
	ami, err := ssm.LookupParameter(ctx, &ssm.LookupParameterArgs{
		Name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch,
	}, pulumi.Parent(b))
	if err != nil {
		return nil, fmt.Errorf("bastion %s: Amazon Linux 2023 AMI: %w", name, err)
	}
	userData := args.UserData
	userData.Arm = args.Arm // the tools must match the instance's architecture
	script, err := userData.Render()
	if err != nil {
		return nil, fmt.Errorf("bastion %s: user data: %w", name, err)
	}
	// A newer AL2023 image must not replace the bastion in the middle of a
	// lab. userData and instanceType changes stop and start it, which must
	// not happen while it is stopped: the InstanceState, unchanged, would
	// then leave it running.
	ignored := []string{"ami"}
	if args.Stopped {
		ignored = append(ignored, "userData", "instanceType")
	}
	var keyName pulumi.StringPtrInput
	if args.SSHKeyName != "" {
		keyName = pulumi.String(args.SSHKeyName)
	}
	instance, err := ec2.NewInstance(ctx, name, &ec2.InstanceArgs{
		Ami:                 pulumi.String(ami.Value),
		InstanceType:        pulumi.String(args.InstanceType),
		SubnetId:            args.SubnetID,
		VpcSecurityGroupIds: pulumi.StringArray{sg.ID()},
		IamInstanceProfile:  profile.Name,
		KeyName:             keyName,
		UserData:            pulumi.String(script),
		MetadataOptions: &ec2.InstanceMetadataOptionsArgs{
			HttpEndpoint: pulumi.String("enabled"),
			HttpTokens:   pulumi.String("required"), // IMDSv2 only
			// 1 hop: only the instance itself, not containers on it, gets the role.
			HttpPutResponseHopLimit: pulumi.Int(1),
		},
		RootBlockDevice: &ec2.InstanceRootBlockDeviceArgs{
			Encrypted: pulumi.Bool(true), VolumeType: pulumi.String("gp3"), VolumeSize: pulumi.Int(30),
		},
		Tags: pulumi.StringMap{"Name": pulumi.String(name)},
	}, parent, pulumi.IgnoreChanges(ignored))
	if err != nil {
		return nil, fmt.Errorf("bastion %s: instance: %w", name, err)
	}
	// ec2.Instance has no state input in pulumi-aws v6.83.2; InstanceState
	// (TF aws_ec2_instance_state) stops or starts the instance and waits.
	// Its delete only stops managing the state.
	state := "running"
	if args.Stopped {
		state = "stopped"
	}
	running, err := ec2transitgateway.NewInstanceState(ctx, name, &ec2transitgateway.InstanceStateArgs{
		InstanceId: instance.ID(), State: pulumi.String(state),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("bastion %s: instance state: %w", name, err)
	}

	b.RoleArn = role.Arn
	b.SecurityGroupID = sg.ID().ToStringOutput()
	b.InstanceID = instance.ID().ToStringOutput()
	// The address of the instance as started: the Instance's own output is
	// the one of its creation, stale after a stop and start.
	b.PublicIP = pulumi.String("").ToStringOutput()
	if !args.Stopped {
		b.PublicIP = ec2.LookupInstanceOutput(ctx, ec2.LookupInstanceOutputArgs{InstanceId: running.InstanceId}, pulumi.Parent(b)).PublicIp()
	}
	return b, ctx.RegisterResourceOutputs(b, pulumi.Map{
		"roleArn": b.RoleArn, "securityGroupId": b.SecurityGroupID, "instanceId": b.InstanceID, "publicIp": b.PublicIP,
	})
}
