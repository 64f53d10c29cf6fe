package config

import "fmt"

// Identity names a stack's lab in AWS: what an audit needs to find what the
// lab left there.
type Identity struct {
	Project, Stack string
	Region         string
	ClusterName    string
	HostedZoneID   string // "" when the stack names no zone
}

// TxtOwnerID is ExternalDNS's --txt-owner-id for the stack: the records it
// owns, and so deletes, and that an audit looks for.
func (i Identity) TxtOwnerID() string { return i.Project + "-" + i.Stack }

// LoadIdentity reads only the keys that name a lab, with the same defaults
// as Load. It leaves out the rest of the validation on purpose: an audit
// follows a destroy, and a stack file that deployed yesterday may be refused
// today (its Kubernetes version left standard support, its expiry passed, a
// newer release of the lab checks something more) while it still says
// where that lab's leftovers are.
func LoadIdentity(project, stack string, src Source) (Identity, error) {
	r := reader{src: src, read: map[string]bool{}}
	id := Identity{
		Project:      project,
		Stack:        stack,
		Region:       r.str("aws:region", Defaults.Region),
		ClusterName:  r.str("clusterName", Defaults.ClusterName),
		HostedZoneID: r.str("hostedZoneId", ""),
	}
	errs := r.errs
	bad := func(key, value, fix string) {
		errs = append(errs, fmt.Errorf("%s = %s: %s", fullKey(key), quote(fullKey(key), value), fix))
	}
	if !regionPattern.MatchString(id.Region) {
		bad("aws:region", id.Region, "not an AWS region; use e.g. ap-northeast-2")
	}
	if !clusterNamePattern.MatchString(id.ClusterName) {
		bad("clusterName", id.ClusterName, "not an EKS cluster name; use e.g. myeks")
	}
	if id.HostedZoneID != "" && !hostedZonePattern.MatchString(id.HostedZoneID) {
		bad("hostedZoneId", id.HostedZoneID, "not a Route 53 hosted zone ID")
	}
	if len(errs) > 0 {
		return Identity{}, &Error{Problems: errs}
	}
	return id, nil
}
