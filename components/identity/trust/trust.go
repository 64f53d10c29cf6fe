// Package trust is what makes an IAM role a Kubernetes service account's,
// in each of the lab's two ways (eks-lab:workloadIdentity): the mode, the
// role's trust policy, and the Helm values that hand the role to a chart's
// service account and pods. Pure Go, without the Pulumi SDKs, so that config
// validation, `lab plan` and their tests use it as the identity component does.
package trust

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Mode is how pods get their role's credentials.
type Mode string

// The modes of eks-lab:workloadIdentity.
const (
	// IRSA: the pod's projected service account token is exchanged with STS
	// (AssumeRoleWithWebIdentity) against the cluster's IAM OIDC provider.
	IRSA Mode = "irsa"
	// PodIdentity: the eks-pod-identity-agent on the node fetches the
	// credentials from the EKS Auth API for the association of the pod's
	// service account; no OIDC provider in the trust policy.
	PodIdentity Mode = "pod-identity"
)

// Title is how docs and role descriptions name the mode.
func (m Mode) Title() string {
	if m == IRSA {
		return "IRSA"
	}
	return "EKS Pod Identity"
}

// Modes lists the modes, the default first.
var Modes = []Mode{IRSA, PodIdentity}

// RoleArnAnnotation is the service account annotation IRSA's webhook reads.
const RoleArnAnnotation = "eks.amazonaws.com/role-arn"

// ModeAnnotation is on the controllers' pods and carries the mode. IRSA's
// webhook and the Pod Identity agent give a pod its credentials when it is
// created, and the charts' pod templates do not depend on the service
// account: without the annotation a change of mode would leave the running
// pods with the credentials of the role the same update deletes.
const ModeAnnotation = "eks-lab/workload-identity"

// PodAnnotations are the Helm values of a chart's pod annotations
// (podAnnotations, which the lab's charts share and put on the Deployment's
// pod template): a change of mode rolls the pods.
func PodAnnotations(mode Mode) map[string]any {
	return map[string]any{ModeAnnotation: string(mode)}
}

// ServiceAccountValues are the Helm values of a chart's service account
// (serviceAccount.annotations, which the lab's charts share): with IRSA the
// role annotation IRSA's webhook reads, with Pod Identity nothing (nil), as
// the association names the service account. The charts create the service
// account under their release's name, the one the role is bound to.
func ServiceAccountValues(mode Mode, roleArn string) map[string]any {
	if mode != IRSA {
		return nil
	}
	return map[string]any{"annotations": map[string]any{RoleArnAnnotation: roleArn}}
}

// IRSATrustPolicy is the role's trust document with IRSA:
// sts:AssumeRoleWithWebIdentity by the OIDC provider, only for the one
// service account and only for tokens minted for STS.
func IRSATrustPolicy(oidcProviderArn, issuer, namespace, serviceAccount string) (string, error) {
	if !strings.Contains(oidcProviderArn, ":oidc-provider/") {
		return "", fmt.Errorf("trust: %q is not an IAM OIDC provider ARN", oidcProviderArn)
	}
	host := strings.TrimPrefix(issuer, "https://")
	if host == "" {
		return "", fmt.Errorf("trust: empty OIDC issuer")
	}
	return document(map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"Federated": oidcProviderArn},
		"Action":    "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{"StringEquals": map[string]string{
			host + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
			host + ":aud": "sts.amazonaws.com",
		}},
	})
}

// PodIdentityTrustPolicy is the role's trust document with EKS Pod Identity,
// as the EKS user guide gives it ("Create IAM role with trust policy required
// by EKS Pod Identity", pod-id-role): the pods.eks.amazonaws.com service may
// sts:AssumeRole and sts:TagSession. The conditions use the session tags EKS
// sends with every AssumeRole it makes for an association (same page:
// eks-cluster-name, kubernetes-namespace, kubernetes-service-account), so
// that another association, in this or another cluster of the account,
// cannot borrow the role. aws:SourceArn and aws:SourceAccount are left out:
// the guide does not say EKS sets them for Pod Identity, and a condition on
// a key that is absent denies.
func PodIdentityTrustPolicy(clusterName, namespace, serviceAccount string) (string, error) {
	if clusterName == "" || namespace == "" || serviceAccount == "" {
		return "", fmt.Errorf("trust: cluster %q, namespace %q and service account %q must all be set", clusterName, namespace, serviceAccount)
	}
	return document(map[string]any{
		"Sid":       "AllowEksAuthToAssumeRoleForPodIdentity",
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "pods.eks.amazonaws.com"},
		"Action":    []string{"sts:AssumeRole", "sts:TagSession"},
		"Condition": map[string]any{"StringEquals": map[string]string{
			"aws:RequestTag/eks-cluster-name":           clusterName,
			"aws:RequestTag/kubernetes-namespace":       namespace,
			"aws:RequestTag/kubernetes-service-account": serviceAccount,
		}},
	})
}

func document(statement map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{statement}})
	return string(b), err
}
