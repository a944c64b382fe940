package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// This file converts between catalog rows and the AWS Price List API's
// product documents: each PriceList entry of GetProducts(ServiceCode=
// AmazonSageMaker) is a JSON string with product.attributes and
// terms.OnDemand (see shared/pricing/README.md, "Refreshing").

// ServiceCode is the Price List service code of SageMaker.
const ServiceCode = "AmazonSageMaker"

// Price List product families this package reads.
const (
	FamilyMLInstance   = "ML Instance"
	FamilyStorage      = "Storage"
	FamilyDataTransfer = "Data Transfer"
	// FamilyMachineLearning is a family of AWS's 2022 attribute values;
	// the emulator files Canvas sessions and MLflow tracking servers under
	// it. Which family AWS files them under is not known here, so a
	// refresh finds them by usage type (UsageTypeCodes), not by family.
	FamilyMachineLearning = "Machine Learning"
)

// ErrNotPriced is returned for a Price List product that the catalog does
// not keep (spot training, Data Wrangler, Canvas, features...). A refresh
// skips such products.
var ErrNotPriced = errors.New("not a product the catalog keeps")

// PriceListProduct is one catalog entry read from a Price List document:
// exactly one of Instance and Storage is set.
type PriceListProduct struct {
	Instance *Row
	Storage  *StorageRow
}

// usageCodes maps the code of an instance usage type
// (<prefix>-<code><instance>) to its component; entries with an empty component
// are known codes that the catalog does not keep.
var usageCodes = []struct {
	code       string
	component  Component
	attr       string // the Price List "component" attribute
	typeSuffix string // the suffix of the instanceType attribute
}{
	{"Notebk:", NotebookInstance, "Notebook", "Notebook"},
	{"Studio:KernelGateway-", StudioNotebook, "Studio-Notebook", "Notebook"},
	{"Studio:JupyterLab-", StudioJupyterLab, "Studio-JupyterLab", "Notebook"},
	{"Train:", Training, "Training", "Training"},
	{"TrSpt:", "", "SpotTraining", "Training"}, // spot: the price varies; see the cost package
	{"Processing:", Processing, "Processing", "Processing"},
	{"Host:", Hosting, "Hosting", "Hosting"},
	{"Tsform:", BatchTransform, "BatchTransform", "BatchTransform"},
	{"AsyncInf:", AsyncInference, "AsyncInf", "AsyncInf"},
	{"Cluster:", HyperPodCluster, "Cluster", "Cluster"},
}

// storageCodes maps storage and data usage types to storage items.
var storageCodes = []struct {
	code, item, family, unit string
}{
	{"Notebk:VolumeUsage.gp2", "ml-storage-notebook-instance", FamilyStorage, "GB-Mo"},
	{"Train:VolumeUsage.gp2", "ml-storage-training", FamilyStorage, "GB-Mo"},
	{"Processing:VolumeUsage.gp2", "ml-storage-processing", FamilyStorage, "GB-Mo"},
	{"Host:VolumeUsage.gp2", "ml-storage-endpoint", FamilyStorage, "GB-Mo"},
	{"Hst:Data-Bytes-In", itemDataIn, FamilyDataTransfer, "GB"},
	{"Hst:Data-Bytes-Out", itemDataOut, FamilyDataTransfer, "GB"},
	{"Studio:VolumeUsage.gp3", "ml-storage-studio-space", FamilyStorage, "GB-Mo"},
	{"Canvas:Session-Hrs", string(CanvasSession), FamilyMachineLearning, "Hrs"},
	{"MLflow:TrackingServerCompute-Small", string(MLflowSmall), FamilyMachineLearning, "Hrs"},
	{"MLflow:TrackingServerCompute-Medium", string(MLflowMedium), FamilyMachineLearning, "Hrs"},
	{"MLflow:TrackingServerCompute-Large", string(MLflowLarge), FamilyMachineLearning, "Hrs"},
}

// UsageTypeCodes are the parts of usage types (after the region prefix)
// that a refresh asks the Price List API for by usage type (filter
// CONTAINS), besides the ML Instance and Storage families: Canvas
// sessions and MLflow tracking servers, whose product family is not known
// here, and HyperPod nodes ("-Cluster:ml.", which "ReservedCluster:"
// does not contain). Canvas:Session-Hrs is in AWS's 2022 attribute
// values (shared/pricing); the MLflow and HyperPod codes are as AWS bills
// them (Cost Explorer usage types).
var UsageTypeCodes = []string{"Canvas:Session-Hrs", "MLflow:TrackingServerCompute-", "-Cluster:ml."}

// UsageType is the Price List usage type of code in a region:
// "USE1-Canvas:Session-Hrs" for us-east-1 and "Canvas:Session-Hrs";
// "<region>-<code>" for a region without a known prefix.
func UsageType(region, code string) string {
	if p, ok := regionPrefixes[region]; ok {
		return p + "-" + code
	}
	return region + "-" + code
}

// ServiceUsageType is the usage type of a Service's hours in a region.
func ServiceUsageType(region string, s Service) string { return UsageType(region, itemCode(string(s))) }

// StorageUsageType is the usage type of a storage kind in a region.
func StorageUsageType(region string, k StorageKind) string {
	return UsageType(region, itemCode(storageItem(k)))
}

// itemCode is the usage-type code of a storage CSV item.
func itemCode(item string) string {
	for _, s := range storageCodes {
		if s.item == item {
			return s.code
		}
	}
	return item
}

// regionPrefixes are the usage-type prefixes of AWS regions (USE1 for
// us-east-1; eu-west-1 is plain "EU"). The parser does not need them: a
// usage type carries its prefix and the product its regionCode. The
// renderer does.
var regionPrefixes = map[string]string{
	"us-east-1": "USE1", "us-east-2": "USE2", "us-west-1": "USW1", "us-west-2": "USW2",
	"ca-central-1": "CAN1", "sa-east-1": "SAE1",
	"eu-west-1": "EU", "eu-west-2": "EUW2", "eu-west-3": "EUW3", "eu-central-1": "EUC1",
	"eu-north-1": "EUN1", "eu-south-1": "EUS1", "eu-south-2": "EUS2",
	"il-central-1": "ILC1", "me-south-1": "MES1", "me-central-1": "MEC1", "af-south-1": "AFS1",
	"ap-south-1": "APS3", "ap-east-1": "APE1", "ap-northeast-1": "APN1", "ap-northeast-2": "APN2",
	"ap-northeast-3": "APN3", "ap-southeast-1": "APS1", "ap-southeast-2": "APS2", "ap-southeast-3": "APS4",
	"us-gov-west-1": "UGW1", "us-gov-east-1": "UGE1",
}

// priceListDoc is the part of a Price List document that is read and
// written.
type priceListDoc struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	ServiceCode string `json:"serviceCode"`
	Terms       struct {
		OnDemand map[string]priceListTerm `json:"OnDemand"`
	} `json:"terms"`
	Version         string `json:"version"`
	PublicationDate string `json:"publicationDate"`
}

type priceListTerm struct {
	PriceDimensions map[string]priceListDimension `json:"priceDimensions"`
	SKU             string                        `json:"sku"`
	EffectiveDate   string                        `json:"effectiveDate"`
	OfferTermCode   string                        `json:"offerTermCode"`
	TermAttributes  map[string]string             `json:"termAttributes"`
}

type priceListDimension struct {
	Unit         string            `json:"unit"`
	EndRange     string            `json:"endRange"`
	Description  string            `json:"description"`
	AppliesTo    []string          `json:"appliesTo"`
	RateCode     string            `json:"rateCode"`
	BeginRange   string            `json:"beginRange"`
	PricePerUnit map[string]string `json:"pricePerUnit"`
}

// splitUsageType returns the part of a usage type after its region prefix:
// "Host:ml.m5.xlarge" for "USE1-Host:ml.m5.xlarge".
func splitUsageType(u string) string {
	colon := strings.IndexByte(u, ':')
	if dash := strings.IndexByte(u, '-'); dash >= 0 && (colon < 0 || dash < colon) {
		return u[dash+1:]
	}
	return u
}

// ParsePriceList reads one PriceList entry of GetProducts. It returns
// ErrNotPriced (wrapped) for products the catalog does not keep, and
// another error for a malformed document. The row's Source is
// SourceRefresh and its AsOf the date of the document's publicationDate.
func ParsePriceList(doc string) (PriceListProduct, error) {
	var d priceListDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return PriceListProduct{}, fmt.Errorf("parse price list product: %w", err)
	}
	attrs := d.Product.Attributes
	region, usage := attrs["regionCode"], attrs["usagetype"]
	if region == "" || usage == "" {
		return PriceListProduct{}, fmt.Errorf("price list product %s: no regionCode or usagetype: %w", d.Product.SKU, ErrNotPriced)
	}
	usd, unit, err := onDemandUSD(d)
	if err != nil {
		return PriceListProduct{}, fmt.Errorf("price list product %s (%s): %w", d.Product.SKU, usage, err)
	}
	asOf := d.PublicationDate
	if asOf == "" {
		for _, t := range d.Terms.OnDemand {
			asOf = t.EffectiveDate
		}
	}
	if len(asOf) > len("2006-01-02") {
		asOf = asOf[:len("2006-01-02")]
	}
	rest := splitUsageType(usage)

	for _, s := range storageCodes {
		if rest == s.code {
			return PriceListProduct{Storage: &StorageRow{Region: region, Item: s.item, UsageTypeSuffix: s.code, Unit: unit,
				USD: usd, AsOf: asOf, Source: SourceRefresh}}, nil
		}
	}
	// HyperPod nodes are read whatever their family; other instance usage
	// types only as ML Instance (ML Elastic Inference accelerators, for
	// one, share the Host: code).
	if d.Product.ProductFamily != FamilyMLInstance && !strings.HasPrefix(rest, "Cluster:") {
		return PriceListProduct{}, fmt.Errorf("price list product %s: family %q, usage type %s: %w", d.Product.SKU, d.Product.ProductFamily, usage, ErrNotPriced)
	}
	for _, u := range usageCodes {
		instance, ok := strings.CutPrefix(rest, u.code)
		if !ok {
			continue
		}
		if u.component == "" {
			return PriceListProduct{}, fmt.Errorf("price list product %s: usage type %s: %w", d.Product.SKU, usage, ErrNotPriced)
		}
		if !strings.HasPrefix(instance, "ml.") {
			instance = attrs["instanceName"]
		}
		if unit != "Hrs" {
			return PriceListProduct{}, fmt.Errorf("price list product %s: unit %q, want Hrs: %w", d.Product.SKU, unit, ErrNotPriced)
		}
		row := &Row{Region: region, RegionName: attrs["location"], InstanceType: instance, Component: u.component,
			USDPerHour: usd, AsOf: asOf, Source: SourceRefresh}
		row.VCPU, _ = strconv.Atoi(attrs["vCpu"])
		row.MemoryGiB, _ = strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(attrs["memory"], "GiB")), 64)
		return PriceListProduct{Instance: row}, nil
	}
	return PriceListProduct{}, fmt.Errorf("price list product %s: usage type %s: %w", d.Product.SKU, usage, ErrNotPriced)
}

// onDemandUSD returns the single on-demand USD price of a product and its
// unit. Tiered prices (several dimensions) take the first tier.
func onDemandUSD(d priceListDoc) (Money, string, error) {
	var dims []priceListDimension
	for _, t := range d.Terms.OnDemand {
		for _, dim := range t.PriceDimensions {
			if _, ok := dim.PricePerUnit["USD"]; ok {
				dims = append(dims, dim)
			}
		}
	}
	if len(dims) == 0 {
		return Money{}, "", fmt.Errorf("no on-demand USD price: %w", ErrNotPriced)
	}
	slices.SortFunc(dims, func(a, b priceListDimension) int {
		x, _ := strconv.ParseFloat(a.BeginRange, 64)
		y, _ := strconv.ParseFloat(b.BeginRange, 64)
		return compareFloat(x, y)
	})
	m, err := ParseMoney(dims[0].PricePerUnit["USD"])
	if err != nil {
		return Money{}, "", err
	}
	return m, dims[0].Unit, nil
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// onDemandTerm is AWS's offer term code for on-demand prices, and
// rateSuffix the rate code's last part for a per-unit price.
const (
	onDemandTerm = "JRTCKXETXF"
	rateSuffix   = "6YS6EN2CT7"
)

// PriceListAttributes returns the product attributes AWS publishes for a
// catalog row, which GetProducts filters (TERM_MATCH) compare with. It
// fails for a region without a known usage-type prefix or a component
// without a Price List SKU (training-warm-pool).
func PriceListAttributes(r Row) (map[string]string, error) {
	prefix, ok := regionPrefixes[r.Region]
	if !ok {
		return nil, fmt.Errorf("price list attributes: no usage type prefix for region %s", r.Region)
	}
	for _, u := range usageCodes {
		if u.component != r.Component || u.component == "" {
			continue
		}
		attrs := map[string]string{
			"servicecode":       ServiceCode,
			"servicename":       "Amazon SageMaker",
			"regionCode":        r.Region,
			"location":          r.RegionName,
			"locationType":      "AWS Region",
			"instanceName":      r.InstanceType,
			"instanceType":      r.InstanceType + "-" + u.typeSuffix,
			"component":         u.attr,
			"platoinstancetype": u.attr,
			"platoinstancename": r.InstanceType,
			"usagetype":         prefix + "-" + u.code + r.InstanceType,
			"operation":         "RunInstance",
			"currentGeneration": "Yes",
		}
		if r.VCPU > 0 {
			attrs["vCpu"] = strconv.Itoa(r.VCPU)
		}
		if r.MemoryGiB > 0 {
			attrs["memory"] = strconv.FormatFloat(r.MemoryGiB, 'f', -1, 64) + " GiB"
		}
		return attrs, nil
	}
	return nil, fmt.Errorf("price list attributes: component %s has no Price List usage type", r.Component)
}

// RenderPriceList renders a catalog row as a GetProducts PriceList entry,
// the inverse of ParsePriceList: the emulator serves GetProducts from the
// catalog with it. publication is the document's publicationDate (RFC
// 3339); the SKU is derived from the usage type, so it is stable.
func RenderPriceList(r Row, publication string) (string, error) {
	attrs, err := PriceListAttributes(r)
	if err != nil {
		return "", err
	}
	return renderDoc(FamilyMLInstance, attrs, "Hrs", r.USDPerHour,
		fmt.Sprintf("$%s per On Demand %s %s in %s", r.USDPerHour.Plain(), attrs["component"], r.InstanceType, r.RegionName), publication)
}

// RenderStoragePriceList renders a storage or data row as a PriceList
// entry. regionName is the Price List location of the row's region.
func RenderStoragePriceList(r StorageRow, regionName, publication string) (string, error) {
	prefix, ok := regionPrefixes[r.Region]
	if !ok {
		return "", fmt.Errorf("price list attributes: no usage type prefix for region %s", r.Region)
	}
	for _, s := range storageCodes {
		if s.item != r.Item {
			continue
		}
		attrs := map[string]string{
			"servicecode":  ServiceCode,
			"servicename":  "Amazon SageMaker",
			"regionCode":   r.Region,
			"location":     regionName,
			"locationType": "AWS Region",
			"usagetype":    prefix + "-" + s.code,
		}
		return renderDoc(s.family, attrs, s.unit, r.USD, fmt.Sprintf("$%s per %s of %s in %s", r.USD.Plain(), s.unit, r.Item, regionName), publication)
	}
	return "", fmt.Errorf("price list attributes: storage item %s has no Price List usage type", r.Item)
}

func renderDoc(family string, attrs map[string]string, unit string, usd Money, desc, publication string) (string, error) {
	h := fnv.New64a()
	h.Write([]byte(attrs["usagetype"]))
	sku := strings.ToUpper(strconv.FormatUint(h.Sum64(), 36))
	var d priceListDoc
	d.Product.ProductFamily = family
	d.Product.Attributes = attrs
	d.Product.SKU = sku
	d.ServiceCode = ServiceCode
	d.Version = strings.NewReplacer("-", "", ":", "", "T", "", "Z", "").Replace(publication)
	d.PublicationDate = publication
	term := sku + "." + onDemandTerm
	d.Terms.OnDemand = map[string]priceListTerm{term: {
		SKU:            sku,
		EffectiveDate:  publication,
		OfferTermCode:  onDemandTerm,
		TermAttributes: map[string]string{},
		PriceDimensions: map[string]priceListDimension{term + "." + rateSuffix: {
			Unit: unit, EndRange: "Inf", BeginRange: "0", Description: desc, AppliesTo: []string{},
			RateCode: term + "." + rateSuffix, PricePerUnit: map[string]string{"USD": priceText(usd)},
		}},
	}}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("render price list product: %w", err)
	}
	return string(b), nil
}

// priceText writes a price as AWS does, with 10 decimal places
// ("0.0500000000"), or more when the amount needs them.
func priceText(m Money) string {
	if p := m.d.StringFixed(10); MustParseMoney(p).Equal(m) {
		return p
	}
	return m.Plain()
}
