package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// SchemaVersion is the version of the JSON document. It changes only when
// a field is removed or its meaning changes; new fields may be added.
const SchemaVersion = "sagesaver.io/scan/v1"

// jsonScan is the JSON document; docs/scan.md documents every field.
type jsonScan struct {
	Schema          string         `json:"schema"`
	ScannedAt       time.Time      `json:"scanned_at"`
	Accounts        []string       `json:"accounts"`
	Regions         []string       `json:"regions"`
	JobLookbackDays float64        `json:"job_lookback_days"`
	Resources       []jsonResource `json:"resources"`
	Totals          jsonTotals     `json:"totals"`
	Failures        []jsonFailure  `json:"failures"`
	// PriceSources explains the letters of price_source.
	PriceSources []jsonSource `json:"price_sources"`
}

type jsonSource struct {
	Source    string `json:"source"`
	Title     string `json:"title"`
	Published string `json:"published"`
}

// jsonResource is one resource: the inventory's fields (account, region,
// kind, name, status, instance_type, instance_count, ...) and its cost.
type jsonResource struct {
	resource.Resource
	Stage              resource.Stage `json:"stage"`
	Component          string         `json:"component"`
	USDPerInstanceHour *pricing.Money `json:"usd_per_instance_hour"`
	USDPerHour         *pricing.Money `json:"usd_per_hour"`
	StorageUSDPerMonth *pricing.Money `json:"storage_usd_per_month"`
	USDPerMonth        *pricing.Money `json:"usd_per_month"`
	CostSoFarUSD       *pricing.Money `json:"cost_so_far_usd"`
	SpotSavingsUSD     *pricing.Money `json:"spot_savings_usd"`
	Estimate           bool           `json:"estimate"`
	PriceSource        string         `json:"price_source"`
	Note               string         `json:"note,omitempty"`
}

type jsonTotal struct {
	Sum       pricing.Money `json:"sum"`
	Unknown   int           `json:"unknown"`
	Estimated int           `json:"estimated"`
}

type jsonStage struct {
	Stage          resource.Stage `json:"stage,omitempty"`
	Resources      int            `json:"resources"`
	Running        int            `json:"running"`
	USDPerHour     jsonTotal      `json:"usd_per_hour"`
	USDPerMonth    jsonTotal      `json:"usd_per_month"`
	CostSoFarUSD   jsonTotal      `json:"cost_so_far_usd"`
	SpotSavingsUSD jsonTotal      `json:"spot_savings_usd"`
}

type jsonTotals struct {
	Stages []jsonStage `json:"stages"`
	All    jsonStage   `json:"all"`
}

type jsonFailure struct {
	Account string        `json:"account"`
	Region  string        `json:"region"`
	Kind    resource.Kind `json:"kind"`
	Class   string        `json:"class"`
	Reason  string        `json:"reason"`
}

func total(t pricing.Total) jsonTotal {
	return jsonTotal{Sum: t.Sum, Unknown: t.Unknown, Estimated: t.Estimated}
}

func stage(t cost.StageTotal) jsonStage {
	return jsonStage{Stage: t.Stage, Resources: t.Resources, Running: t.Running,
		USDPerHour: total(t.Hourly), USDPerMonth: total(t.Monthly), CostSoFarUSD: total(t.SoFar), SpotSavingsUSD: total(t.SpotSavings)}
}

func jsonResourceOf(l cost.Line) jsonResource {
	r := jsonResource{
		Resource: l.Resource, Stage: l.Stage, Component: string(l.Component),
		USDPerInstanceHour: cost.Known(l.Rate), USDPerHour: cost.Known(l.Hourly),
		StorageUSDPerMonth: cost.Known(l.Storage), USDPerMonth: cost.Known(l.Monthly),
		Estimate: l.Rate.Known && l.Rate.Estimate, PriceSource: l.Source, Note: l.Note,
	}
	if l.IsJob() {
		r.CostSoFarUSD, r.SpotSavingsUSD = cost.Known(l.SoFar), cost.Known(l.SpotSavings)
	}
	return r
}

// WriteJSON writes the scan as one indented JSON document.
func WriteJSON(w io.Writer, s *Scan) error {
	doc := jsonScan{
		Schema: SchemaVersion, ScannedAt: s.ScannedAt.UTC(), Accounts: nonNil(s.Accounts), Regions: nonNil(s.Regions),
		JobLookbackDays: s.JobLookback.Hours() / 24,
		Resources:       make([]jsonResource, 0, len(s.Lines)),
		Failures:        []jsonFailure{},
		PriceSources:    []jsonSource{},
		Totals:          jsonTotals{Stages: []jsonStage{}, All: stage(s.Summary.All)},
	}
	for _, l := range s.Lines {
		doc.Resources = append(doc.Resources, jsonResourceOf(l))
	}
	for _, src := range s.Sources {
		doc.PriceSources = append(doc.PriceSources, jsonSource{Source: src.Letter, Title: src.Title, Published: src.Published})
	}
	for _, t := range s.Summary.Stages {
		doc.Totals.Stages = append(doc.Totals.Stages, stage(t))
	}
	for _, f := range s.Failures {
		doc.Failures = append(doc.Failures, jsonFailure{Account: f.Account, Region: f.Region, Kind: f.Kind, Class: f.Class, Reason: f.Reason})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
