package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// dnsRecords finds the TXT registry records of the stack's ExternalDNS
// (value "heritage=external-dns,external-dns/owner=<txtOwnerId>,...") and the
// records they mark. ExternalDNS names its TXT records either like the record
// (old format) or with the record type in front of the first label
// ("a-tetris.example.com" for tetris.example.com); the lab sets no
// --txt-prefix or --txt-suffix.
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

	owned := map[string]bool{}  // names of the stack's TXT registry records
	marked := map[string]bool{} // names whose records those TXT records mark
	for _, s := range sets {
		if s.Type != r53types.RRTypeTxt || !ownedBy(s.ResourceRecords, o.TxtOwnerID) {
			continue
		}
		name := strings.ToLower(aws.ToString(s.Name))
		owned[name], marked[name] = true, true
		if target, ok := stripTypePrefix(name); ok {
			marked[target] = true
		}
	}

	var out []Leftover
	for _, s := range sets {
		name := strings.ToLower(aws.ToString(s.Name))
		var why string
		switch {
		case s.Type == r53types.RRTypeTxt && owned[name] && ownedBy(s.ResourceRecords, o.TxtOwnerID):
			why = "ExternalDNS ownership record of " + o.TxtOwnerID
		case s.Type != r53types.RRTypeTxt && s.Type != r53types.RRTypeNs && s.Type != r53types.RRTypeSoa && marked[name]:
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

// recordTypePrefixes are the new-format TXT prefixes, one per record type
// ExternalDNS manages.
var recordTypePrefixes = []string{"a-", "aaaa-", "cname-", "ns-", "mx-", "srv-", "txt-", "ptr-", "naptr-", "caa-"}

// stripTypePrefix turns "a-tetris.example.com." into "tetris.example.com.".
func stripTypePrefix(name string) (string, bool) {
	for _, p := range recordTypePrefixes {
		if rest, ok := strings.CutPrefix(name, p); ok && rest != "" && !strings.HasPrefix(rest, ".") {
			return rest, true
		}
	}
	return "", false
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
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"Changes": []any{map[string]any{"Action": "DELETE", "ResourceRecordSet": rrs}}})
	return "'" + strings.ReplaceAll(strings.TrimSpace(b.String()), "'", `'\''`) + "'"
}
