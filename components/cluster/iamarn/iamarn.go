// Package iamarn reads IAM ARNs the way the cluster's access entries need:
// the name at the end of an ARN, the principal EKS records for a caller,
// and whether two role ARNs name one role. Pure Go, so that config
// validation uses the same rules as the cluster component.
package iamarn

import (
	"fmt"
	"strings"
)

// Name is the name at the end of an IAM ARN, without its path:
// AmazonEKS_CNI_Policy for a policy, github-ci for arn:aws:iam::1:role/ci/github-ci.
// The lab names policy attachments and access entries by it, so config
// refuses two admin roles of one name.
func Name(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// Principal is the IAM principal EKS records for a caller ARN: an
// assumed-role session arn:aws:sts::ACCT:assumed-role/NAME/SESSION is the
// role arn:aws:iam::ACCT:role/NAME (the session ARN drops the role's path,
// so compare roles with SameRole); any other ARN is itself.
func Principal(callerArn string) string {
	parts := strings.SplitN(callerArn, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return callerArn
	}
	role := strings.Split(strings.TrimPrefix(parts[5], "assumed-role/"), "/")[0]
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", parts[1], parts[4], role)
}

// SameRole tells whether two IAM role ARNs name the same role: same
// partition, account and role name, whatever the paths (IAM role names are
// unique in an account, paths included).
func SameRole(a, b string) bool {
	key := func(arn string) string {
		parts := strings.SplitN(arn, ":", 6)
		if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
			return ""
		}
		return parts[1] + ":" + parts[4] + ":" + Name(arn)
	}
	ka := key(a)
	return ka != "" && ka == key(b)
}
