package estimate

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// PriceFile is the dated price table compiled into the binary.
const PriceFile = "prices-2026-11.json"

//go:embed prices-2026-11.json
var priceJSON []byte

// PriceTable is the content of PriceFile.
type PriceTable struct {
	Date              string                  `json:"date"`
	Currency          string                  `json:"currency"`
	HoursPerMonth     float64                 `json:"hoursPerMonth"`
	Notes             []string                `json:"notes"`
	Sources           []string                `json:"sources"`
	EKSStandardHourly float64                 `json:"eksStandardHourly"`
	EKSExtendedHourly float64                 `json:"eksExtendedHourly"`
	PublicIPv4Hourly  float64                 `json:"publicIpv4Hourly"`
	SpotDiscount      SpotDiscount            `json:"spotDiscount"`
	Regions           map[string]RegionPrices `json:"regions"`
}

// SpotDiscount is the range below on-demand prices the table assumes spot
// instances cost: an assumption with a date, not a price (spot prices move).
type SpotDiscount struct {
	Min    float64 `json:"min"` // e.g. 0.5 for 50% below on-demand
	Max    float64 `json:"max"`
	AsOf   string  `json:"asOf"`
	Source string  `json:"source"`
}

// RegionPrices are one region's rates.
type RegionPrices struct {
	Name             string             `json:"name"`
	EC2Hourly        map[string]float64 `json:"ec2Hourly"`
	NATGatewayHourly float64            `json:"natGatewayHourly"`
	NATGatewayPerGB  float64            `json:"natGatewayPerGB"`
	ALBHourly        float64            `json:"albHourly"`
	NLBHourly        float64            `json:"nlbHourly"`
	EBSGp3GBMonth    float64            `json:"ebsGp3GBMonth"`
	// Unverified names the fields above whose values no source confirmed.
	Unverified []string `json:"unverified"`
}

var (
	pricesOnce sync.Once
	prices     *PriceTable
	pricesErr  error
)

// Prices parses the embedded price table.
func Prices() (*PriceTable, error) {
	pricesOnce.Do(func() {
		var t PriceTable
		if err := json.Unmarshal(priceJSON, &t); err != nil {
			pricesErr = fmt.Errorf("%s: %w", PriceFile, err)
			return
		}
		prices = &t
	})
	return prices, pricesErr
}

// Region returns a region's prices and whether the table has them.
func (t *PriceTable) Region(name string) (RegionPrices, bool) {
	r, ok := t.Regions[name]
	return r, ok
}

// RegionNames lists the priced regions, sorted.
func (t *PriceTable) RegionNames() []string {
	out := make([]string, 0, len(t.Regions))
	for name := range t.Regions {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
