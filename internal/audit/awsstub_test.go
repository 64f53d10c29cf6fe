package audit

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// stubAWS answers the five calls the audit makes, each in its service's
// protocol: Resource Groups Tagging (JSON 1.1), ELBv2 (query, XML answers),
// EC2 (EC2 query) and Route 53 (REST XML). Filters are applied the way AWS
// applies them, so a request with wrong filters finds the wrong things.
type stubAWS struct {
	t    *testing.T
	srv  *httptest.Server
	zone string

	lbs, tgs []stubELB
	sgs      []stubSG
	tagged   []stubTagged
	records  []stubRecord

	mu    sync.Mutex
	calls map[string]int
}

type stubELB struct {
	arn, name, dns, typ string
	tags                map[string]string
}

type stubSG struct {
	id, name, vpc string
	tags          map[string]string
}

type stubTagged struct {
	arn  string
	tags map[string]string
}

type stubRecord struct {
	name, typ string
	ttl       int
	values    []string
	alias     string // alias target DNS name
}

func newStubAWS(t *testing.T) *stubAWS {
	s := &stubAWS{t: t, zone: "Z0123456789ABCDEFGHIJ", calls: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func esc(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return b.String()
}

func (s *stubAWS) count(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
}

func (s *stubAWS) called(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

func (s *stubAWS) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDAUDITTEST/") {
		s.t.Errorf("%s %s: request not signed with the test credentials", r.Method, r.URL.Path)
	}
	if strings.HasPrefix(r.URL.Path, "/2013-04-01/hostedzone/") {
		s.route53(w, r)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		if target != "ResourceGroupsTaggingAPI_20170126.GetResources" {
			s.t.Errorf("unexpected JSON call %s", target)
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		s.getResources(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.t.Errorf("form: %v", err)
	}
	action, version := r.PostForm.Get("Action"), r.PostForm.Get("Version")
	s.count(action)
	switch {
	case action == "DescribeSecurityGroups" && version == "2016-11-15":
		s.describeSecurityGroups(w, r)
	case action == "DescribeLoadBalancers" && version == "2015-12-01":
		s.describeELB(w, r, action, "LoadBalancers", s.lbs)
	case action == "DescribeTargetGroups" && version == "2015-12-01":
		s.describeELB(w, r, action, "TargetGroups", s.tgs)
	case action == "DescribeTags" && version == "2015-12-01":
		s.describeTags(w, r)
	default:
		s.t.Errorf("unexpected query call %s version %s", action, version)
		http.Error(w, "unexpected", http.StatusBadRequest)
	}
}

func (s *stubAWS) getResources(w http.ResponseWriter, r *http.Request) {
	s.count("GetResources")
	var in struct {
		TagFilters []struct {
			Key    string
			Values []string
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.t.Errorf("GetResources body: %v", err)
	}
	type tag struct{ Key, Value string }
	type mapping struct {
		ResourceARN string
		Tags        []tag
	}
	list := []mapping{}
	for _, res := range s.tagged {
		match := true // every filter must match (AND); a filter's values are alternatives
		for _, f := range in.TagFilters {
			v, ok := res.tags[f.Key]
			match = match && ok && (len(f.Values) == 0 || contains(f.Values, v))
		}
		if match {
			m := mapping{ResourceARN: res.arn}
			for k, v := range res.tags {
				m.Tags = append(m.Tags, tag{k, v})
			}
			list = append(list, m)
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"PaginationToken": "", "ResourceTagMappingList": list})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// describeELB pages two items at a time to exercise Marker/NextMarker.
func (s *stubAWS) describeELB(w http.ResponseWriter, r *http.Request, action, listName string, items []stubELB) {
	start, _ := strconv.Atoi(r.PostForm.Get("Marker"))
	end := min(start+2, len(items))
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><%sResult><%s>`, action, action, listName)
	for _, it := range items[min(start, len(items)):end] {
		if listName == "LoadBalancers" {
			fmt.Fprintf(&b, `<member><LoadBalancerArn>%s</LoadBalancerArn><LoadBalancerName>%s</LoadBalancerName><DNSName>%s</DNSName><Type>%s</Type><Scheme>internet-facing</Scheme></member>`,
				esc(it.arn), esc(it.name), esc(it.dns), esc(it.typ))
		} else {
			fmt.Fprintf(&b, `<member><TargetGroupArn>%s</TargetGroupArn><TargetGroupName>%s</TargetGroupName><TargetType>ip</TargetType></member>`, esc(it.arn), esc(it.name))
		}
	}
	fmt.Fprintf(&b, `</%s>`, listName)
	if end < len(items) {
		fmt.Fprintf(&b, `<NextMarker>%d</NextMarker>`, end)
	}
	fmt.Fprintf(&b, `</%sResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></%sResponse>`, action, action)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(b.String()))
}

func (s *stubAWS) describeTags(w http.ResponseWriter, r *http.Request) {
	var arns []string
	for i := 1; ; i++ {
		v := r.PostForm.Get(fmt.Sprintf("ResourceArns.member.%d", i))
		if v == "" {
			break
		}
		arns = append(arns, v)
	}
	if len(arns) > 20 {
		// As AWS does: at most 20 ARNs a call.
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to 20</Message></Error><RequestId>req-2</RequestId></ErrorResponse>`))
		return
	}
	all := map[string]map[string]string{}
	for _, it := range append(append([]stubELB(nil), s.lbs...), s.tgs...) {
		all[it.arn] = it.tags
	}
	var b strings.Builder
	b.WriteString(`<DescribeTagsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTagsResult><TagDescriptions>`)
	for _, arn := range arns {
		fmt.Fprintf(&b, `<member><ResourceArn>%s</ResourceArn><Tags>`, esc(arn))
		for _, k := range slices.Sorted(maps.Keys(all[arn])) {
			fmt.Fprintf(&b, `<member><Key>%s</Key><Value>%s</Value></member>`, esc(k), esc(all[arn][k]))
		}
		b.WriteString(`</Tags></member>`)
	}
	b.WriteString(`</TagDescriptions></DescribeTagsResult><ResponseMetadata><RequestId>req-3</RequestId></ResponseMetadata></DescribeTagsResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(b.String()))
}
func (s *stubAWS) describeSecurityGroups(w http.ResponseWriter, r *http.Request) {
	// Filter.N.Name=tag:KEY with Filter.N.Value.M: every filter must match.
	filters := map[string][]string{}
	for i := 1; ; i++ {
		name := r.PostForm.Get(fmt.Sprintf("Filter.%d.Name", i))
		if name == "" {
			break
		}
		for j := 1; ; j++ {
			v := r.PostForm.Get(fmt.Sprintf("Filter.%d.Value.%d", i, j))
			if v == "" {
				break
			}
			filters[name] = append(filters[name], v)
		}
	}
	var b strings.Builder
	b.WriteString(`<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-4</requestId><securityGroupInfo>`)
	for _, sg := range s.sgs {
		match := true
		for name, values := range filters {
			key, ok := strings.CutPrefix(name, "tag:")
			if !ok {
				s.t.Errorf("unexpected security group filter %s", name)
			}
			v, has := sg.tags[key]
			match = match && has && contains(values, v)
		}
		if !match {
			continue
		}
		fmt.Fprintf(&b, `<item><ownerId>123456789012</ownerId><groupId>%s</groupId><groupName>%s</groupName><groupDescription>lb</groupDescription><vpcId>%s</vpcId><tagSet>`,
			esc(sg.id), esc(sg.name), esc(sg.vpc))
		for _, k := range slices.Sorted(maps.Keys(sg.tags)) {
			fmt.Fprintf(&b, `<item><key>%s</key><value>%s</value></item>`, esc(k), esc(sg.tags[k]))
		}
		b.WriteString(`</tagSet></item>`)
	}
	b.WriteString(`</securityGroupInfo></DescribeSecurityGroupsResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(b.String()))
}

// route53 lists the zone's record sets two at a time, starting at the
// name/type the client passes, like ListResourceRecordSets.
func (s *stubAWS) route53(w http.ResponseWriter, r *http.Request) {
	s.count("ListResourceRecordSets")
	if r.Method != http.MethodGet || r.URL.Path != "/2013-04-01/hostedzone/"+s.zone+"/rrset" {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone found with ID: ` + esc(r.URL.Path) + `</Message></Error><RequestId>req-5</RequestId></ErrorResponse>`))
		return
	}
	recs := append([]stubRecord(nil), s.records...)
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].name != recs[j].name {
			return recs[i].name < recs[j].name
		}
		return recs[i].typ < recs[j].typ
	})
	start := 0
	if name := r.URL.Query().Get("name"); name != "" {
		typ := r.URL.Query().Get("type")
		for start < len(recs) && (recs[start].name < name || recs[start].name == name && recs[start].typ < typ) {
			start++
		}
	}
	end := min(start+2, len(recs))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ResourceRecordSets>`)
	for _, rec := range recs[start:end] {
		fmt.Fprintf(&b, `<ResourceRecordSet><Name>%s</Name><Type>%s</Type>`, esc(rec.name), esc(rec.typ))
		if rec.alias != "" {
			fmt.Fprintf(&b, `<AliasTarget><HostedZoneId>ZIBE1TIR4HY56</HostedZoneId><DNSName>%s</DNSName><EvaluateTargetHealth>true</EvaluateTargetHealth></AliasTarget>`, esc(rec.alias))
		} else {
			fmt.Fprintf(&b, `<TTL>%d</TTL><ResourceRecords>`, rec.ttl)
			for _, v := range rec.values {
				fmt.Fprintf(&b, `<ResourceRecord><Value>%s</Value></ResourceRecord>`, esc(v))
			}
			b.WriteString(`</ResourceRecords>`)
		}
		b.WriteString(`</ResourceRecordSet>`)
	}
	b.WriteString(`</ResourceRecordSets>`)
	if end < len(recs) {
		fmt.Fprintf(&b, `<IsTruncated>true</IsTruncated><NextRecordName>%s</NextRecordName><NextRecordType>%s</NextRecordType>`, esc(recs[end].name), esc(recs[end].typ))
	} else {
		b.WriteString(`<IsTruncated>false</IsTruncated>`)
	}
	b.WriteString(`<MaxItems>2</MaxItems></ListResourceRecordSetsResponse>`)
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(b.String()))
}
