package emulator

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	prtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"

	"github.com/sagesaver/sagesaver/internal/emulator/wire"
	catalog "github.com/sagesaver/sagesaver/internal/pricing"
)

// The AWS Price List query API (service "pricing", awsJson1_1, one global
// endpoint in us-east-1). It serves AmazonSageMaker's products from the
// project's own price catalog (internal/pricing, rendered into Price List
// documents by pricing.RenderPriceList), with a scenario's `prices:`
// overriding rows, so that `sagesaver pricing refresh` can be tested
// end to end and see a changed value.

// priceListFormat is the only FormatVersion the API knows.
const priceListFormat = "aws_v1"

// maxPricePage is GetProducts' and GetAttributeValues' page limit and
// default.
const maxPricePage = 100

func pricingService() *service {
	return &service{
		name:        "pricing",
		signingName: "pricing",
		jsonTarget:  "AWSPriceListService",
		global:      true,
		// The Price List API answers bad input, modeled constraints
		// included, with InvalidParameterException.
		validationCode: "InvalidParameterException",
		ops: map[string]handler{
			"GetProducts":        op(getProducts),
			"DescribeServices":   op(describePriceServices),
			"GetAttributeValues": op(getAttributeValues),
		},
	}
}

// PriceScenario overrides (or adds) one price of the catalog that the
// Pricing API serves: an instance price (instanceType, component,
// usdPerHour) or a per-unit item (item, usd), such as the Canvas
// session-hour or a Studio space's GB-month, which the embedded snapshot
// lacks.
type PriceScenario struct {
	Region       string `yaml:"region"`
	InstanceType string `yaml:"instanceType,omitempty"`
	// Component is a catalog component: hosting, training, notebook-instance,
	// studio-jupyterlab, hyperpod-cluster, ... (see internal/pricing).
	Component  string `yaml:"component,omitempty"`
	USDPerHour string `yaml:"usdPerHour,omitempty"`
	// Item is an item of the catalog's storage and service table:
	// canvas-session, mlflow-tracking-server-small (-medium, -large),
	// ml-storage-studio-space, ml-storage-notebook-instance, ...
	Item string `yaml:"item,omitempty"`
	// USD is the item's price per its unit (an hour, a GB-month).
	USD string `yaml:"usd,omitempty"`
}

// pricingState is the Price List the emulator serves: rendered documents
// with the attributes filters match, in a stable order.
type pricingState struct {
	overrides []catalog.Row
	items     []catalog.StorageRow
	published time.Time // publication date of the overrides
	products  []priceProduct
}

type priceProduct struct {
	family string
	attrs  map[string]string
	doc    string
}

// loadPrices checks a scenario's price overrides and installs them. Caller
// holds s.mu.
func (s *Server) loadPrices(prices []PriceScenario, now time.Time) error {
	cat := catalog.Embedded()
	st := &pricingState{published: now}
	for i, p := range prices {
		field := fmt.Sprintf("prices[%d]", i)
		if cat.RegionName(p.Region) == "" {
			return fmt.Errorf("%s.region: %q is not a region of the price catalog", field, p.Region)
		}
		if p.Item != "" || p.USD != "" {
			row, err := itemPrice(cat, p, field, now)
			if err != nil {
				return err
			}
			st.items = append(st.items, row)
			continue
		}
		comp, err := catalog.ParseComponent(p.Component)
		if err != nil {
			return fmt.Errorf("%s.component: %w", field, err)
		}
		usd, err := catalog.ParseMoney(p.USDPerHour)
		if err != nil {
			return fmt.Errorf("%s.usdPerHour: %w", field, err)
		}
		if !strings.HasPrefix(p.InstanceType, "ml.") {
			return fmt.Errorf("%s.instanceType: %q is not an ml.* instance type", field, p.InstanceType)
		}
		r := catalog.Row{Region: p.Region, RegionName: cat.RegionName(p.Region), InstanceType: p.InstanceType, Component: comp,
			USDPerHour: usd, AsOf: now.UTC().Format("2006-01-02"), Source: catalog.SourceRefresh}
		if spec, ok := cat.Spec(p.InstanceType); ok {
			r.VCPU, r.MemoryGiB = spec.VCPU, spec.MemoryGiB
		}
		if _, err := catalog.PriceListAttributes(r); err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		st.overrides = append(st.overrides, r)
	}
	s.pricing = st
	return nil
}

// itemPrice checks a scenario's per-unit price (item and usd, nothing of
// an instance price) and returns its catalog row.
func itemPrice(cat *catalog.Catalog, p PriceScenario, field string, now time.Time) (catalog.StorageRow, error) {
	switch {
	case p.Item == "":
		return catalog.StorageRow{}, fmt.Errorf("%s.item: required with usd", field)
	case p.InstanceType != "" || p.Component != "" || p.USDPerHour != "":
		return catalog.StorageRow{}, fmt.Errorf("%s.item: an item price has no instanceType, component or usdPerHour", field)
	}
	usd, err := catalog.ParseMoney(p.USD)
	if err != nil {
		return catalog.StorageRow{}, fmt.Errorf("%s.usd: %w", field, err)
	}
	row := catalog.StorageRow{Region: p.Region, Item: p.Item, USD: usd, AsOf: now.UTC().Format("2006-01-02"), Source: catalog.SourceRefresh}
	if _, err := catalog.RenderStoragePriceList(row, cat.RegionName(p.Region), "2006-01-02T00:00:00Z"); err != nil {
		return catalog.StorageRow{}, fmt.Errorf("%s.item: %q is not an item with a Price List usage type", field, p.Item)
	}
	return row, nil
}

// publication turns a catalog date (YYYY-MM-DD, YYYY-MM or RFC 3339) into
// a Price List publicationDate.
func publication(asOf string) string {
	switch len(asOf) {
	case len("2006-01"):
		return asOf + "-01T00:00:00Z"
	case len("2006-01-02"):
		return asOf + "T00:00:00Z"
	}
	return asOf
}

// priceList returns the rendered products, building them on first use.
// Caller holds s.mu.
func (s *Server) priceList() ([]priceProduct, error) {
	if s.pricing == nil {
		s.pricing = &pricingState{}
	}
	st := s.pricing
	if st.products != nil {
		return st.products, nil
	}
	cat := catalog.Embedded()
	if len(st.overrides) > 0 || len(st.items) > 0 {
		cat = cat.Overlay(st.overrides, st.items)
	}
	var docs []string
	for _, r := range cat.Rows() {
		if r.RegionName == "" {
			r.RegionName = cat.RegionName(r.Region)
		}
		if r.VCPU == 0 {
			if spec, ok := cat.Spec(r.InstanceType); ok {
				r.VCPU, r.MemoryGiB = spec.VCPU, spec.MemoryGiB
			}
		}
		doc, err := catalog.RenderPriceList(r, publication(r.AsOf))
		if err != nil {
			continue // a row without a Price List SKU (warm pools) or usage-type prefix
		}
		docs = append(docs, doc)
	}
	for _, r := range cat.StorageRows() {
		doc, err := catalog.RenderStoragePriceList(r, cat.RegionName(r.Region), publication(r.AsOf))
		if err != nil {
			continue
		}
		docs = append(docs, doc)
	}
	products := make([]priceProduct, 0, len(docs))
	for _, doc := range docs {
		var d struct {
			Product struct {
				ProductFamily string            `json:"productFamily"`
				Attributes    map[string]string `json:"attributes"`
			} `json:"product"`
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return nil, fmt.Errorf("rendered price list: %w", err)
		}
		products = append(products, priceProduct{family: d.Product.ProductFamily, attrs: d.Product.Attributes, doc: doc})
	}
	st.products = products
	return products, nil
}

// field returns a product's value for a filter field.
func (p priceProduct) field(name string) (string, bool) {
	switch name {
	case "ServiceCode", "serviceCode":
		return catalog.ServiceCode, true
	case "productFamily":
		return p.family, true
	}
	v, ok := p.attrs[name]
	return v, ok
}

func (p priceProduct) matches(f prtypes.Filter) bool {
	v, ok := p.field(aws.ToString(f.Field))
	if !ok {
		return f.Type == prtypes.FilterTypeNoneOf
	}
	want := aws.ToString(f.Value)
	switch f.Type {
	case prtypes.FilterTypeTermMatch:
		return strings.EqualFold(v, want)
	case prtypes.FilterTypeEquals:
		return v == want
	case prtypes.FilterTypeContains:
		return strings.Contains(v, want)
	case prtypes.FilterTypeAnyOf, prtypes.FilterTypeNoneOf:
		in := false
		for _, w := range strings.Split(want, ",") {
			if strings.TrimSpace(w) == v {
				in = true
			}
		}
		return in == (f.Type == prtypes.FilterTypeAnyOf)
	}
	return false
}

func pricingInvalid(format string, args ...any) *wire.Error {
	return &wire.Error{Code: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

// pricePage pages a Price List answer, with the API's own errors.
func pricePage[T any](items []T, token *string, maxResults *int32) ([]T, *string, error) {
	if maxResults != nil && (*maxResults < 1 || *maxResults > maxPricePage) {
		return nil, nil, pricingInvalid("Input validation failed: MaxResults must be between 1 and %d", maxPricePage)
	}
	page, next, err := paginate(items, token, maxResults, maxPricePage)
	if err != nil {
		return nil, nil, &wire.Error{Code: "InvalidNextTokenException", Message: "The pagination token is invalid. Try again without a pagination token."}
	}
	return page, next, nil
}

func checkFormat(v *string) error {
	if v != nil && *v != priceListFormat {
		return pricingInvalid("Input validation failed: FormatVersion %s is not supported (use %s)", *v, priceListFormat)
	}
	return nil
}

func getProducts(c *Call, in *pricing.GetProductsInput) (*pricing.GetProductsOutput, error) {
	if e := required("ServiceCode", in.ServiceCode != nil); e != nil {
		return nil, e
	}
	if err := checkFormat(in.FormatVersion); err != nil {
		return nil, err
	}
	for i, f := range in.Filters {
		if f.Field == nil || f.Value == nil || f.Type == "" {
			return nil, pricingInvalid("Input validation failed: Filters[%d] needs Type, Field and Value", i)
		}
		switch f.Type {
		case prtypes.FilterTypeTermMatch, prtypes.FilterTypeEquals, prtypes.FilterTypeContains, prtypes.FilterTypeAnyOf, prtypes.FilterTypeNoneOf:
		default:
			return nil, pricingInvalid("Input validation failed: Filters[%d].Type %s is not valid", i, f.Type)
		}
	}
	var docs []string
	if *in.ServiceCode == catalog.ServiceCode {
		products, err := c.s.priceList()
		if err != nil {
			return nil, err
		}
	next:
		for _, p := range products {
			for _, f := range in.Filters {
				if !p.matches(f) {
					continue next
				}
			}
			docs = append(docs, p.doc)
		}
	}
	page, next, err := pricePage(docs, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []string{}
	}
	return &pricing.GetProductsOutput{FormatVersion: aws.String(priceListFormat), PriceList: page, NextToken: next}, nil
}

func describePriceServices(c *Call, in *pricing.DescribeServicesInput) (*pricing.DescribeServicesOutput, error) {
	if err := checkFormat(in.FormatVersion); err != nil {
		return nil, err
	}
	var services []prtypes.Service
	if in.ServiceCode == nil || *in.ServiceCode == catalog.ServiceCode {
		products, err := c.s.priceList()
		if err != nil {
			return nil, err
		}
		names := map[string]bool{}
		for _, p := range products {
			for k := range p.attrs {
				names[k] = true
			}
		}
		attrs := make([]string, 0, len(names))
		for k := range names {
			attrs = append(attrs, k)
		}
		sort.Strings(attrs)
		services = append(services, prtypes.Service{ServiceCode: aws.String(catalog.ServiceCode), AttributeNames: attrs})
	}
	page, next, err := pricePage(services, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &pricing.DescribeServicesOutput{FormatVersion: aws.String(priceListFormat), Services: append([]prtypes.Service{}, page...), NextToken: next}, nil
}

func getAttributeValues(c *Call, in *pricing.GetAttributeValuesInput) (*pricing.GetAttributeValuesOutput, error) {
	if e := required("ServiceCode", in.ServiceCode != nil); e != nil {
		return nil, e
	}
	if e := required("AttributeName", in.AttributeName != nil); e != nil {
		return nil, e
	}
	var values []prtypes.AttributeValue
	if *in.ServiceCode == catalog.ServiceCode {
		products, err := c.s.priceList()
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, p := range products {
			if v, ok := p.attrs[*in.AttributeName]; ok && !seen[v] {
				seen[v] = true
			}
		}
		sorted := make([]string, 0, len(seen))
		for v := range seen {
			sorted = append(sorted, v)
		}
		sort.Strings(sorted)
		for _, v := range sorted {
			values = append(values, prtypes.AttributeValue{Value: aws.String(v)})
		}
	}
	if len(values) == 0 {
		return nil, &wire.Error{Code: "NotFoundException", Message: fmt.Sprintf("Attribute %s of service %s was not found", *in.AttributeName, *in.ServiceCode)}
	}
	page, next, err := pricePage(values, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &pricing.GetAttributeValuesOutput{AttributeValues: page, NextToken: next}, nil
}
