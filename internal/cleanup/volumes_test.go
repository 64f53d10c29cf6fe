package cleanup

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eks-study/lab/internal/testing/kubetest"
)

// volume creates a PersistentVolume bound to the claim of that name in the
// test's namespace, backed by an EBS volume as the EBS CSI driver makes
// one: with dynamic, its provisioned-by annotation and the finalizer of the
// CSI external-provisioner. It returns the volume's name.
func (f *fixture) volume(suffix, claim, reclaim string, dynamic bool, ebs string) string {
	f.t.Helper()
	name := f.ns + "-" + suffix
	md := map[string]any{"name": name}
	if dynamic {
		md["annotations"] = map[string]any{annProvisionedBy: ebsCSIDriver}
		md["finalizers"] = []any{"external-provisioner.volume.kubernetes.io/finalizer"}
	}
	f.srv.Must(f.t, http.StatusCreated, http.MethodPost, volumeKind.listPath(), map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolume", "metadata": md,
		"spec": map[string]any{
			"capacity": map[string]any{"storage": "1Gi"}, "accessModes": []any{"ReadWriteOnce"},
			"persistentVolumeReclaimPolicy": reclaim, "storageClassName": "gp3",
			"claimRef": map[string]any{"namespace": f.ns, "name": claim},
			"csi":      map[string]any{"driver": ebsCSIDriver, "volumeHandle": ebs, "fsType": "ext4"},
		},
	})
	f.t.Cleanup(func() {
		p := volumeKind.objectPath("", name)
		if code, _, _ := f.srv.Do(http.MethodPatch, p, "application/merge-patch+json", map[string]any{"metadata": map[string]any{"finalizers": nil}}); code == http.StatusOK {
			f.srv.Must(f.t, http.StatusOK, http.MethodDelete, p, nil)
		}
	})
	// The claim only after the binder has seen the volume (it marks it
	// Available): a claim it syncs before is left Pending until its
	// periodic resync, 15s later (pv_controller.go of kubernetes v1.35.4,
	// syncUnboundClaim: "volume requested and not found, will try again
	// next time"; syncVolume leaves a pre-bound volume to the claim's sync).
	f.waitPhase(name, "Available")
	f.srv.Must(f.t, http.StatusCreated, http.MethodPost, claimKind.namespacePath(f.ns), map[string]any{
		"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": map[string]any{"name": claim, "namespace": f.ns},
		"spec": map[string]any{
			"accessModes": []any{"ReadWriteOnce"}, "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}},
			"storageClassName": "gp3", "volumeName": name,
		},
	})
	return name
}

// waitBound waits until the PersistentVolume binder has bound the volumes.
func (f *fixture) waitBound(volumes ...string) {
	f.t.Helper()
	for _, v := range volumes {
		f.waitPhase(v, "Bound")
	}
}

// waitPhase waits until the PersistentVolume is in phase.
func (f *fixture) waitPhase(volume, phase string) {
	f.t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var pv struct {
			Status struct {
				Phase string `json:"phase"`
			} `json:"status"`
		}
		if err := json.Unmarshal(f.srv.Must(f.t, http.StatusOK, http.MethodGet, volumeKind.objectPath("", volume), nil), &pv); err != nil {
			f.t.Fatal(err)
		}
		if pv.Status.Phase == phase {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("PersistentVolume %s is %s after a minute, not %s", volume, pv.Status.Phase, phase)
		}
	}
}

// podTemplate is a workload's pod template.
func podTemplate(app string) map[string]any {
	return map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app": app}},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": app, "image": "postgres:17"}}},
	}
}

// workload creates an object of kind k (a workload kind) owned by owner
// (nil for none) and returns a controller reference to it.
func (f *fixture) workload(k kind, name string, owner map[string]any) map[string]any {
	f.t.Helper()
	apiVersion := strings.TrimPrefix(strings.TrimPrefix(k.apiPath, "/apis/"), "/api/")
	md := map[string]any{"name": name, "namespace": f.ns}
	if owner != nil {
		md["ownerReferences"] = []any{owner}
	}
	spec := map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": name}}, "template": podTemplate(name)}
	if k.name == "StatefulSet" {
		spec["serviceName"] = name
		spec["volumeClaimTemplates"] = []any{map[string]any{"metadata": map[string]any{"name": "data"}, "spec": map[string]any{
			"accessModes": []any{"ReadWriteOnce"}, "storageClassName": "gp3", "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}},
		}}}
	}
	var created struct {
		Metadata struct {
			UID string `json:"uid"`
		} `json:"metadata"`
	}
	data := f.srv.Must(f.t, http.StatusCreated, http.MethodPost, k.namespacePath(f.ns), map[string]any{"apiVersion": apiVersion, "kind": k.name, "metadata": md, "spec": spec})
	if err := json.Unmarshal(data, &created); err != nil {
		f.t.Fatal(err)
	}
	return map[string]any{"apiVersion": apiVersion, "kind": k.name, "name": name, "uid": created.Metadata.UID, "controller": true, "blockOwnerDeletion": true}
}

// mountingPod creates a pod scheduled on a node, owned by owner (nil for
// none), that references claim, or has the generic ephemeral volume named
// ephemeral.
func (f *fixture) mountingPod(name string, owner map[string]any, claim, ephemeral string) {
	f.t.Helper()
	md := map[string]any{"name": name, "namespace": f.ns}
	if owner != nil {
		md["ownerReferences"] = []any{owner}
	}
	volume := map[string]any{"name": "data", "persistentVolumeClaim": map[string]any{"claimName": claim}}
	if ephemeral != "" {
		volume = map[string]any{"name": ephemeral, "ephemeral": map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
			"accessModes": []any{"ReadWriteOnce"}, "storageClassName": "gp3", "resources": map[string]any{"requests": map[string]any{"storage": "1Gi"}},
		}}}}
	}
	f.srv.Must(f.t, http.StatusCreated, http.MethodPost, podKind.namespacePath(f.ns), map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": md,
		"spec": map[string]any{"nodeName": "node-a", "volumes": []any{volume},
			"containers": []any{map[string]any{"name": "app", "image": "postgres:17", "volumeMounts": []any{map[string]any{"name": volume["name"], "mountPath": "/data"}}}}},
	})
}

// readyNode registers a Node whose kubelet reports Ready, for the test's
// length (no node lifecycle controller runs to mark it otherwise).
func (f *fixture) readyNode() {
	f.t.Helper()
	p := nodeKind.objectPath("", f.ns)
	f.srv.Must(f.t, http.StatusCreated, http.MethodPost, nodeKind.listPath(), map[string]any{
		"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": f.ns},
	})
	f.t.Cleanup(func() { f.srv.Must(f.t, http.StatusOK, http.MethodDelete, p, nil) })
	f.srv.Must(f.t, http.StatusOK, http.MethodPatch, p+"/status", map[string]any{"status": map[string]any{
		"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": time.Now().UTC().Format(time.RFC3339)}},
	}})
}

// startNode plays a Ready node and what runs on it, with no AWS behind it:
// the kubelet, which finishes a pod's graceful deletion once its containers
// stopped, and the EBS CSI driver's provisioner, which deletes the EBS
// volume of a released PersistentVolume with reclaim policy Delete, then
// removes its finalizer and deletes the PersistentVolume.
func (f *fixture) startNode() {
	f.readyNode()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			var pods list[pod]
			if code, data, err := f.srv.Do(http.MethodGet, podKind.namespacePath(f.ns), "", nil); err == nil && code == http.StatusOK && json.Unmarshal(data, &pods) == nil {
				for _, p := range pods.Items {
					if p.Metadata.DeletionTimestamp != nil {
						_, _, _ = f.srv.Do(http.MethodDelete, podKind.objectPath(f.ns, p.Metadata.Name), "", map[string]any{"gracePeriodSeconds": 0})
					}
				}
			}
			var pvs list[struct {
				Metadata meta `json:"metadata"`
				Spec     struct {
					ReclaimPolicy string `json:"persistentVolumeReclaimPolicy"`
				} `json:"spec"`
				Status struct {
					Phase string `json:"phase"`
				} `json:"status"`
			}]
			if code, data, err := f.srv.Do(http.MethodGet, volumeKind.listPath(), "", nil); err == nil && code == http.StatusOK && json.Unmarshal(data, &pvs) == nil {
				for _, pv := range pvs.Items {
					if !strings.HasPrefix(pv.Metadata.Name, f.ns+"-") || pv.Status.Phase != "Released" || pv.Spec.ReclaimPolicy != "Delete" ||
						pv.Metadata.Annotations[annProvisionedBy] != ebsCSIDriver {
						continue
					}
					keep := []string{}
					for _, fin := range pv.Metadata.Finalizers {
						if fin != "external-provisioner.volume.kubernetes.io/finalizer" {
							keep = append(keep, fin)
						}
					}
					p := volumeKind.objectPath("", pv.Metadata.Name)
					_, _, _ = f.srv.Do(http.MethodPatch, p, "application/merge-patch+json", map[string]any{"metadata": map[string]any{"finalizers": keep}})
					_, _, _ = f.srv.Do(http.MethodDelete, p, "", nil)
				}
			}
		}
	}()
	f.t.Cleanup(func() { close(stop); <-done })
}

// Before the cluster goes, a volume provisioned for a claim with reclaim
// policy Delete goes with its claim, after what keeps the claim: the
// StatefulSet, Deployment or bare pod whose pod mounts it. The cleanup
// waits until the provisioner has deleted it. A Retain volume and one made
// by hand stay, named. Without PersistentVolumes (a controller's own
// cleanup, lab cleanup by default) nothing of it is touched.
func TestDeletesDynamicVolumesWithWhatKeepsThem(t *testing.T) {
	f := newFixture(t)
	db := f.volume("db", "data-db-0", "Delete", true, "vol-0db00000000000001")
	web := f.volume("web", "shared", "Delete", true, "vol-0eb00000000000002")
	scratch := f.volume("scratch", "scratch-cache", "Delete", true, "vol-05c00000000000003")
	kept := f.volume("archive", "data-archive-0", "Retain", true, "vol-0a500000000000004")
	static := f.volume("static", "static", "Delete", false, "vol-05700000000000005")
	statefulSet := workloadKinds["apps/v1 StatefulSet"]
	deployment := workloadKinds["apps/v1 Deployment"]
	f.mountingPod("db-0", f.workload(statefulSet, "db", nil), "data-db-0", "")
	f.mountingPod("web-5d4b9c-x7k2p", f.workload(workloadKinds["apps/v1 ReplicaSet"], "web-5d4b9c", f.workload(deployment, "web", nil)), "shared", "")
	f.mountingPod("scratch", nil, "", "cache") // its generic ephemeral volume's claim is scratch-cache
	f.mountingPod("archive-0", f.workload(statefulSet, "archive", nil), "data-archive-0", "")
	f.waitBound(db, web, scratch, kept, static)

	everything := func() map[string]string {
		return map[string]string{
			"PersistentVolume " + db: volumeKind.objectPath("", db), "PersistentVolume " + web: volumeKind.objectPath("", web),
			"PersistentVolume " + scratch: volumeKind.objectPath("", scratch),
			"claim data-db-0":             claimKind.objectPath(f.ns, "data-db-0"), "claim shared": claimKind.objectPath(f.ns, "shared"),
			"claim scratch-cache": claimKind.objectPath(f.ns, "scratch-cache"),
			"StatefulSet db":      statefulSet.objectPath(f.ns, "db"), "Deployment web": deployment.objectPath(f.ns, "web"),
			"Pod scratch": podKind.objectPath(f.ns, "scratch"),
		}
	}
	stays := map[string]string{
		"PersistentVolume " + kept: volumeKind.objectPath("", kept), "PersistentVolume " + static: volumeKind.objectPath("", static),
		"claim data-archive-0": claimKind.objectPath(f.ns, "data-archive-0"), "claim static": claimKind.objectPath(f.ns, "static"),
		"StatefulSet archive": statefulSet.objectPath(f.ns, "archive"), "Pod archive-0": podKind.objectPath(f.ns, "archive-0"),
	}

	if err := Run(context.Background(), f.opts(kubetest.AdminToken, nil)); err != nil {
		t.Fatalf("Run without PersistentVolumes: %v", err)
	}
	for what, p := range everything() {
		if !f.srv.Exists(t, p) {
			t.Errorf("%s was deleted by a cleanup without PersistentVolumes", what)
		}
	}

	f.startNode()
	var log strings.Builder
	o := f.opts(kubetest.AdminToken, &log)
	o.PersistentVolumes = true
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	// Only the provisioner deletes a volume, once its claim is gone, which
	// the claim protection allows once no pod mounts it: their absence
	// proves that Run waited for all of that.
	for what, p := range everything() {
		if f.srv.Exists(t, p) {
			t.Errorf("%s is still there after Run returned", what)
		}
	}
	for what, p := range stays {
		if !f.srv.Exists(t, p) {
			t.Errorf("%s was deleted; the cleanup must leave it alone", what)
		}
	}
	for _, want := range []string{
		"deleting StatefulSet " + f.ns + "/db: its pod db-0 mounts PersistentVolumeClaim " + f.ns + "/data-db-0, whose volume would outlive the cluster",
		"deleting Deployment " + f.ns + "/web: its pod web-5d4b9c-x7k2p mounts PersistentVolumeClaim " + f.ns + "/shared",
		"deleting Pod " + f.ns + "/scratch: it mounts PersistentVolumeClaim " + f.ns + "/scratch-cache",
		"deleting PersistentVolumeClaim " + f.ns + "/data-db-0 (PersistentVolume " + db + "; EBS volume vol-0db00000000000001; finalizers kubernetes.io/pvc-protection [kube-controller-manager, once no pod mounts the claim])",
		"keeping PersistentVolume " + kept + " (EBS volume vol-0a500000000000004, claim " + f.ns + "/data-archive-0): its reclaim policy is Retain, so the volume outlives the cluster and bills until you delete it (aws ec2 delete-volume --volume-id vol-0a500000000000004; lab audit lists the EBS volumes left behind)",
		"keeping PersistentVolume " + static + " (EBS volume vol-05700000000000005, claim " + f.ns + "/static): it was created by hand, not provisioned for a claim",
		"no LoadBalancer Service, Ingress or Gateway left, no volume that would outlive the cluster",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

// Without the EBS CSI driver nothing deletes a released volume: at the
// timeout the report names the EBS volume and how to delete it by hand.
func TestTimeoutNamesTheEBSVolumesLeft(t *testing.T) {
	f := newFixture(t)
	f.readyNode() // whose driver does not run
	pv := f.volume("orphan", "orphan", "Delete", true, "vol-0fe00000000000006")
	f.waitBound(pv)
	o := f.opts(kubetest.AdminToken, nil)
	o.PersistentVolumes = true
	msg := f.runUntilTimeout(o).Error()
	for _, want := range []string{
		"  - PersistentVolume " + pv + " (EBS volume vol-0fe00000000000006; finalizers ",
		"external-provisioner.volume.kubernetes.io/finalizer [the volume's CSI driver, once it deleted the volume]",
		"kubectl -n kube-system logs deployment/ebs-csi-controller -c csi-provisioner",
		"Remove by hand (AWS console, EC2 > Volumes, or the AWS CLI):",
		"aws ec2 delete-volume --volume-id vol-0fe00000000000006",
		"kubectl patch persistentvolume " + pv + " --type merge",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("timeout message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "elbv2") || strings.Contains(msg, "Load Balancer Controller's logs") {
		t.Errorf("timeout message gives load balancer advice with no load balancer left:\n%s", msg)
	}
}

// A paused lab has no node, so no EBS CSI driver to delete a volume: its
// destroy keeps the claims bound and names each EBS volume that stays,
// instead of waiting for the timeout and failing.
func TestNoReadyNodeKeepsVolumes(t *testing.T) {
	f := newFixture(t)
	pv := f.volume("paused", "data-db-0", "Delete", true, "vol-0da00000000000007")
	released := f.volume("released", "gone", "Delete", true, "vol-0da00000000000008")
	statefulSet := workloadKinds["apps/v1 StatefulSet"]
	f.mountingPod("db-0", f.workload(statefulSet, "db", nil), "data-db-0", "")
	f.waitBound(pv, released)
	f.srv.Must(t, http.StatusOK, http.MethodDelete, claimKind.objectPath(f.ns, "gone"), nil)
	f.waitPhase(released, "Released")

	var log strings.Builder
	o := f.opts(kubetest.AdminToken, &log)
	o.PersistentVolumes = true
	o.Timeout = untilTimeout
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("Run with no node: %v\n%s", err, log.String())
	}
	for what, p := range map[string]string{
		"PersistentVolume " + pv: volumeKind.objectPath("", pv), "claim data-db-0": claimKind.objectPath(f.ns, "data-db-0"),
		"StatefulSet db": statefulSet.objectPath(f.ns, "db"), "Pod db-0": podKind.objectPath(f.ns, "db-0"),
	} {
		if !f.srv.Exists(t, p) {
			t.Errorf("%s was deleted with no node to run the EBS CSI driver", what)
		}
	}
	for _, want := range []string{
		"keeping PersistentVolume " + pv + " (EBS volume vol-0da00000000000007, claim " + f.ns + "/data-db-0): no node is Ready to run the EBS CSI driver",
		"keeping PersistentVolume " + released + " (EBS volume vol-0da00000000000008): no node is Ready",
		"resume the lab with eks-lab:paused false and pulumi up, then destroy), so the volume outlives the cluster and bills until you delete it (aws ec2 delete-volume --volume-id vol-0da00000000000007;",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "deleting") {
		t.Errorf("the cleanup deleted something with no node:\n%s", log.String())
	}
}
