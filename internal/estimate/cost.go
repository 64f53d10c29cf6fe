// Package estimate holds the numbers `lab plan` reports next to the desired
// state that only the tool needs: what a lab costs per hour and per session
// (the embedded price table), and how long `pulumi up` and `pulumi destroy`
// take along the dependency graph's critical path. It is pure: the plan
// package feeds it facts taken from the recorded resources, and the
// instance facts (max pods, regions) are infra/awsfacts', which the program
// checks config against.
package estimate

import (
	"fmt"
	"math"
	"strings"
)

// DefaultSessionHours is the length of a lab session when --hours is not given.
const DefaultSessionHours = 8

// Inputs are the billable things a plan contains, as the plan package finds them.
type Inputs struct {
	Region        string
	SessionHours  float64
	EKSClusters   []string // what each control plane is, e.g. "cluster myeks"
	Instances     []InstanceGroup
	NATGateways   []string
	LoadBalancers []LoadBalancer
	Volumes       []Volume
	PublicIPv4    []AddressGroup
	// Unpriced lists billable things found in the plan that no rate covers
	// (e.g. a Classic Load Balancer), so the report can name them.
	Unpriced []string
}

// InstanceGroup is Count running instances of one type, or with Spot of
// any of InstanceType and Alternatives (a spot node group's types).
type InstanceGroup struct {
	What         string // e.g. "node group myeks-nodes (desired size)"
	InstanceType string
	Count        int
	// Spot instances are priced at the highest on-demand price of their
	// types: a spot price never exceeds the on-demand price, so this is the
	// upper bound, and the assumed discount gives the likely range.
	Spot         bool
	Alternatives []string
}

// LoadBalancer is one ELB the plan creates, directly or through the controller.
type LoadBalancer struct {
	What string // e.g. "Service default/echo"
	Kind string // "NLB" or "ALB"; anything else is unpriced
}

// Volume is Count EBS volumes of one size and type.
type Volume struct {
	What       string
	VolumeType string
	GiB        float64
	Count      int
}

// AddressGroup is Count public IPv4 addresses held for the same reason.
type AddressGroup struct {
	What  string
	Count int
}

// Cost is the estimate of what the stack bills while it exists.
type Cost struct {
	Region       string     `json:"region"`
	PriceFile    string     `json:"priceFile"`
	PriceDate    string     `json:"priceDate"`
	Currency     string     `json:"currency"`
	SessionHours float64    `json:"sessionHours"`
	Items        []CostItem `json:"items"`
	HourlyTotal  float64    `json:"hourlyTotal"`
	SessionTotal float64    `json:"sessionTotal"`
	// Unpriced names what the totals leave out because no rate covers it.
	Unpriced []string `json:"unpriced"`
	// Spot is the likely range when spot instances are in the totals, which
	// price them on-demand (an upper bound). Nil without spot instances.
	Spot        *SpotRange `json:"spot,omitempty"`
	Assumptions []string   `json:"assumptions"`
}

// SpotRange is the hourly and session totals with the spot instances at the
// price table's assumed discount range.
type SpotRange struct {
	DiscountMin  float64 `json:"discountMin"`
	DiscountMax  float64 `json:"discountMax"`
	AsOf         string  `json:"asOf"`
	HourlyLow    float64 `json:"hourlyLow"`
	HourlyHigh   float64 `json:"hourlyHigh"`
	SessionLow   float64 `json:"sessionLow"`
	SessionHigh  float64 `json:"sessionHigh"`
	SpotOnDemand float64 `json:"spotOnDemandHourly"` // the spot instances' part of HourlyTotal
}

// CostItem is one line of the estimate.
type CostItem struct {
	Component  string  `json:"component"`
	Detail     string  `json:"detail"`
	Quantity   float64 `json:"quantity"`
	Unit       string  `json:"unit"`
	UnitHourly float64 `json:"unitHourly"`
	Hourly     float64 `json:"hourly"`
	Priced     bool    `json:"priced"`
	Note       string  `json:"note,omitempty"`
}

// Estimate prices the inputs with the table. A region or instance type the
// table lacks yields unpriced items rather than a guess.
func Estimate(in Inputs, t *PriceTable) Cost {
	c := Cost{
		Region: in.Region, PriceFile: PriceFile, PriceDate: t.Date, Currency: t.Currency,
		SessionHours: in.SessionHours, Items: []CostItem{}, Unpriced: []string{},
	}
	region, regionKnown := t.Region(in.Region)
	var total, spot float64
	add := func(item CostItem, price float64, known bool, why string) bool {
		if item.Quantity == 0 {
			return false
		}
		switch {
		case !regionKnown:
			item.Note = fmt.Sprintf("region %s is not in %s", in.Region, PriceFile)
		case !known:
			item.Note = why
		default:
			item.Priced = true
			item.UnitHourly = math.Round(price*1e9) / 1e9
			item.Hourly = round(price * item.Quantity)
			total += price * item.Quantity
		}
		if !item.Priced {
			c.Unpriced = append(c.Unpriced, item.Component+": "+item.Detail+" ("+item.Note+")")
		}
		c.Items = append(c.Items, item)
		return item.Priced
	}

	for _, what := range in.EKSClusters {
		add(CostItem{Component: "EKS control plane", Detail: what, Quantity: 1, Unit: "cluster"}, t.EKSStandardHourly, true, "")
	}
	for _, g := range in.Instances {
		if !g.Spot {
			price, ok := region.EC2Hourly[g.InstanceType]
			add(CostItem{Component: "EC2", Detail: fmt.Sprintf("%s: %d x %s", g.What, g.Count, g.InstanceType), Quantity: float64(g.Count), Unit: "instance"},
				price, ok, fmt.Sprintf("%s has no %s price in %s", g.InstanceType, in.Region, PriceFile))
			continue
		}
		types := append([]string{g.InstanceType}, g.Alternatives...)
		price, missing := 0.0, []string{}
		for _, it := range types {
			p, ok := region.EC2Hourly[it]
			if !ok {
				missing = append(missing, it)
			}
			price = math.Max(price, p)
		}
		item := CostItem{Component: "EC2 spot", Detail: fmt.Sprintf("%s: %d x %s", g.What, g.Count, strings.Join(types, " | ")), Quantity: float64(g.Count), Unit: "instance",
			Note: "at the highest on-demand price of its types, the upper bound of a spot price"}
		if add(item, price, len(missing) == 0, fmt.Sprintf("%s has no %s price in %s, so no upper bound", strings.Join(missing, ", "), in.Region, PriceFile)) {
			spot += price * float64(g.Count)
		}
	}
	for _, what := range in.NATGateways {
		add(CostItem{Component: "NAT gateway", Detail: what, Quantity: 1, Unit: "gateway"}, region.NATGatewayHourly, region.NATGatewayHourly > 0, "no NAT gateway rate")
	}
	for _, lb := range in.LoadBalancers {
		price, ok := map[string]float64{"NLB": region.NLBHourly, "ALB": region.ALBHourly}[lb.Kind]
		add(CostItem{Component: "Load balancer", Detail: lb.Kind + " for " + lb.What, Quantity: 1, Unit: "load balancer"},
			price, ok && price > 0, "no rate for "+lb.Kind)
	}
	for _, v := range in.Volumes {
		hourly := region.EBSGp3GBMonth / t.HoursPerMonth
		add(CostItem{Component: "EBS " + v.VolumeType, Detail: fmt.Sprintf("%s: %d x %g GiB", v.What, v.Count, v.GiB), Quantity: float64(v.Count) * v.GiB, Unit: "GiB"},
			hourly, v.VolumeType == "gp3" && hourly > 0, "only gp3 volumes are priced")
	}
	for _, a := range in.PublicIPv4 {
		add(CostItem{Component: "Public IPv4", Detail: a.What, Quantity: float64(a.Count), Unit: "address"}, t.PublicIPv4Hourly, true, "")
	}
	c.Unpriced = append(c.Unpriced, in.Unpriced...)

	c.HourlyTotal = round(total)
	c.SessionTotal = round(total * in.SessionHours)
	if spot > 0 {
		d := t.SpotDiscount
		low, high := total-spot*d.Max, total-spot*d.Min
		c.Spot = &SpotRange{
			DiscountMin: d.Min, DiscountMax: d.Max, AsOf: d.AsOf, SpotOnDemand: round(spot),
			HourlyLow: round(low), HourlyHigh: round(high), SessionLow: round(low * in.SessionHours), SessionHigh: round(high * in.SessionHours),
		}
	}
	c.Assumptions = assumptions(in, t, region, regionKnown)
	if c.Spot != nil {
		c.Assumptions = append(c.Assumptions,
			fmt.Sprintf("Spot instances count at on-demand prices in the totals, an upper bound; at the %.0f%%-%.0f%% discount below on-demand this table assumes (%s; %s) they bring the total to %s-%s per hour.",
				t.SpotDiscount.Min*100, t.SpotDiscount.Max*100, t.SpotDiscount.AsOf, t.SpotDiscount.Source, Dollars(c.Spot.HourlyLow), Dollars(c.Spot.HourlyHigh)),
			"Spot nodes can be reclaimed mid-lab: AWS takes a spot instance back with a two-minute notice whenever it needs the capacity, its pods restart on the other nodes, and the node group launches a replacement when a pool has capacity again. Use ON_DEMAND for a session you cannot have interrupted.")
	}
	return c
}

// Dollars shows an amount in US dollars to the hundredth of a cent, as the
// estimates are given.
func Dollars(v float64) string { return fmt.Sprintf("$%.4f", v) }

func assumptions(in Inputs, t *PriceTable, r RegionPrices, known bool) []string {
	a := []string{
		fmt.Sprintf("Prices: %s (compiled %s), on-demand %s in %s, taxes excluded.", PriceFile, t.Date, t.Currency, in.Region),
	}
	if !known {
		return append(a, fmt.Sprintf("Region %s is not in the price table (priced regions: %s): nothing is priced.",
			in.Region, strings.Join(t.RegionNames(), ", ")))
	}
	if len(r.Unverified) > 0 {
		a = append(a, fmt.Sprintf("Unverified %s rates (see the price file's notes): %s.", in.Region, strings.Join(r.Unverified, ", ")))
	}
	return append(a,
		fmt.Sprintf("A lab session is %g hours (--hours); the hourly total runs from `pulumi up` until `pulumi destroy` completes.", in.SessionHours),
		fmt.Sprintf("EKS control plane in standard support, $%.2f per cluster-hour; a Kubernetes version in extended support bills $%.2f.", t.EKSStandardHourly, t.EKSExtendedHourly),
		"Node groups count at their desired size; scaling up bills each extra node, its disk and (in public subnets) its public IPv4 address.",
		fmt.Sprintf("NAT gateways bill per hour here; data they process is extra ($%g per GB).", r.NATGatewayPerGB),
		"Load balancers bill their hourly base here, one per LoadBalancer Service and one per Ingress group; LCU/NLCU charges for traffic are extra.",
		fmt.Sprintf("EBS gp3 at $%g per GB-month, prorated over %g hours a month; included 3,000 IOPS and 125 MB/s.", r.EBSGp3GBMonth, t.HoursPerMonth),
		fmt.Sprintf("Public IPv4 at $%g per address-hour: instances in public subnets, Elastic IPs, and one per AZ for each internet-facing load balancer.", t.PublicIPv4Hourly),
		"Not included: data transfer, CloudWatch Logs ingestion, Route 53 hosted zones and queries, ECR pulls, snapshots.",
	)
}

// round keeps money to a millionth of a dollar so that JSON stays stable.
func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }
