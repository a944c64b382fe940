// Package pricing is sagesaver's price catalog: on-demand SageMaker
// instance prices by region, instance type and component, ML storage
// prices, and instance specs. An embedded snapshot, generated from
// shared/pricing (see docs/pricing.md), is always present; a local cache
// written by `sagesaver pricing refresh` overlays it.
//
// Money is exact (Money), a missing price is unknown and never $0 (Price),
// and a price borrowed from another component is marked as an estimate.
package pricing

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed data/*.csv
var data embed.FS

// Source describes where prices came from.
type Source struct {
	// Letter is the source's key in the Source column ("A", ...), or
	// SourceRefresh for the local cache.
	Letter string `json:"source"`
	// Title and Detail describe it (from shared/pricing/README.md).
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	// Published is the publication date of the source's data.
	Published string `json:"published"`
	// Prices and Storage count the catalog's rows from this source (after
	// the local cache's overlay and after duplicates are resolved).
	Prices  int `json:"prices"`
	Storage int `json:"storage"`
}

// SourceRefresh is the Source letter of prices that `sagesaver pricing
// refresh` fetched from the AWS Price List API into the local cache.
const SourceRefresh = "R"

// Region is a region of the catalog.
type Region struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Catalog answers price and spec lookups. It is immutable and safe for
// concurrent use.
type Catalog struct {
	prices  map[priceKey]Row
	storage map[storageKey]StorageRow
	specs   map[string]Spec
	regions map[string]string
	sources []Source
	cache   CacheInfo
}

type priceKey struct {
	region, instanceType string
	component            Component
}

type storageKey struct{ region, item string }

// Embedded returns the catalog built into the binary. The data is generated
// and tested; a malformed file is a build defect, so Embedded panics on it.
func Embedded() *Catalog { return embedded() }

var embedded = sync.OnceValue(func() *Catalog {
	c, err := loadEmbedded()
	if err != nil {
		panic(fmt.Sprintf("pricing: embedded catalog: %v", err))
	}
	return c
})

func loadEmbedded() (*Catalog, error) {
	read := func(name string) (*bytes.Reader, error) {
		b, err := data.ReadFile("data/" + name)
		return bytes.NewReader(b), err
	}
	c := &Catalog{
		prices:  map[priceKey]Row{},
		storage: map[storageKey]StorageRow{},
		regions: map[string]string{},
	}
	r, err := read("regions.csv")
	if err != nil {
		return nil, err
	}
	f, err := newCSVFile("regions.csv", r, []string{"region", "name"})
	if err != nil {
		return nil, err
	}
	if err := f.each(func(get func(string) string, _ int) error {
		c.regions[get("region")] = get("name")
		return nil
	}); err != nil {
		return nil, err
	}

	if r, err = read("sources.csv"); err != nil {
		return nil, err
	}
	if f, err = newCSVFile("sources.csv", r, []string{"source", "title", "published", "detail"}); err != nil {
		return nil, err
	}
	if err := f.each(func(get func(string) string, _ int) error {
		c.sources = append(c.sources, Source{Letter: get("source"), Title: get("title"), Published: get("published"), Detail: get("detail")})
		return nil
	}); err != nil {
		return nil, err
	}

	if r, err = read("instance-types.csv"); err != nil {
		return nil, err
	}
	if c.specs, err = readSpecs("instance-types.csv", r); err != nil {
		return nil, err
	}

	if r, err = read("prices.csv"); err != nil {
		return nil, err
	}
	rows, err := ReadRows("prices.csv", r)
	if err != nil {
		return nil, err
	}
	c.addRows(rows)

	if r, err = read("storage.csv"); err != nil {
		return nil, err
	}
	srows, err := ReadStorageRows("storage.csv", r)
	if err != nil {
		return nil, err
	}
	c.addStorageRows(srows)
	c.count()
	return c, nil
}

// addRows adds price rows. Within one layer, a key given twice keeps the
// newest as_of (the same figure from a later price list), and on equal
// dates the first source letter: source A, AWS's own file, is first.
// Rows added by a later call (the cache) replace earlier ones whatever
// their dates.
func (c *Catalog) addRows(rows []Row) {
	seen := map[priceKey]bool{}
	for _, r := range rows {
		k := priceKey{r.Region, r.InstanceType, r.Component}
		if old, ok := c.prices[k]; ok && seen[k] && !newer(r.AsOf, r.Source, old.AsOf, old.Source) {
			continue
		}
		seen[k] = true
		if r.RegionName == "" {
			r.RegionName = c.regions[r.Region]
		}
		c.prices[k] = r
		if _, ok := c.regions[r.Region]; !ok || c.regions[r.Region] == "" {
			c.regions[r.Region] = r.RegionName
		}
		if _, ok := c.specs[r.InstanceType]; !ok && r.VCPU > 0 {
			c.specs[r.InstanceType] = Spec{InstanceType: r.InstanceType, EC2Type: strings.TrimPrefix(r.InstanceType, "ml."),
				Family: familyOf(r.InstanceType), VCPU: r.VCPU, MemoryGiB: r.MemoryGiB, SpecSource: "price-row"}
		}
	}
}

func (c *Catalog) addStorageRows(rows []StorageRow) {
	seen := map[storageKey]bool{}
	for _, r := range rows {
		k := storageKey{r.Region, r.Item}
		if old, ok := c.storage[k]; ok && seen[k] && !newer(r.AsOf, r.Source, old.AsOf, old.Source) {
			continue
		}
		seen[k] = true
		c.storage[k] = r
	}
}

// newer reports whether a figure dated asOf from source beats one dated
// oldAsOf from oldSource. Dates compare as text: "2023-12" < "2025-06-16".
func newer(asOf, source, oldAsOf, oldSource string) bool {
	if c := strings.Compare(asOf, oldAsOf); c != 0 {
		return c > 0
	}
	return source < oldSource
}

// count fills the row counts of c.sources, adding a source for letters the
// list lacks (the local cache's).
func (c *Catalog) count() {
	idx := map[string]int{}
	for i := range c.sources {
		c.sources[i].Prices, c.sources[i].Storage = 0, 0
		idx[c.sources[i].Letter] = i
	}
	at := func(letter string) *Source {
		i, ok := idx[letter]
		if !ok {
			s := Source{Letter: letter, Title: "unknown source"}
			if letter == SourceRefresh {
				s.Title = "AWS Price List API (local cache from sagesaver pricing refresh)"
			}
			c.sources = append(c.sources, s)
			i = len(c.sources) - 1
			idx[letter] = i
		}
		return &c.sources[i]
	}
	for _, r := range c.prices {
		s := at(r.Source)
		s.Prices++
		if r.Source == SourceRefresh && r.AsOf > s.Published {
			s.Published = r.AsOf
		}
	}
	for _, r := range c.storage {
		s := at(r.Source)
		s.Storage++
		if r.Source == SourceRefresh && r.AsOf > s.Published {
			s.Published = r.AsOf
		}
	}
}

// clone returns a deep enough copy of c to add rows to.
func (c *Catalog) clone() *Catalog {
	n := &Catalog{
		prices:  make(map[priceKey]Row, len(c.prices)),
		storage: make(map[storageKey]StorageRow, len(c.storage)),
		specs:   make(map[string]Spec, len(c.specs)),
		regions: make(map[string]string, len(c.regions)),
		sources: slices.Clone(c.sources),
		cache:   c.cache,
	}
	for k, v := range c.prices {
		n.prices[k] = v
	}
	for k, v := range c.storage {
		n.storage[k] = v
	}
	for k, v := range c.specs {
		n.specs[k] = v
	}
	for k, v := range c.regions {
		n.regions[k] = v
	}
	return n
}

// Overlay returns a catalog in which rows and storage replace c's rows for
// the same region, instance type and component (or region and item). c is
// not changed.
func (c *Catalog) Overlay(rows []Row, storage []StorageRow) *Catalog {
	n := c.clone()
	n.addRows(rows)
	n.addStorageRows(storage)
	n.count()
	return n
}

func (c *Catalog) price(p Row, basis string) Price {
	return Price{Amount: p.USDPerHour, Known: true, Basis: basis, Source: p.Source, AsOf: p.AsOf}
}

// Lookup returns the hourly on-demand price of an instance type for a
// component in a region.
//
// When the component has no price of its own, Lookup returns the same
// instance's price for another component in the same region, marked
// Estimate, with Basis naming that component: the Studio price first (the
// README's check found all other components within 0.33% of it), then the
// others in a fixed order. It does so even where AWS does not sell the
// type for that component (ml.t3.* for training), and marks that
// NotOffered: a resource that exists is billed somehow, and a close
// estimate serves the user better than "unknown"; callers that must not
// recommend such a combination use Offered or PricedTypes.
//
// When nothing is known for the type in the region, Lookup returns Unknown.
// It never looks in another region.
func (c *Catalog) Lookup(region, instanceType string, component Component) Price {
	if r, ok := c.prices[priceKey{region, instanceType, component}]; ok {
		return c.price(r, string(component))
	}
	if slices.Contains(ownPriceOnly, component) {
		return Unknown
	}
	for _, f := range fallbackOrder {
		if f == component {
			continue
		}
		if r, ok := c.prices[priceKey{region, instanceType, f}]; ok {
			p := c.price(r, string(f))
			p.Estimate = true
			p.NotOffered = notOffered(region, instanceType, component)
			return p
		}
	}
	return Unknown
}

// Offered reports whether the catalog has a price of its own for the
// instance type and component in the region.
func (c *Catalog) Offered(region, instanceType string, component Component) bool {
	_, ok := c.prices[priceKey{region, instanceType, component}]
	return ok
}

// notOffered lists the combinations that the README says AWS does not sell.
var notOfferedRules = []struct {
	prefix     string // instance type or type prefix
	components []Component
	regions    []string // nil: every region
}{
	{"ml.t3.", []Component{Training, TrainingWarmPool}, nil},
	{"ml.r6i.", []Component{Training, TrainingWarmPool, Processing}, []string{"us-east-1", "ap-south-1"}},
	{"ml.r7i.4xlarge", []Component{NotebookInstance}, []string{"us-east-1"}},
	{"ml.g4dn.xlarge", []Component{AsyncInference}, []string{"eu-west-3"}},
}

func notOffered(region, instanceType string, component Component) bool {
	for _, r := range notOfferedRules {
		if strings.HasPrefix(instanceType, r.prefix) && slices.Contains(r.components, component) &&
			(r.regions == nil || slices.Contains(r.regions, region)) {
			return true
		}
	}
	return false
}

// Storage returns the GB-month price of ML storage of a kind in a region.
// A gp2 kind without a price of its own in the region gets another gp2
// kind's price in the same region, marked Estimate, in the order of
// StorageKinds; otherwise (and for a Studio space's gp3 volume without its
// own price) the price is Unknown.
func (c *Catalog) Storage(region string, kind StorageKind) Price {
	if r, ok := c.storage[storageKey{region, storageItem(kind)}]; ok {
		return c.storagePrice(r, string(kind))
	}
	if kind == StorageStudioSpace {
		return Unknown
	}
	for _, it := range storageItems {
		if it.kind == kind || it.gp3 {
			continue
		}
		if r, ok := c.storage[storageKey{region, it.item}]; ok {
			p := c.storagePrice(r, string(it.kind))
			p.Estimate = true
			return p
		}
	}
	return Unknown
}

// ServiceRate returns the hourly price of a Service (a Canvas session-hour,
// an hour of an MLflow tracking server of one size) in a region, or
// Unknown: one service's price never stands in for another's.
func (c *Catalog) ServiceRate(region string, s Service) Price {
	if r, ok := c.storage[storageKey{region, string(s)}]; ok {
		return c.storagePrice(r, string(s))
	}
	return Unknown
}

// DataProcessed returns the per-GB price of data processed by real-time
// endpoints in a region, in (out=false) or out. One direction stands in for
// the other as an estimate (AWS prices both alike).
func (c *Catalog) DataProcessed(region string, out bool) Price {
	items := []string{itemDataIn, itemDataOut}
	if out {
		items[0], items[1] = items[1], items[0]
	}
	for i, item := range items {
		if r, ok := c.storage[storageKey{region, item}]; ok {
			p := c.storagePrice(r, item)
			p.Estimate = i > 0
			return p
		}
	}
	return Unknown
}

func (c *Catalog) storagePrice(r StorageRow, basis string) Price {
	return Price{Amount: r.USD, Known: true, Basis: basis, Source: r.Source, AsOf: r.AsOf}
}

// Spec returns the specs of an instance type.
func (c *Catalog) Spec(instanceType string) (Spec, bool) {
	s, ok := c.specs[instanceType]
	return s, ok
}

// Specs returns every known instance type's specs, sorted by name.
func (c *Catalog) Specs() []Spec {
	out := make([]Spec, 0, len(c.specs))
	for _, s := range c.specs {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Spec) int { return cmp.Compare(a.InstanceType, b.InstanceType) })
	return out
}

// PricedTypes returns the instance types that have a price of their own for
// the component in the region, smallest first (by vCPU, then memory, then
// name). family ("m5") narrows the list; "" means every family. Estimates
// do not count: right-sizing recommends only what AWS is known to sell.
func (c *Catalog) PricedTypes(region string, component Component, family string) []string {
	var out []string
	for k := range c.prices {
		if k.region == region && k.component == component && (family == "" || familyOf(k.instanceType) == family) {
			out = append(out, k.instanceType)
		}
	}
	c.sortBySize(out)
	return out
}

// InstanceTypes returns the instance types with any price in the region,
// smallest first.
func (c *Catalog) InstanceTypes(region string) []string {
	set := map[string]bool{}
	for k := range c.prices {
		if k.region == region {
			set[k.instanceType] = true
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	c.sortBySize(out)
	return out
}

func (c *Catalog) sortBySize(types []string) {
	slices.SortFunc(types, func(a, b string) int {
		sa, oka := c.specs[a]
		sb, okb := c.specs[b]
		if oka != okb { // types without specs last
			if oka {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(familyOf(a), familyOf(b)), cmp.Compare(sa.VCPU, sb.VCPU),
			cmp.Compare(sa.MemoryGiB, sb.MemoryGiB), cmp.Compare(a, b))
	})
}

// Regions returns the catalog's regions, sorted by code.
func (c *Catalog) Regions() []Region {
	out := make([]Region, 0, len(c.regions))
	for code, name := range c.regions {
		out = append(out, Region{Code: code, Name: name})
	}
	slices.SortFunc(out, func(a, b Region) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// RegionName returns the Price List "location" of a region code, or "".
func (c *Catalog) RegionName(code string) string { return c.regions[code] }

// Sources returns the data sources with their row counts, by letter.
func (c *Catalog) Sources() []Source {
	out := slices.Clone(c.sources)
	slices.SortFunc(out, func(a, b Source) int { return cmp.Compare(a.Letter, b.Letter) })
	return out
}

// Rows returns every price in the catalog, sorted by region, instance type
// and component: the rows the local cache writer and the emulator's
// GetProducts serve.
func (c *Catalog) Rows() []Row {
	out := make([]Row, 0, len(c.prices))
	for _, r := range c.prices {
		out = append(out, r)
	}
	slices.SortFunc(out, compareRows)
	return out
}

// StorageRows returns every storage and data price, sorted by region and
// item.
func (c *Catalog) StorageRows() []StorageRow {
	out := make([]StorageRow, 0, len(c.storage))
	for _, r := range c.storage {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b StorageRow) int {
		return compareStrings([]string{a.Region, a.Item}, []string{b.Region, b.Item})
	})
	return out
}

// Cache says whether and from where the local cache was overlaid.
func (c *Catalog) Cache() CacheInfo { return c.cache }
