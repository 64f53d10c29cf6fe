package audit

import (
	"fmt"
	"strings"
)

// deleteHintForARN says how to delete a resource the tagging API listed.
func deleteHintForARN(arn, region string) string {
	// arn:partition:service:region:account:resource
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "delete it in the AWS console (Resource Groups > Tag Editor finds it by its tags)"
	}
	service, res := parts[2], parts[5]
	// The type ends at the first "/" or ":" (log-group:/aws/eks/...).
	typ, id := res, ""
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		typ, id = res[:i], res[i+1:]
	}
	r := "--region " + region + " "
	var cmd string
	switch service + ":" + typ {
	case "ec2:instance":
		cmd = "aws ec2 terminate-instances " + r + "--instance-ids " + id
	case "ec2:security-group":
		cmd = "aws ec2 delete-security-group " + r + "--group-id " + id
	case "ec2:vpc":
		cmd = "aws ec2 delete-vpc " + r + "--vpc-id " + id
	case "ec2:subnet":
		cmd = "aws ec2 delete-subnet " + r + "--subnet-id " + id
	case "ec2:internet-gateway":
		cmd = "aws ec2 detach-internet-gateway " + r + "--internet-gateway-id " + id + " --vpc-id VPC; aws ec2 delete-internet-gateway " + r + "--internet-gateway-id " + id
	case "ec2:natgateway":
		cmd = "aws ec2 delete-nat-gateway " + r + "--nat-gateway-id " + id
	case "ec2:elastic-ip":
		cmd = "aws ec2 release-address " + r + "--allocation-id " + id
	case "ec2:route-table":
		cmd = "aws ec2 delete-route-table " + r + "--route-table-id " + id
	case "ec2:launch-template":
		cmd = "aws ec2 delete-launch-template " + r + "--launch-template-id " + id
	case "ec2:volume":
		cmd = "aws ec2 delete-volume " + r + "--volume-id " + id
	case "ec2:network-interface":
		cmd = "aws ec2 delete-network-interface " + r + "--network-interface-id " + id
	case "elasticloadbalancing:loadbalancer":
		cmd = "aws elbv2 delete-load-balancer " + r + "--load-balancer-arn " + arn
	case "elasticloadbalancing:targetgroup":
		cmd = "aws elbv2 delete-target-group " + r + "--target-group-arn " + arn
	case "eks:cluster":
		cmd = "aws eks delete-cluster " + r + "--name " + id + " (after its node groups)"
	case "eks:nodegroup":
		// nodegroup/<cluster>/<nodegroup>/<uuid>
		if f := strings.Split(id, "/"); len(f) >= 2 {
			cmd = "aws eks delete-nodegroup " + r + "--cluster-name " + f[0] + " --nodegroup-name " + f[1]
		}
	case "iam:role":
		cmd = "aws iam delete-role --role-name " + id[strings.LastIndex(id, "/")+1:] + " (detach its policies and remove it from instance profiles first)"
	case "iam:policy":
		cmd = "aws iam delete-policy --policy-arn " + arn
	case "iam:oidc-provider":
		cmd = "aws iam delete-open-id-connect-provider --open-id-connect-provider-arn " + arn
	case "logs:log-group":
		cmd = "aws logs delete-log-group " + r + "--log-group-name " + strings.TrimSuffix(id, ":*")
	}
	if cmd == "" {
		return fmt.Sprintf("delete it in the %s console (Resource Groups > Tag Editor finds it by its tags)", service)
	}
	return cmd
}
