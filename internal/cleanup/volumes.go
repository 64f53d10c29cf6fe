package cleanup

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
)

// Volumes outlive a cluster: EKS deletes neither the EBS volumes made for
// PersistentVolumeClaims nor anything else outside the control plane, and
// they bill per GB-month. So before the cluster goes, with PersistentVolumes
// set, the cleanup:
//   - deletes every claim bound to a volume that a provisioner made for it
//     (annotation pv.kubernetes.io/provisioned-by) with reclaim policy
//     Delete: the provisioner, the EBS CSI driver on EKS, then deletes the
//     volume and its PersistentVolume. It waits for those PersistentVolumes
//     to go, while the driver still runs on the nodes;
//   - before that, deletes what keeps such a claim: a pod that references
//     it keeps it (kubernetes.io/pvc-protection), and its workload would
//     make the pod again, a StatefulSet the claim too, so it deletes the
//     pod's top built-in workload (Deployment, StatefulSet, DaemonSet,
//     CronJob, Job, ReplicaSet, ReplicationController) or the pod itself;
//   - leaves every other volume alone, naming it: a Retain volume is kept on
//     purpose, one created by hand is not the cluster's to delete. Both
//     outlive the cluster, and the audit lists the EBS volumes left;
//   - with no node Ready (a paused lab), deletes no claim and names every
//     volume instead: nothing runs the driver that would delete them.

// annProvisionedBy marks a PersistentVolume a provisioner made for a claim
// (AnnDynamicallyProvisioned in k8s.io/kubernetes v1.35.4,
// pkg/controller/volume/persistentvolume/util/util.go).
const annProvisionedBy = "pv.kubernetes.io/provisioned-by"

// ebsCSIDriver is the EBS CSI driver's name (pkg/driver/driver.go, v1.64.0).
const ebsCSIDriver = "ebs.csi.aws.com"

// persistentVolume holds the fields of a PersistentVolume the cleanup reads.
type persistentVolume struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		ReclaimPolicy string `json:"persistentVolumeReclaimPolicy"`
		ClaimRef      *struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"claimRef"`
		CSI *struct {
			Driver       string `json:"driver"`
			VolumeHandle string `json:"volumeHandle"`
		} `json:"csi"`
		AWSElasticBlockStore *struct {
			VolumeID string `json:"volumeID"` // vol-..., or aws://ZONE/vol-...
		} `json:"awsElasticBlockStore"`
	} `json:"spec"`
}

// claimObject holds the fields of a PersistentVolumeClaim the cleanup reads.
type claimObject struct {
	Metadata meta `json:"metadata"`
	Spec     struct {
		VolumeName string `json:"volumeName"`
	} `json:"spec"`
}

// volumeSource is the storage behind a PersistentVolume.
type volumeSource struct {
	ebs   string // an EBS volume's ID
	other string // another kind of volume, described
}

func (v volumeSource) String() string {
	if v.ebs != "" {
		return "EBS volume " + v.ebs
	}
	return v.other
}

func (pv persistentVolume) source() volumeSource {
	switch s := pv.Spec; {
	case s.CSI != nil && s.CSI.Driver == ebsCSIDriver:
		return volumeSource{ebs: s.CSI.VolumeHandle}
	case s.AWSElasticBlockStore != nil:
		id := s.AWSElasticBlockStore.VolumeID
		return volumeSource{ebs: id[strings.LastIndex(id, "/")+1:]}
	case s.CSI != nil:
		return volumeSource{other: "volume " + s.CSI.VolumeHandle + " of " + s.CSI.Driver}
	}
	return volumeSource{}
}

// keptBecause says why the cleanup leaves the volume alone, or "" when it
// is deleted with its claim.
func (pv persistentVolume) keptBecause() string {
	switch {
	case pv.Spec.ReclaimPolicy != "Delete":
		return "its reclaim policy is " + pv.Spec.ReclaimPolicy
	case pv.Metadata.Annotations[annProvisionedBy] == "":
		return "it was created by hand, not provisioned for a claim"
	}
	return ""
}

// workloadKinds are the built-in controllers that make pods, by the
// apiVersion and kind of an owner reference.
var workloadKinds = map[string]kind{
	"apps/v1 Deployment":       {name: "Deployment", kubectl: "deployment", apiPath: "/apis/apps/v1", plural: "deployments", namespaced: true},
	"apps/v1 ReplicaSet":       {name: "ReplicaSet", kubectl: "replicaset", apiPath: "/apis/apps/v1", plural: "replicasets", namespaced: true},
	"apps/v1 StatefulSet":      {name: "StatefulSet", kubectl: "statefulset", apiPath: "/apis/apps/v1", plural: "statefulsets", namespaced: true},
	"apps/v1 DaemonSet":        {name: "DaemonSet", kubectl: "daemonset", apiPath: "/apis/apps/v1", plural: "daemonsets", namespaced: true},
	"batch/v1 Job":             {name: "Job", kubectl: "job", apiPath: "/apis/batch/v1", plural: "jobs", namespaced: true},
	"batch/v1 CronJob":         {name: "CronJob", kubectl: "cronjob", apiPath: "/apis/batch/v1", plural: "cronjobs", namespaced: true},
	"v1 ReplicationController": {name: "ReplicationController", kubectl: "replicationcontroller", apiPath: "/api/v1", plural: "replicationcontrollers", namespaced: true},
}

// workload is an object that makes pods, or a pod nothing makes.
type workload struct {
	kind kind
	meta meta
}

// topWorkload follows a pod's controller references up through the
// built-in workloads: deleting the top one stops the pod from coming back
// (an operator's custom resource above it may still make it again).
func (r *run) topWorkload(ctx context.Context, p pod) (workload, error) {
	w := workload{podKind, p.Metadata}
	for range 5 { // Deployment > ReplicaSet > Pod is the deepest built-in chain
		ref, ok := w.meta.controllerOf()
		if !ok {
			break
		}
		k, ok := workloadKinds[ref.APIVersion+" "+ref.Kind]
		if !ok {
			break
		}
		var owner struct {
			Metadata meta `json:"metadata"`
		}
		err := r.c.do(ctx, http.MethodGet, k.objectPath(w.meta.Namespace, ref.Name), nil, &owner)
		var ae *apiError
		if errors.As(err, &ae) && ae.code == http.StatusNotFound {
			break // being garbage collected
		}
		if err != nil {
			return workload{}, err
		}
		w = workload{k, owner.Metadata}
	}
	return w, nil
}

// claimNames are the claims a pod references, its generic ephemeral
// volumes' included (named POD-VOLUME).
func (p pod) claimNames() []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			out = append(out, p.Metadata.Name+"-"+v.Name)
		}
	}
	return out
}

// deleteVolumes deletes the claims of the volumes that go with the cluster
// and what keeps them, and returns those claims and volumes still present.
func (r *run) deleteVolumes(ctx context.Context) ([]leftover, error) {
	pvs, err := listAll[persistentVolume](ctx, r.c, volumeKind.listPath(), nil)
	if err != nil {
		return nil, err
	}
	claimList, err := listAll[claimObject](ctx, r.c, claimKind.listPath(), nil)
	if err != nil {
		return nil, err
	}
	claims := map[string]claimObject{}
	for _, c := range claimList {
		claims[qualified(c.Metadata)] = c
	}

	var deletable []volumeWithClaim // volumes that go with their claims
	var bound []leftover            // claims to delete
	for _, pv := range pvs {
		l := leftover{kind: volumeKind, name: pv.Metadata.Name, volume: pv.source(), finalizers: pv.Metadata.Finalizers}
		var claim *claimObject
		if ref := pv.Spec.ClaimRef; ref != nil {
			// A claim of the same name bound elsewhere is a new one (a
			// StatefulSet's, made again): not this volume's.
			if c, ok := claims[ref.Namespace+"/"+ref.Name]; ok && c.Spec.VolumeName == pv.Metadata.Name {
				claim = &c
			}
		}
		if why := pv.keptBecause(); why != "" {
			r.logKept(l, claim, why)
			continue
		}
		if claim != nil && r.skipped(claimKind, claim.Metadata) {
			continue
		}
		deletable = append(deletable, volumeWithClaim{l, claim})
		if claim != nil {
			bound = append(bound, leftover{kind: claimKind, namespace: claim.Metadata.Namespace, name: claim.Metadata.Name,
				claimVolume: pv.Metadata.Name, volume: l.volume, finalizers: claim.Metadata.Finalizers})
		}
	}
	if len(deletable) == 0 {
		return nil, nil
	}
	// The EBS CSI driver, which deletes these volumes, runs on the nodes: a
	// paused lab has none, and the cleanup would wait for its timeout and
	// fail the destroy. Their claims stay bound, so a resume finds them.
	ready, err := r.anyNodeReady(ctx)
	if err != nil {
		return nil, err
	}
	if !ready {
		for _, v := range deletable {
			r.logKept(v.volume, v.claim, noNodeReady)
		}
		return nil, nil
	}
	present := make([]leftover, 0, len(deletable)+len(bound))
	for _, v := range deletable {
		present = append(present, v.volume)
	}
	if len(bound) == 0 {
		return present, nil
	}

	pods, err := listAll[pod](ctx, r.c, podKind.listPath(), nil)
	if err != nil {
		return nil, err
	}
	for _, c := range bound {
		present = append(present, c)
		if err := r.stopUsers(ctx, c, pods); err != nil {
			return nil, err
		}
		if err := r.deleteOnce(ctx, claimKind, claims[c.namespace+"/"+c.name].Metadata, background, c.String()); err != nil {
			return nil, err
		}
	}
	return present, nil
}

// stopUsers deletes the top workload of every pod that references the
// claim c.
func (r *run) stopUsers(ctx context.Context, c leftover, pods []pod) error {
	for _, p := range pods {
		if p.Metadata.Namespace != c.namespace || !slices.Contains(p.claimNames(), c.name) {
			continue
		}
		w, err := r.topWorkload(ctx, p)
		if err != nil {
			return err
		}
		if r.skipped(w.kind, w.meta) {
			continue
		}
		what := w.kind.name + " " + qualified(w.meta) + ": its pod " + p.Metadata.Name + " mounts " + c.kind.name + " " + c.namespace + "/" + c.name + ", whose volume would outlive the cluster"
		if w.kind == podKind {
			what = "Pod " + qualified(p.Metadata) + ": it mounts " + c.kind.name + " " + c.namespace + "/" + c.name + ", whose volume would outlive the cluster"
		}
		if err := r.deleteOnce(ctx, w.kind, w.meta, background, what); err != nil {
			return err
		}
	}
	return nil
}

// noNodeReady is why a volume stays, its claim too, when no node is Ready.
const noNodeReady = "no node is Ready to run the EBS CSI driver, which deletes the volume once its claim goes (a paused lab has no nodes: " +
	"to have it deleted, resume the lab with eks-lab:paused false and pulumi up, then destroy)"

// volumeWithClaim is a PersistentVolume and its claim, if it still has one.
type volumeWithClaim struct {
	volume leftover
	claim  *claimObject
}

// node holds the fields of a Node the cleanup reads.
type node struct {
	Status struct {
		Conditions []statusCondition `json:"conditions"`
	} `json:"status"`
}

// ready reports whether the kubelet says the node runs pods.
func (n node) ready() bool { return readyIn(n.Status.Conditions) }

// anyNodeReady reports whether some node in the cluster is Ready.
func (r *run) anyNodeReady(ctx context.Context) (bool, error) {
	nodes, err := listAll[node](ctx, r.c, nodeKind.listPath(), nil)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(nodes, node.ready), nil
}

// logKept says once that a volume stays, and how to delete it by hand.
func (r *run) logKept(l leftover, claim *claimObject, why string) {
	var details []string
	if v := l.volume.String(); v != "" {
		details = append(details, v)
	}
	if claim != nil {
		details = append(details, "claim "+qualified(claim.Metadata))
	}
	s := "lab cleanup: keeping PersistentVolume " + l.name
	if len(details) > 0 {
		s += " (" + strings.Join(details, ", ") + ")"
	}
	s += ": " + why + ", so the volume outlives the cluster and bills until you delete it"
	if l.volume.ebs != "" {
		s += " (aws ec2 delete-volume --volume-id " + l.volume.ebs + "; lab audit lists the EBS volumes left behind)"
	}
	r.logOnce("keep/"+l.name, "%s\n", s)
}
