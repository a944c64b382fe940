package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/sagesaver/sagesaver/internal/cost"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Every JSON document sagesaver prints follows one convention: snake_case
// member names, a "schema" member first that names the document and its
// version ("sagesaver.io/scan/v1"), written by EncodeJSON. A version
// changes only when a member is removed or its meaning changes; new members
// may be added. docs/<doc>.schema.json is the JSON Schema of each.

// SchemaVersion is the version of the scan's JSON document.
const SchemaVersion = "sagesaver.io/scan/v1"

// Schema identifiers of the other commands' JSON documents.
const (
	SchemaPlan            = "sagesaver.io/plan/v1"   // plan and apply
	SchemaAdvise          = "sagesaver.io/advise/v1" // advise
	SchemaHistory         = "sagesaver.io/history/v1"
	SchemaSchedulePreview = "sagesaver.io/schedule-preview/v1"
	SchemaScheduleRun     = "sagesaver.io/schedule-run/v1"
	SchemaPricingInfo     = "sagesaver.io/pricing-info/v1"
	SchemaPricingShow     = "sagesaver.io/pricing-show/v1"
	SchemaLifecycleAudit  = "sagesaver.io/lifecycle-audit/v1"
	SchemaRun             = "sagesaver.io/run/v1"          // run (one tick)
	SchemaHistoryRuns     = "sagesaver.io/history-runs/v1" // history --runs
)

// EncodeJSON writes v as one indented JSON document, without escaping
// <, > and & (the output is read by people and jq, not pasted into HTML).
func EncodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

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
	return EncodeJSON(w, doc)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
