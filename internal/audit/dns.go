package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// dnsRecords finds the TXT registry records of the stack's ExternalDNS
// (value "heritage=external-dns,external-dns/owner=<txtOwnerId>,...") and
// the records they name. The lab runs ExternalDNS v0.22.0 with no
// --txt-prefix or --txt-suffix (components/externaldns HelmValues), which
// names the TXT record of a record of type T "<t>-<name>", t being T in
// lower case (registry/mapper/mapper.go ToTXTName at tag v0.22.0), with the
// record's set identifier. So a record is ours only when our TXT record of
// exactly that name and set identifier exists: a TXT record of another
// owner, or of ours for another type, does not make it ours.
//
// Earlier labs ran v0.16.1, which wrote the same TXT record twice: at
// "<t>-<name>" (t "cname" for an A alias) and at the record's own name
// (registry/txt.go generateTXTRecord at tag v0.16.1). That second one for
// a host literally named "a-team" reads like the first one for "team"; it
// is told apart by its twin, "<t>-a-team" with the same value, and does
// not make "team" ours.
func (a *auditor) dnsRecords(ctx context.Context) ([]Leftover, error) {
	o := a.o
	switch {
	case o.HostedZoneID == "" && o.NoHostedZone:
		a.rep.NotApplicable = append(a.rep.NotApplicable, "Route 53 records: the stack has no hosted zone, so its ExternalDNS wrote none")
		return nil, nil
	case o.HostedZoneID == "":
		a.rep.Skipped = append(a.rep.Skipped, "Route 53 records: no hosted zone given, so the stack's ExternalDNS records were not looked for")
		return nil, nil
	}
	var sets []r53types.ResourceRecordSet
	in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(o.HostedZoneID)}
	for {
		out, err := a.c.Route53.ListResourceRecordSets(ctx, in)
		if err != nil {
			return nil, err
		}
		sets = append(sets, out.ResourceRecordSets...)
		if !out.IsTruncated {
			break
		}
		in = &route53.ListResourceRecordSetsInput{
			HostedZoneId:          aws.String(o.HostedZoneID),
			StartRecordName:       out.NextRecordName,
			StartRecordType:       out.NextRecordType,
			StartRecordIdentifier: out.NextRecordIdentifier,
		}
	}

	registry := registryOf(sets, o.TxtOwnerID)
	var out []Leftover
	for _, s := range sets {
		var why string
		switch {
		case s.Type == r53types.RRTypeTxt && ownedBy(s.ResourceRecords, o.TxtOwnerID):
			why = "ExternalDNS ownership record of " + o.TxtOwnerID
		case s.Type != r53types.RRTypeTxt && registry.owns(s):
			why = "owned by " + o.TxtOwnerID
		default:
			continue
		}
		id := aws.ToString(s.Name) + " " + string(s.Type)
		if s.SetIdentifier != nil {
			id += " " + aws.ToString(s.SetIdentifier)
		}
		out = append(out, Leftover{
			Kind:   "Route 53 record",
			ID:     id,
			Detail: recordValue(s) + "; " + why,
			// Route 53 is global, but the CLI wants a region to sign with.
			Delete: a.cmd("route53", "change-resource-record-sets", "--hosted-zone-id", o.HostedZoneID, "--change-batch", deleteBatch(s)),
		})
	}
	return out, nil
}

// txtKey names a TXT record set: its normalised name and set identifier.
type txtKey struct{ name, setID string }

// txtRegistry maps the owner's TXT registry records to their values.
type txtRegistry map[txtKey]string

func registryOf(sets []r53types.ResourceRecordSet, owner string) txtRegistry {
	r := txtRegistry{}
	for _, s := range sets {
		if s.Type == r53types.RRTypeTxt && ownedBy(s.ResourceRecords, owner) {
			r[txtKey{recordName(aws.ToString(s.Name)), aws.ToString(s.SetIdentifier)}] = recordValue(s)
		}
	}
	return r
}

// registryTypes are the record types ExternalDNS v0.22.0 names TXT records
// for (registry/mapper/mapper.go supportedRecords).
var registryTypes = []string{"a", "aaaa", "cname", "ns", "mx", "ptr", "srv", "naptr", "txt", "dname"}

// owns says whether the registry names record set s.
func (r txtRegistry) owns(s r53types.ResourceRecordSet) bool {
	name, setID := recordName(aws.ToString(s.Name)), aws.ToString(s.SetIdentifier)
	types := []string{strings.ToLower(string(s.Type))}
	if s.Type == r53types.RRTypeA && s.AliasTarget != nil {
		types = append(types, "cname") // v0.16.1 named an A alias's TXT record "cname-"
	}
	for _, t := range types {
		k := txtKey{t + "-" + name, setID}
		if _, ok := r[k]; ok && !r.oldFormatTwin(k) {
			return true
		}
	}
	return false
}

// oldFormatTwin says whether TXT record k is the old-format record v0.16.1
// wrote at a host's own name: the same value also stands at "<t>-<k.name>".
func (r txtRegistry) oldFormatTwin(k txtKey) bool {
	for _, t := range registryTypes {
		if v, ok := r[txtKey{t + "-" + k.name, k.setID}]; ok && v == r[k] {
			return true
		}
	}
	return false
}

// recordName is a record name as ExternalDNS compares it: lower case, with
// Route 53's octal escapes ("\052" for "*" in a wildcard) decoded.
func recordName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] == '\\' && i+3 < len(name) {
			if n, err := strconv.ParseUint(name[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(name[i])
	}
	return strings.ToLower(b.String())
}

// ownedBy reports whether a TXT record is owner's ExternalDNS registry entry.
// Its value is quoted: "heritage=external-dns,external-dns/owner=...,...".
func ownedBy(records []r53types.ResourceRecord, owner string) bool {
	for _, r := range records {
		v := strings.Trim(aws.ToString(r.Value), `"`)
		fields := map[string]string{}
		for _, kv := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(kv, "="); ok {
				fields[k] = val
			}
		}
		if fields["heritage"] == "external-dns" && fields["external-dns/owner"] == owner {
			return true
		}
	}
	return false
}

func recordValue(s r53types.ResourceRecordSet) string {
	if s.AliasTarget != nil {
		return "alias to " + aws.ToString(s.AliasTarget.DNSName)
	}
	var vals []string
	for _, r := range s.ResourceRecords {
		vals = append(vals, aws.ToString(r.Value))
	}
	return strings.Join(vals, " ")
}

// deleteBatch is the change batch, quoted for the shell, that deletes the
// record set; a DELETE must repeat the record set exactly.
func deleteBatch(s r53types.ResourceRecordSet) string {
	type value struct{ Value string }
	type alias struct {
		HostedZoneId         string
		DNSName              string
		EvaluateTargetHealth bool
	}
	rrs := struct {
		Name            string
		Type            string
		SetIdentifier   string  `json:",omitempty"`
		Weight          *int64  `json:",omitempty"`
		TTL             *int64  `json:",omitempty"`
		ResourceRecords []value `json:",omitempty"`
		AliasTarget     *alias  `json:",omitempty"`
	}{Name: aws.ToString(s.Name), Type: string(s.Type), SetIdentifier: aws.ToString(s.SetIdentifier), Weight: s.Weight, TTL: s.TTL}
	for _, r := range s.ResourceRecords {
		rrs.ResourceRecords = append(rrs.ResourceRecords, value{aws.ToString(r.Value)})
	}
	if a := s.AliasTarget; a != nil {
		rrs.AliasTarget = &alias{aws.ToString(a.HostedZoneId), aws.ToString(a.DNSName), a.EvaluateTargetHealth}
		// Route 53 refuses a TTL on an alias record ("Alias resource record
		// sets ... TTL: omit", ChangeResourceRecordSets); some readers (moto)
		// report one of 0.
		rrs.TTL = nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"Changes": []any{map[string]any{"Action": "DELETE", "ResourceRecordSet": rrs}}})
	return "'" + strings.ReplaceAll(strings.TrimSpace(b.String()), "'", `'\''`) + "'"
}
