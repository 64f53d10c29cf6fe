// Package config is the lab's typed configuration: every stack setting, its
// default (the study group's week-2 lab) and its validation. Load fails before
// any resource is registered, with errors that name the key, the bad value
// and the fix.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eks-study/lab/components/identity/trust"
	"github.com/eks-study/lab/components/network/subnetplan"
	"github.com/eks-study/lab/components/workloads/catalog"
)

// Namespace is the Pulumi project name, and so the config namespace of every
// project key ("eks-lab:vpcCidr").
const Namespace = "eks-lab"

// Subnet tiers a node group can run in.
const (
	TierPublic  = "public"
	TierPrivate = "private"
)

// Node capacity types of the managed node group (EKS's capacityType).
const (
	CapacityOnDemand = "ON_DEMAND"
	// CapacitySpot nodes cost less, and AWS can reclaim each of them with a
	// two-minute notice whenever it needs the capacity back.
	CapacitySpot = "SPOT"
)

// Config is the validated lab configuration of one stack.
type Config struct {
	Project string
	Stack   string

	Region string
	// AWSProfile is the named profile (aws:profile) the aws provider and the
	// kubeconfig's `aws eks get-token` use; "" for the shell's credentials.
	AWSProfile string
	// AllowedAccountIDs (aws:allowedAccountIds) are the only accounts the
	// aws provider deploys to; empty for any.
	AllowedAccountIDs  []string
	AZCount            int
	VpcCidr            string
	SubnetPrefixLength int
	NatGateways        subnetplan.NatMode
	NodeSubnets        string // TierPublic or TierPrivate
	// Subnets is the effective layout: publicSubnetCidrs/privateSubnetCidrs
	// when given, else carved from VpcCidr by subnetplan.Plan.
	Subnets subnetplan.Layout

	ClusterName               string
	KubernetesVersion         string
	EndpointPublicAccessCidrs []string
	// AdminRoleArns get cluster-admin access entries besides the bastion and
	// the cluster's creator (e.g. the CI role, or a teammate's role).
	AdminRoleArns    []string
	NodeInstanceType string
	NodeDesiredSize  int
	NodeMinSize      int
	NodeMaxSize      int
	NodeDiskSizeGiB  int

	// NodeCapacityType is CapacityOnDemand or CapacitySpot.
	NodeCapacityType string
	// NodeSpotInstanceTypes are more types of NodeInstanceType's size a spot
	// node group may use; see NodeInstanceTypes.
	NodeSpotInstanceTypes []string

	SSHCidr              string
	AllowSSHFromAnywhere bool
	AllowAPIFromAnywhere bool
	SSHKeyName           string
	BastionInstanceType  string
	BastionPolicyArn     string

	Owner string
	// Expiry is when the lab should be gone. ExpiryFromConfig is false when it
	// was defaulted to "now + DefaultLifetime".
	Expiry           time.Time
	ExpiryFromConfig bool
	// Paused takes the lab down to what it needs to come back: no node
	// group, NAT gateway, sample or load balancer; the bastion stopped
	// (docs/lifecycle.md, "Pause and resume").
	Paused bool

	// WorkloadIdentity is how the controllers get their IAM roles.
	WorkloadIdentity trust.Mode

	Domain       string
	HostedZoneID string
	LBController bool
	// ExternalDNS is effective: the toggle is on and a domain and zone are set.
	ExternalDNS       bool
	ALBGroupName      string
	ACMCertificateArn string
	// Samples are the samples the stack turns on (components/workloads/catalog).
	Samples catalog.Selection
}

// DefaultLifetime is how long a lab lives when eks-lab:expiry is not set.
const DefaultLifetime = 8 * time.Hour

// MaxLifetime bounds eks-lab:expiry: the study meets weekly, so a lab set
// to live longer than a week is a lab someone forgot, billing.
const MaxLifetime = 7 * 24 * time.Hour

// Source is a stack's config as Pulumi hands it to the program.
type Source struct {
	// Get returns a key's value ("namespace:key"); ok is false when it is unset.
	Get func(key string) (value string, ok bool)
	// Keys lists every key the stack sets, for the unknown-key check; nil
	// when the runtime does not tell (an inline Automation API program).
	Keys []string
	// Secret tells whether a key's value is a secret. Optional.
	Secret func(key string) bool
}

// MapSource is a Source over raw config ("namespace:key" -> value) whose
// secret keys are listed in secrets.
func MapSource(raw map[string]string, secrets []string) Source {
	return Source{
		Get: func(key string) (string, bool) {
			v, ok := raw[key]
			return v, ok
		},
		Keys:   slices.Sorted(maps.Keys(raw)),
		Secret: func(key string) bool { return slices.Contains(secrets, key) },
	}
}

// Load reads every key from src, applies defaults, and validates. now is the
// clock of the default expiry and of its bounds.
func Load(project, stack string, src Source, now time.Time) (*Config, error) {
	r := reader{src: src, read: map[string]bool{}}
	c := &Config{
		Project: project,
		Stack:   stack,

		Region:             r.str("aws:region", Defaults.Region),
		AZCount:            r.integer("availabilityZoneCount", Defaults.AZCount),
		VpcCidr:            r.str("vpcCidr", Defaults.VpcCidr),
		SubnetPrefixLength: r.integer("subnetPrefixLength", Defaults.SubnetPrefixLength),
		NatGateways:        subnetplan.NatMode(r.str("natGateways", string(Defaults.NatGateways))),
		NodeSubnets:        r.str("nodeSubnets", Defaults.NodeSubnets),

		ClusterName:       r.str("clusterName", Defaults.ClusterName),
		KubernetesVersion: r.str("kubernetesVersion", Defaults.KubernetesVersion),
		NodeInstanceType:  r.str("nodeInstanceType", Defaults.NodeInstanceType),
		NodeCapacityType:  r.str("nodeCapacityType", Defaults.NodeCapacityType),
		NodeDesiredSize:   r.integer("nodeDesiredSize", Defaults.NodeDesiredSize),
		NodeMinSize:       r.integer("nodeMinSize", Defaults.NodeMinSize),
		NodeMaxSize:       r.integer("nodeMaxSize", Defaults.NodeMaxSize),
		NodeDiskSizeGiB:   r.integer("nodeDiskSizeGiB", Defaults.NodeDiskSizeGiB),

		SSHCidr:              r.str("sshCidr", ""),
		AllowSSHFromAnywhere: r.boolean("allowSshFromAnywhere", false),
		AllowAPIFromAnywhere: r.boolean("allowApiFromAnywhere", false),
		SSHKeyName:           r.str("sshKeyName", ""),
		BastionInstanceType:  r.str("bastionInstanceType", Defaults.BastionInstanceType),
		BastionPolicyArn:     r.str("bastionPolicyArn", Defaults.BastionPolicyArn),

		// Pulumi.yaml's default "" stands for the stack name.
		Owner: r.str("owner", ""),

		WorkloadIdentity:  trust.Mode(r.str("workloadIdentity", string(Defaults.WorkloadIdentity))),
		Domain:            r.str("domain", ""),
		HostedZoneID:      r.str("hostedZoneId", ""),
		LBController:      r.boolean("lbController", true),
		Paused:            r.boolean("paused", false),
		ALBGroupName:      r.str("albGroupName", ""),
		ACMCertificateArn: r.str("acmCertificateArn", ""),
	}
	c.Samples = catalog.Selection{}
	for _, sample := range catalog.Samples {
		if r.boolean(sample.Key, sample.Default) {
			c.Samples[sample.Key] = true
		}
	}
	publicCidrs := r.list("publicSubnetCidrs", nil)
	privateCidrs := r.list("privateSubnetCidrs", nil)
	c.EndpointPublicAccessCidrs = r.list("endpointPublicAccessCidrs", nil)
	c.AdminRoleArns = r.list("adminRoleArns", nil)
	c.NodeSpotInstanceTypes = r.list("nodeSpotInstanceTypes", nil)
	c.AWSProfile = r.str(awsProfile, "")
	c.AllowedAccountIDs = r.list(awsAllowedAccountIDs, nil)
	if c.Owner == "" {
		c.Owner = stack
	}
	if c.EndpointPublicAccessCidrs == nil && c.SSHCidr != "" {
		// The member's own address reaches the API; the bastion uses the private endpoint.
		c.EndpointPublicAccessCidrs = []string{c.SSHCidr}
	}
	c.ExternalDNS = r.boolean("externalDns", true) && c.Domain != "" && c.HostedZoneID != ""

	if raw, ok := r.raw("expiry"); ok && raw != "" {
		c.Expiry, c.ExpiryFromConfig = r.expiry(raw, now), true
	} else {
		c.Expiry = now.UTC().Add(DefaultLifetime).Truncate(time.Minute)
	}
	r.checkKeys()

	errs := append(r.errs, c.validate(publicCidrs, privateCidrs, now)...)
	if len(errs) > 0 {
		return nil, &Error{Problems: errs}
	}
	return c, nil
}

// Defaults reproduce the study group's lab.
var Defaults = struct {
	Region              string
	AZCount             int
	VpcCidr             string
	SubnetPrefixLength  int
	NatGateways         subnetplan.NatMode
	NodeSubnets         string
	ClusterName         string
	KubernetesVersion   string
	NodeInstanceType    string
	NodeCapacityType    string
	NodeDesiredSize     int
	NodeMinSize         int
	NodeMaxSize         int
	NodeDiskSizeGiB     int
	BastionInstanceType string
	BastionPolicyArn    string
	WorkloadIdentity    trust.Mode
}{
	Region:             "ap-northeast-2",
	AZCount:            3,
	VpcCidr:            "192.168.0.0/16",
	SubnetPrefixLength: 22,
	NatGateways:        subnetplan.NatNone,
	NodeSubnets:        TierPublic,
	ClusterName:        "myeks",
	// In EKS standard support (awsfacts.EKSStandardSupportEnds); validation refuses a
	// default that has left it.
	KubernetesVersion:   "1.35",
	NodeInstanceType:    "t3.medium",
	NodeCapacityType:    CapacityOnDemand,
	NodeDesiredSize:     3,
	NodeMinSize:         3,
	NodeMaxSize:         6,
	NodeDiskSizeGiB:     30,
	BastionInstanceType: "t3.small",
	// The study's bastion variant has admin rights; narrow it with bastionPolicyArn.
	BastionPolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
	// IRSA is what the study teaches; Pod Identity is the alternative.
	WorkloadIdentity: trust.IRSA,
}

// Error lists every configuration problem found, one per line.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	if len(lines) == 1 {
		return "invalid configuration: " + lines[0]
	}
	return "invalid configuration:\n  " + strings.Join(lines, "\n  ")
}

// reader collects parse errors instead of stopping at the first, and
// records the keys it read.
type reader struct {
	src  Source
	read map[string]bool
	errs []error
}

func fullKey(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return Namespace + ":" + key
}

// raw returns a key's value, trimmed, and whether the stack sets it; an
// explicit "" is set. A secret is refused: its value would end up in plain
// resource inputs and tags.
func (r *reader) raw(key string) (string, bool) {
	key = fullKey(key)
	r.read[key] = true
	v, ok := r.src.Get(key)
	if ok && r.src.Secret != nil && r.src.Secret(key) {
		r.errs = append(r.errs, fmt.Errorf("%s is a secret, but the lab writes its value into resource inputs and tags, which "+
			"previews show and the state keeps unencrypted; set it in plain text: pulumi config set %s VALUE", key, key))
		return "", false
	}
	return strings.TrimSpace(v), ok
}

// value is a key's value, or false when it is unset. An explicit empty value
// is refused where the key's default is not empty: `clusterName: ""` means
// a mistake, not the default (Pulumi hands the program a key's Pulumi.yaml
// default when the stack does not set it, so "" reaches the program only
// from the stack file or `pulumi config set KEY ""`).
func (r *reader) value(key, def string) (string, bool) {
	v, ok := r.raw(key)
	if ok && v == "" && def != "" {
		r.errs = append(r.errs, fmt.Errorf("%s is set to an empty value; remove the line to get the default %s (pulumi config rm %s), or set a value",
			fullKey(key), def, fullKey(key)))
	}
	return v, ok && v != ""
}

func (r *reader) str(key, def string) string {
	if v, ok := r.value(key, def); ok {
		return v
	}
	return def
}

// integer reads a whole number that fits 32 bits, as the AWS APIs take
// them: a larger one would wrap or overflow on its way there.
func (r *reader) integer(key string, def int) int {
	v, ok := r.value(key, strconv.Itoa(def))
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 32)
	switch {
	case errors.Is(err, strconv.ErrRange):
		r.errs = append(r.errs, fmt.Errorf("%s = %s is out of range; set a whole number such as %d", fullKey(key), Shown(fullKey(key), v), def))
		return def
	case err != nil:
		r.errs = append(r.errs, fmt.Errorf("%s = %s is not a whole number; set it to e.g. %d", fullKey(key), Shown(fullKey(key), v), def))
		return def
	}
	return int(n)
}

func (r *reader) boolean(key string, def bool) bool {
	v, ok := r.value(key, strconv.FormatBool(def))
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s = %s is not true or false", fullKey(key), Shown(fullKey(key), v)))
		return def
	}
	return b
}

// list reads a YAML list, which Pulumi passes to programs as a JSON array.
// The empty list is Pulumi.yaml's default for every list key, so it means
// "unset" (the CLI hands the program "[]" when the stack sets nothing).
func (r *reader) list(key string, def []string) []string {
	v, ok := r.value(key, "[]")
	if !ok || v == "[]" {
		return def
	}
	// An unquoted number in a YAML list (an account ID) arrives as a number.
	var items []any
	d := json.NewDecoder(strings.NewReader(v))
	d.UseNumber()
	err := d.Decode(&items)
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch it := it.(type) {
		case string:
			out = append(out, it)
		case json.Number:
			out = append(out, it.String())
		default:
			err = fmt.Errorf("item %v is not a string", it)
		}
	}
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s = %s is not a list of strings; write it as a YAML list, e.g. [\"203.0.113.7/32\"]", fullKey(key), Shown(fullKey(key), v)))
		return def
	}
	return out
}

// ParseExpiry parses a value of eks-lab:expiry as the program gets it.
func ParseExpiry(raw string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		// An unquoted timestamp in a stack file is a YAML timestamp, which
		// Pulumi's loader hands the program as Go's time.Time.String().
		t, err = time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", raw)
	}
	return t, err
}

// expiry parses eks-lab:expiry, which must lie between now and now + MaxLifetime.
func (r *reader) expiry(raw string, now time.Time) time.Time {
	t, err := ParseExpiry(raw)
	key := fullKey("expiry")
	if err != nil {
		example := now.UTC().Add(DefaultLifetime).Truncate(time.Minute).Format(time.RFC3339)
		r.errs = append(r.errs, fmt.Errorf("%s = %s is not an RFC 3339 time; use e.g. %q or unset it for now + %s", key, Shown(key, raw), example, DefaultLifetime))
		return t.UTC()
	}
	if err := CheckExpiry(t, now); err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s = %q %w", key, raw, err))
	}
	return t.UTC()
}

// LatestExpiry is the latest expiry allowed at now.
func LatestExpiry(now time.Time) time.Time { return now.UTC().Add(MaxLifetime).Truncate(time.Minute) }

// CheckExpiry is the one rule for an expiry: after now, at most MaxLifetime
// ahead. The error reads after the value ("eks-lab:expiry = X <error>").
func CheckExpiry(t, now time.Time) error {
	example := now.UTC().Add(DefaultLifetime).Truncate(time.Minute).Format(time.RFC3339)
	switch {
	case !t.After(now):
		return fmt.Errorf("is in the past (now is %s): the scheduled destroy would remove the lab at once; set a later time, e.g. %q, or unset it for now + %s",
			now.UTC().Format(time.RFC3339), example, DefaultLifetime)
	case t.Sub(now) > MaxLifetime:
		return fmt.Errorf("is more than 7 days ahead: a lab that lives longer is a lab someone forgot, billing; set at most %q and move it again when you need more",
			LatestExpiry(now).Format(time.RFC3339))
	}
	return nil
}

// NodeInstanceTypes are the node group's instance types: NodeInstanceType,
// then the spot alternatives.
func (c *Config) NodeInstanceTypes() []string {
	return append([]string{c.NodeInstanceType}, c.NodeSpotInstanceTypes...)
}

// Identity names the stack's lab in AWS.
func (c *Config) Identity() Identity {
	return Identity{Project: c.Project, Stack: c.Stack, Region: c.Region, ClusterName: c.ClusterName, HostedZoneID: c.HostedZoneID}
}

// TxtOwnerID is ExternalDNS's --txt-owner-id for this stack (Identity.TxtOwnerID).
func (c *Config) TxtOwnerID() string { return c.Identity().TxtOwnerID() }
