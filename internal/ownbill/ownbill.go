// Package ownbill estimates sagesaver's own monthly AWS bill when it runs
// unattended (a tick every few minutes): CloudWatch GetMetricData for the
// endpoint evidence, AWS Lambda for the ticks, DynamoDB on-demand request
// units for the store, and SNS for the notices. It is pure arithmetic on
// counts (a fleet, a configuration, measured tick durations); the prices
// are dated constants with their source. SageMaker, STS, Tagging and
// Application Auto Scaling control-plane calls are free and not listed.
package ownbill

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/pricing"
)

// Prices are the list prices the bill uses.
type Prices struct {
	// AsOf is when the prices were read from Source.
	AsOf   string `json:"as_of"`
	Region string `json:"region"`
	Source string `json:"source"`
	// GetMetricDataPer1000 is CloudWatch's price per 1,000 metrics
	// requested by GetMetricData (each query with a MetricStat, each
	// call; not per datapoint).
	GetMetricDataPer1000 pricing.Money `json:"get_metric_data_per_1000_metrics"`
	// LambdaGBSecond and LambdaPerMillionRequests: x86 functions, the
	// first pricing tier (6 billion GB-seconds a month).
	LambdaGBSecond           pricing.Money `json:"lambda_per_gb_second"`
	LambdaPerMillionRequests pricing.Money `json:"lambda_per_million_requests"`
	// DynamoDB on-demand, Standard table class: per million write request
	// units (a write of up to 1 KB) and read request units (a strongly
	// consistent read of up to 4 KB; eventually consistent: half).
	DynamoDBPerMillionWRU pricing.Money `json:"dynamodb_per_million_write_units"`
	DynamoDBPerMillionRRU pricing.Money `json:"dynamodb_per_million_read_units"`
	// SNSPerMillionPublishes is the price of publishes (API requests);
	// SNSEmailPer100000 of email deliveries.
	SNSPerMillionPublishes pricing.Money `json:"sns_per_million_publishes"`
	SNSEmailPer100000      pricing.Money `json:"sns_email_per_100000"`
}

// USEast1 are the us-east-1 list prices, read on 2026-12-03 from
// https://aws.amazon.com/cloudwatch/pricing/ ("API": GetMetricData $0.01
// per 1,000 metrics requested), https://aws.amazon.com/lambda/pricing/
// (x86: $0.0000166667 per GB-second, $0.20 per 1M requests),
// https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per million
// write request units, $0.125 per million read request units since the
// November 2024 reduction) and https://aws.amazon.com/sns/pricing/
// ($0.50 per million publishes, $2.00 per 100,000 email notifications).
// Free tiers are left out: the estimate is what the fleet costs on its
// own, not what an otherwise empty account pays.
var USEast1 = Prices{
	AsOf:   "2026-12-03",
	Region: "us-east-1",
	Source: "aws.amazon.com/{cloudwatch,lambda,dynamodb,sns}/pricing",

	GetMetricDataPer1000:     pricing.MustParseMoney("0.01"),
	LambdaGBSecond:           pricing.MustParseMoney("0.0000166667"),
	LambdaPerMillionRequests: pricing.MustParseMoney("0.20"),
	DynamoDBPerMillionWRU:    pricing.MustParseMoney("0.625"),
	DynamoDBPerMillionRRU:    pricing.MustParseMoney("0.125"),
	SNSPerMillionPublishes:   pricing.MustParseMoney("0.50"),
	SNSEmailPer100000:        pricing.MustParseMoney("2.00"),
}

// Month is the month the bill is for: pricing.HoursPerMonth hours.
const Month = pricing.HoursPerMonth * time.Hour

// Usage is what the tool does in a month, in AWS's billing units.
type Usage struct {
	// MetricsRequested by GetMetricData.
	MetricsRequested int64 `json:"metrics_requested"`
	// LambdaInvocations and LambdaGBMilliseconds (duration, each
	// invocation rounded up to the millisecond, times memory in GB, in
	// thousandths of a GB-second).
	LambdaInvocations    int64 `json:"lambda_invocations"`
	LambdaGBMilliseconds int64 `json:"lambda_gb_milliseconds"`
	// DynamoDB request units (on-demand).
	WriteUnits int64 `json:"dynamodb_write_units"`
	ReadUnits  int64 `json:"dynamodb_read_units"`
	// SNS publishes and the email deliveries among them.
	SNSPublishes int64 `json:"sns_publishes"`
	SNSEmails    int64 `json:"sns_emails"`
}

// Item is one line of the bill.
type Item struct {
	Service  string        `json:"service"`
	What     string        `json:"what"`
	Quantity int64         `json:"quantity"`
	Unit     string        `json:"unit"`
	Cost     pricing.Money `json:"cost"`
}

// Bill is a month of the tool's own AWS charges.
type Bill struct {
	Usage  Usage         `json:"usage"`
	Items  []Item        `json:"items"`
	Total  pricing.Money `json:"total"`
	Prices Prices        `json:"prices"`
}

// EstimateBill is the bill of Estimate at the us-east-1 prices: what
// `sagesaver run --estimate-cost` shows.
func EstimateBill(f Fleet, c Config) Bill { return Price(Estimate(f, c), USEast1) }

// Price turns a month's usage into a bill.
func Price(u Usage, p Prices) Bill {
	b := Bill{Usage: u, Prices: p}
	add := func(service, what string, qty int64, unit string, cost pricing.Money) {
		b.Items = append(b.Items, Item{Service: service, What: what, Quantity: qty, Unit: unit, Cost: cost})
		b.Total = b.Total.Add(cost)
	}
	add("CloudWatch", "GetMetricData", u.MetricsRequested, "metrics requested", p.GetMetricDataPer1000.MulRat(u.MetricsRequested, 1000))
	add("Lambda", "duration", u.LambdaGBMilliseconds/1000, "GB-seconds", p.LambdaGBSecond.MulRat(u.LambdaGBMilliseconds, 1000))
	add("Lambda", "requests", u.LambdaInvocations, "invocations", p.LambdaPerMillionRequests.MulRat(u.LambdaInvocations, 1_000_000))
	add("DynamoDB", "writes", u.WriteUnits, "write request units", p.DynamoDBPerMillionWRU.MulRat(u.WriteUnits, 1_000_000))
	add("DynamoDB", "reads", u.ReadUnits, "read request units", p.DynamoDBPerMillionRRU.MulRat(u.ReadUnits, 1_000_000))
	add("SNS", "publishes", u.SNSPublishes, "publishes", p.SNSPerMillionPublishes.MulRat(u.SNSPublishes, 1_000_000))
	add("SNS", "email deliveries", u.SNSEmails, "emails", p.SNSEmailPer100000.MulRat(u.SNSEmails, 100_000))
	return b
}

// WriteText writes the bill as a small table, e.g.
//
//	CloudWatch  GetMetricData  1,234,567 metrics requested  $12.35
func (b Bill) WriteText(w io.Writer) error {
	for _, it := range b.Items {
		if _, err := fmt.Fprintf(w, "%-10s  %-16s  %15s %-20s  %10s\n", it.Service, it.What, thousands(it.Quantity), it.Unit, it.Cost.Format(2)); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%-10s  %-16s  %15s %-20s  %10s\n", "Total", "per month", "", "", b.Total.Format(2))
	return err
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Fleet is what sagesaver watches.
type Fleet struct {
	// Endpoints and Variants: every endpoint has one variant at least;
	// Variants counts the series the evidence reads (production variants,
	// and inference components; an asynchronous endpoint has two).
	Endpoints int `json:"endpoints"`
	Variants  int `json:"variants"`
	Notebooks int `json:"notebooks"`
	// Targets are account x region pairs.
	Targets int `json:"targets"`
}

// Config is how sagesaver runs, and what was measured of a tick.
type Config struct {
	// TickEvery is the scheduler's interval (5 minutes).
	TickEvery time.Duration `json:"tick_every"`
	// EvidenceEvery is how often an endpoint's metrics are fetched at most
	// (metrics.DefaultEvidenceEvery); a target's evidence memory is
	// written about that often (read every tick).
	EvidenceEvery time.Duration `json:"evidence_every"`
	// MetricsPerVariantDay is the metrics requested per variant per day,
	// as measured (the benchmark). When it is 0 and IdleShare is set, the
	// incremental evidence's rules give it: an idle variant (quiet over a
	// whole window) is read every QuietEvery, a busy one about once a
	// Window. When neither is set: the bound, one per EvidenceEvery (24 a
	// day hourly).
	MetricsPerVariantDay float64 `json:"metrics_per_variant_day,omitempty"`
	// IdleShare is the share of variants idle over a whole window, 0 to 1
	// (the last run's verdicts know it).
	IdleShare *float64 `json:"idle_share,omitempty"`
	// QuietEvery is how often an idle endpoint is read
	// (metrics.DefaultQuietEvery); Window is the evidence window (a
	// 24-hour lookback plus the executor's hour: 25 h).
	QuietEvery time.Duration `json:"quiet_every"`
	Window     time.Duration `json:"window"`
	// InventoryEvery is how often a target's inventory is scanned again
	// (from the cache) and written back to the store.
	InventoryEvery time.Duration `json:"inventory_every"`
	// TickDuration and MemoryMB are one Lambda invocation's measured
	// duration and configured memory; InvocationsPerTick is how many
	// invocations make a tick (1 for one function doing every target).
	TickDuration       time.Duration `json:"tick_duration"`
	MemoryMB           int           `json:"memory_mb"`
	InvocationsPerTick int           `json:"invocations_per_tick"`
	// InventoryKB is a target's cached inventory as stored (compressed),
	// EvidenceKB a target's evidence memory (gzipped).
	InventoryKB int `json:"inventory_kb"`
	EvidenceKB  int `json:"evidence_kb"`
	// NoticesPerDay are the SNS publishes a day (digests and notices);
	// EmailShare of them go to email subscriptions.
	NoticesPerDay int     `json:"notices_per_day"`
	EmailShare    float64 `json:"email_share"`
	// FindingsPerPass are the policies' findings in one policy pass over
	// the whole fleet (every EvidenceEvery): each is recorded, and its
	// action or notice with it, WriteUnitsPerFinding write units.
	FindingsPerPass int `json:"findings_per_pass"`
}

// WriteUnitsPerFinding is what one finding of a policy pass writes to a
// DynamoDB state, as BenchmarkTickStore (internal/tick) measured for a
// notify rule: the finding and the idle streak extended at every pass,
// their id counter, and, once per idle streak and renotifyAfter (a notify
// rule tells once, internal/policy), the notice queued and marked sent,
// the action and the notified mark (about 2.5 units, rounded up;
// BENCHMARKS.md "The store's request units"). A delete or stop writes
// about as much once.
const WriteUnitsPerFinding = 3

// Store accesses per tick and per target that the estimate assumes for
// the tick (internal/tick) over a DynamoDB table: claim the tick and
// record the run (3 writes), per target: take and release its lease and
// record its result (3 writes, the result up to 2 KB with its call
// counts), read its cached inventory (strongly consistent). Small items
// are one unit each.
const (
	tickWrites      = 3
	targetWrites    = 1 + 1 + 2
	targetReadsOnce = 1
)

// Estimate returns the monthly usage of fleet under c, for `sagesaver run
// --estimate-cost`: every figure is per month (Month), from per-tick
// counts. Zero fields of c take the Default constants (5-minute ticks,
// hourly evidence and inventory, one 30-second invocation at 1,024 MB a
// tick, 4 KB of inventory and 4 KB of evidence per target, as measured
// for 125 endpoints and 25 notebooks a target); NoticesPerDay and
// EmailShare stay 0 when not given.
func Estimate(f Fleet, c Config) Usage {
	c = withDefaults(c)
	ticks := int64(Month / c.TickEvery)
	days := Month.Hours() / 24
	var u Usage

	perDay := c.MetricsPerVariantDay
	day := float64(24 * time.Hour)
	every := max(c.EvidenceEvery, c.TickEvery)
	switch {
	case perDay > 0:
	case c.IdleShare != nil:
		idle := min(max(*c.IdleShare, 0), 1)
		perDay = idle*day/float64(max(c.QuietEvery, every)) + (1-idle)*day/float64(max(c.Window, every))
	default:
		perDay = day / float64(every)
	}
	u.MetricsRequested = int64(math.Ceil(perDay * float64(f.Variants) * days))

	u.LambdaInvocations = ticks * int64(c.InvocationsPerTick)
	ms := int64((c.TickDuration + time.Millisecond - 1) / time.Millisecond)
	u.LambdaGBMilliseconds = u.LambdaInvocations * ms * int64(c.MemoryMB) / 1024

	// Store: the tick's own records every tick; each target's inventory
	// and evidence memory read every tick, the inventory written every
	// InventoryEvery and the evidence every EvidenceEvery.
	targets := int64(f.Targets)
	readUnits := func(kb int) int64 { return int64(math.Ceil(float64(kb) / 4)) }
	evidenceRuns := int64(Month / max(c.EvidenceEvery, c.TickEvery))
	inventoryRuns := int64(Month / max(c.InventoryEvery, c.TickEvery))
	u.WriteUnits = ticks*(tickWrites+targets*targetWrites) +
		inventoryRuns*targets*int64(c.InventoryKB) +
		evidenceRuns*targets*int64(c.EvidenceKB) +
		evidenceRuns*int64(max(c.FindingsPerPass, 0))*WriteUnitsPerFinding
	u.ReadUnits = ticks * targets * (targetReadsOnce + readUnits(c.InventoryKB) + readUnits(c.EvidenceKB))

	u.SNSPublishes = int64(math.Ceil(float64(c.NoticesPerDay) * days))
	u.SNSEmails = int64(math.Ceil(float64(u.SNSPublishes) * c.EmailShare))
	return u
}

// Defaults of Config (the run configuration's defaults, and a Lambda
// function sized for the fleet of the benchmark).
const (
	DefaultTickEvery      = 5 * time.Minute
	DefaultEvidenceEvery  = metrics.DefaultEvidenceEvery
	DefaultInventoryEvery = time.Hour
	DefaultQuietEvery     = metrics.DefaultQuietEvery
	DefaultWindow         = 25 * time.Hour
	DefaultTickDuration   = 30 * time.Second
	DefaultMemoryMB       = 1024
	DefaultInventoryKB    = 4
	DefaultEvidenceKB     = 4
)

func withDefaults(c Config) Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.TickEvery, DefaultTickEvery)
	set(&c.EvidenceEvery, DefaultEvidenceEvery)
	set(&c.InventoryEvery, DefaultInventoryEvery)
	set(&c.QuietEvery, DefaultQuietEvery)
	set(&c.Window, DefaultWindow)
	set(&c.TickDuration, DefaultTickDuration)
	if c.MemoryMB <= 0 {
		c.MemoryMB = DefaultMemoryMB
	}
	if c.InvocationsPerTick <= 0 {
		c.InvocationsPerTick = 1
	}
	if c.InventoryKB <= 0 {
		c.InventoryKB = DefaultInventoryKB
	}
	if c.EvidenceKB <= 0 {
		c.EvidenceKB = DefaultEvidenceKB
	}
	c.NoticesPerDay = max(c.NoticesPerDay, 0)
	c.EmailShare = min(max(c.EmailShare, 0), 1)
	return c
}
