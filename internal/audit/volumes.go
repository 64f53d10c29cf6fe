package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Tags on the EBS volumes made for PersistentVolumeClaims. The EBS CSI
// driver (aws-ebs-csi-driver v1.64.0, pkg/cloud/cloud.go and
// pkg/driver/constants.go, controller.go) tags every volume it creates
// CSIDriverTag=true; only when it runs with --k8s-tag-cluster-id=<cluster>
// does it add LegacyClusterTagPrefix+<cluster>=owned, KubernetesClusterTag
// and CSIClusterNameTag with the cluster's name. The in-tree aws-ebs
// provisioner tagged LegacyClusterTagPrefix+<cluster> (older releases
// KubernetesClusterTag). Both add the claim's namespace and name.
const (
	CSIDriverTag         = "ebs.csi.aws.com/cluster"
	CSIClusterNameTag    = "ebs.csi.aws.com/cluster-name"
	KubernetesClusterTag = "KubernetesCluster"
	pvcNamespaceTag      = "kubernetes.io/created-for/pvc/namespace"
	pvcNameTag           = "kubernetes.io/created-for/pvc/name"
)

// volumeClusters are the cluster names a volume's tags give.
func volumeClusters(tags map[string]string) []string {
	var names []string
	for k, v := range tags {
		switch {
		case strings.HasPrefix(k, LegacyClusterTagPrefix):
			names = append(names, strings.TrimPrefix(k, LegacyClusterTagPrefix))
		case k == KubernetesClusterTag || k == CSIClusterNameTag:
			names = append(names, v)
		}
	}
	return names
}

// claimVolumes finds the EBS volumes made for the cluster's
// PersistentVolumeClaims. Deleting a claim's cluster does not delete its
// volume: it stays "available", billing per GB-month. A volume whose tags
// name the cluster is a leftover (unless a live cluster of that name is
// another's); one the CSI driver made without a cluster tag is undecided:
// nothing says whose it is, so the audit lists it without a delete command.
func (a *auditor) claimVolumes(ctx context.Context) ([]Leftover, error) {
	// One query per tag key: moto 5.2.1's server matches no volume for
	// several tag-key values, where AWS matches any of them.
	var volumes []ec2types.Volume
	seen := map[string]bool{}
	for _, key := range []string{LegacyClusterTagPrefix + a.o.ClusterName, KubernetesClusterTag, CSIClusterNameTag, CSIDriverTag} {
		p := ec2.NewDescribeVolumesPaginator(a.c.EC2, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{filter("tag-key", key)}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, v := range page.Volumes {
				if id := aws.ToString(v.VolumeId); !seen[id] {
					seen[id] = true
					volumes = append(volumes, v)
				}
			}
		}
	}
	var out []Leftover
	for _, v := range volumes {
		tags := ec2Tags(v.Tags)
		clusters, stack := volumeClusters(tags), a.taggedStack(tags)
		switch {
		case stack != "" && stack != a.o.Stack: // another lab's
		case stack == "" && len(clusters) == 0:
			if v.State == ec2types.VolumeStateAvailable {
				l := a.volumeLeftover(v)
				l.Delete = ""
				l.Detail = join(l.Detail, "the EBS CSI driver ran without --k8s-tag-cluster-id, so no tag says which cluster's it is; "+
					"its tags: "+a.cmd("ec2", "describe-volumes", "--volume-ids", l.ID, "--query", "'Volumes[0].Tags'"))
				a.rep.Undecided = append(a.rep.Undecided, l)
			}
		case stack == "" && (!slices.Contains(clusters, a.o.ClusterName) || a.foreignCluster != "" || a.clusterErr != nil):
		default:
			switch vd := a.volumeVerdict(v); {
			case vd.left != nil:
				out = append(out, *vd.left)
			case vd.pending != nil:
				a.pending(*vd.pending, vd.why)
			}
		}
	}
	return a.byClusterName(out)
}

// volumeVerdict says whether a volume is a leftover, being deleted, or gone.
func (a *auditor) volumeVerdict(v ec2types.Volume) verdict {
	switch v.State {
	case ec2types.VolumeStateDeleted:
		return verdict{gone: "deleted"}
	case ec2types.VolumeStateDeleting:
		return inProgress(a.volumeLeftover(v), "AWS is deleting it")
	}
	return left(a.volumeLeftover(v))
}

func (a *auditor) volumeLeftover(v ec2types.Volume) Leftover {
	id, tags := aws.ToString(v.VolumeId), ec2Tags(v.Tags)
	var claim string
	if tags[pvcNameTag] != "" {
		claim = "made for PersistentVolumeClaim " + tags[pvcNamespaceTag] + "/" + tags[pvcNameTag]
	}
	var attached []string
	for _, att := range v.Attachments {
		attached = append(attached, "attached to "+aws.ToString(att.InstanceId))
	}
	return Leftover{
		Kind:   "volume",
		ID:     id,
		Detail: join(fmt.Sprintf("%d GiB %s, %s in %s", aws.ToInt32(v.Size), v.VolumeType, v.State, aws.ToString(v.AvailabilityZone)), claim, strings.Join(attached, ", ")),
		Delete: a.cmd("ec2", "delete-volume", "--volume-id", id),
	}
}
