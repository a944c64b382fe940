// Package cost prices what the inventory found: for each resource the
// instance rate, its run-rate now ($/hour), the month it projects to
// (730 hours, plus ML storage), for jobs the cost so far and what spot
// saved, totals per billing stage that say when a term is unknown, and
// what an action saves (Saves), the one figure plan, apply, the digest, the
// savings ledger, history and schedules show.
//
// It is pure: resources and a price catalog in, lines and totals out.
// A price the catalog does not know is unknown, never $0 (see
// pricing.Price and pricing.Total).
package cost

import (
	"fmt"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Basis says how a resource is billed, as far as this package models it.
type Basis int

// The bases.
const (
	// PerInstance: billed per instance-second at the catalog's hourly
	// rate (the rate may still be unknown for an unknown instance type).
	PerInstance Basis = iota
	// NotApplicable: not billed on its own (a Studio domain, a tuning job
	// whose training jobs are listed and billed separately, an inference
	// component that runs on its endpoint's instances, the free system
	// instance of a Studio Classic JupyterServer app). Left out of totals.
	NotApplicable
	// NotModelled: billed in a way this package does not price (serverless
	// endpoints: per request and compute duration). Its cost is unknown and
	// totals count it as such.
	NotModelled
)

// Line is the cost of one resource.
type Line struct {
	Resource resource.Resource
	Stage    resource.Stage
	Basis    Basis
	// Component is what an instance hour of the resource is billed as;
	// "" unless Basis is PerInstance.
	Component pricing.Component
	// Rate is the catalog's price of one instance-hour (unknown when the
	// catalog has nothing for the type in the region, or not PerInstance).
	Rate pricing.Price
	// Hourly is the run-rate now: Rate x instance count while the resource
	// runs, a known $0 while it does not. Storage is not included.
	Hourly pricing.Price
	// Storage is the ML storage attached, per month (GB x GB-month price):
	// a notebook's volume whether it runs or not, a job's volumes while the
	// job runs. A known $0 when there is none.
	Storage pricing.Price
	// Monthly is Hourly x 730 + Storage: what a month costs if nothing
	// changes.
	Monthly pricing.Price
	// SoFar is, for jobs, the cost of the billable time so far (instances
	// and storage); unknown for other kinds (see IsJob).
	SoFar pricing.Price
	// SpotSavings is, for managed spot training, what the interrupted-free
	// on-demand run would have cost more: Rate x count x (training -
	// billable seconds). A known $0 for jobs without spot.
	SpotSavings pricing.Price
	// Source says where the rate comes from, for a price_source column:
	// pricing.Price.Describe of the rate ("estimate: priced as the Studio
	// rate of ml.p3.2xlarge in us-east-1, A 2025-06-16"), or "n/a (...)"
	// with the reason.
	Source string
	// Note is a short explanation for a reader, or "".
	Note string
}

// IsJob reports whether the line is a job (so SoFar and SpotSavings apply).
func (l *Line) IsJob() bool { return isJob(l.Resource.Kind) }

func isJob(k resource.Kind) bool {
	switch k {
	case resource.TrainingJob, resource.TuningJob, resource.ProcessingJob, resource.TransformJob:
		return true
	}
	return false
}

// zero is a known $0.
var zero = pricing.Price{Known: true}

// Price prices every resource with the catalog, in the order given.
func Price(c *pricing.Catalog, resources []resource.Resource) []Line {
	out := make([]Line, len(resources))
	for i := range resources {
		out[i] = PriceOne(c, resources[i])
	}
	return out
}

// PriceOne prices one resource.
func PriceOne(c *pricing.Catalog, r resource.Resource) Line {
	l := Line{Resource: r, Stage: r.Stage(), Hourly: zero, Storage: zero}
	if short, long := notApplicable(r); short != "" {
		l.Basis, l.Hourly, l.Storage = NotApplicable, pricing.Unknown, pricing.Unknown
		l.Source, l.Note = "n/a ("+short+")", long
		return l
	}
	if r.Kind == resource.Endpoint && r.Serverless {
		l.Basis, l.Hourly, l.Storage = NotModelled, pricing.Unknown, pricing.Unknown
		l.Source = "n/a (serverless)"
		l.Note = "serverless: billed per request and compute time, not per instance; not priced"
		l.Monthly = pricing.Unknown
		return l
	}
	switch r.Kind {
	case resource.CanvasApp, resource.MLflowTrackingServer, resource.SpaceStorage:
		return priceService(c, l)
	}
	l.Component = componentOf(r)
	l.Rate = c.Lookup(r.Region, r.InstanceType, l.Component)
	l.Source = l.Rate.Describe(r.Region, r.InstanceType)
	if !l.Rate.Known {
		l.Note = fmt.Sprintf("no price for %s in %s", r.InstanceType, r.Region)
		if l.Component == pricing.HyperPodCluster {
			usage := pricing.UsageType(r.Region, "Cluster:"+r.InstanceType)
			l.Source, l.Note = unknownSource(usage), fmt.Sprintf("no HyperPod price for %s in %s in the price catalog (usage type %s; HyperPod nodes are not priced as training instances); %s",
				r.InstanceType, r.Region, usage, refreshHint)
		}
	}
	count := int64(r.InstanceCount)
	if r.Running {
		l.Hourly = l.Rate.Mul(count)
	} else {
		l.Hourly = zero
	}
	if kind, ok := storageKind(r.Kind); ok && r.VolumeGB > 0 && (r.Running || r.Kind == resource.NotebookInstance) {
		gb := int64(r.VolumeGB)
		if isJob(r.Kind) {
			gb *= max(count, 1) // each instance of a job has its own volume
		}
		l.Storage = c.Storage(r.Region, kind).Mul(gb)
	}
	l.Monthly = sum(l.Hourly.Monthly(), l.Storage)
	if l.IsJob() {
		l.SoFar, l.SpotSavings = jobCost(c, r, l.Rate)
	}
	return l
}

// refreshHint says how to fill a price the catalog lacks.
const refreshHint = "`sagesaver pricing refresh` fetches it"

// unknownSource is the price source of a price the catalog lacks, naming
// the usage type it would have: short, for the table's last column.
func unknownSource(usage string) string {
	return "unknown: no " + usage + " price (pricing refresh)"
}

// priceService prices what bills per hour of use or per GB-month rather
// than per instance: a Canvas session (one session-hour rate while the app
// exists, idle or not), an MLflow tracking server (its size's hourly rate
// while it runs; a stopped server bills nothing) and a Studio space's EBS
// volume (gp3, GB x GB-month price, while the space exists). A rate the
// catalog lacks is unknown, and the note says which usage type refresh
// would fill it from.
func priceService(c *pricing.Catalog, l Line) Line {
	r := l.Resource
	var usage, what string
	switch r.Kind {
	case resource.SpaceStorage:
		usage, what = pricing.StorageUsageType(r.Region, pricing.StorageStudioSpace), "Studio space storage (gp3)"
		st := c.Storage(r.Region, pricing.StorageStudioSpace)
		l.Storage = st.Mul(int64(r.VolumeGB))
		l.Monthly = l.Storage
		l.Rate, l.Source = pricing.Unknown, st.Label()
		if !st.Known {
			l.Source = unknownSource(usage)
			l.Note = fmt.Sprintf("no %s price for %s in the price catalog (usage type %s); %s", what, r.Region, usage, refreshHint)
		}
		return l
	case resource.CanvasApp:
		l.Rate = c.ServiceRate(r.Region, pricing.CanvasSession)
		usage, what = pricing.ServiceUsageType(r.Region, pricing.CanvasSession), "Canvas session-hour"
	case resource.MLflowTrackingServer:
		svc, ok := pricing.MLflowService(r.Size)
		if !ok {
			l.Rate, l.Hourly, l.Monthly = pricing.Unknown, pricing.Unknown, pricing.Unknown
			l.Source, l.Note = "unknown", fmt.Sprintf("MLflow tracking server size %q is not one the price catalog knows (Small, Medium, Large)", r.Size)
			if !r.Running {
				l.Hourly, l.Monthly = zero, zero
			}
			return l
		}
		l.Rate = c.ServiceRate(r.Region, svc)
		usage, what = pricing.ServiceUsageType(r.Region, svc), r.Size+" MLflow tracking server"
	}
	l.Source = l.Rate.Label()
	if !l.Rate.Known {
		l.Source = unknownSource(usage)
		l.Note = fmt.Sprintf("no %s price for %s in the price catalog (usage type %s); %s", what, r.Region, usage, refreshHint)
	}
	l.Hourly = zero
	if r.Running {
		l.Hourly = l.Rate
	}
	l.Monthly = l.Hourly.Monthly()
	return l
}

// jobCost is the cost of a job's billable time so far, and what managed
// spot training saved against on-demand.
func jobCost(c *pricing.Catalog, r resource.Resource, rate pricing.Price) (soFar, savings pricing.Price) {
	count := int64(r.InstanceCount)
	soFar = rate.Mul(count).ForSeconds(r.BillableSeconds)
	if r.BillableSeconds == 0 {
		soFar = zero
		if !rate.Known && count > 0 && r.TrainingSeconds > 0 {
			soFar = pricing.Unknown
		}
	}
	if kind, ok := storageKind(r.Kind); ok && r.VolumeGB > 0 && r.TrainingSeconds > 0 {
		// Volumes exist for the whole run, spot interruptions included.
		gb := int64(r.VolumeGB) * max(count, 1)
		st := c.Storage(r.Region, kind).Mul(gb).MulRat(r.TrainingSeconds, pricing.HoursPerMonth*pricing.SecondsPerHour)
		soFar = sum(soFar, st)
	}
	savings = zero
	if r.Spot && r.TrainingSeconds > r.BillableSeconds {
		savings = rate.Mul(count).ForSeconds(r.TrainingSeconds - r.BillableSeconds)
	}
	return soFar, savings
}

// notApplicable returns why a resource is not billed on its own, or "".
// The short form goes into Source ("n/a (short)"), the long one into Note.
func notApplicable(r resource.Resource) (short, long string) {
	switch r.Kind {
	case resource.StudioDomain:
		return "not billed", "a Studio domain is not billed; its apps are"
	case resource.StudioSpace:
		return "billed via its apps", "a Studio space is billed through its apps and its EBS volume (the space-storage line)"
	case resource.InferenceComponent:
		return "billed with its endpoint", "runs on its endpoint's instances, which are billed with the endpoint"
	case resource.TuningJob:
		return "billed via training jobs", "billed through its training jobs, which are listed separately"
	case resource.StudioApp:
		if r.InstanceType == "system" || r.InstanceType == "" {
			return "system instance", "runs on a free system instance"
		}
	}
	return "", ""
}

// componentOf is the component an instance hour of r is billed as.
func componentOf(r resource.Resource) pricing.Component {
	switch r.Kind {
	case resource.NotebookInstance:
		return pricing.NotebookInstance
	case resource.StudioApp:
		switch r.AppType {
		case "JupyterLab", "CodeEditor":
			return pricing.StudioJupyterLab
		}
		// KernelGateway (Studio Classic) and the other app types
		// (RSessionGateway, ...) are billed as Studio notebooks.
		return pricing.StudioNotebook
	case resource.TrainingJob:
		return pricing.Training
	case resource.ProcessingJob:
		return pricing.Processing
	case resource.TransformJob:
		return pricing.BatchTransform
	case resource.HyperPodCluster:
		return pricing.HyperPodCluster
	case resource.Endpoint:
		if r.Async {
			return pricing.AsyncInference
		}
		return pricing.Hosting
	}
	return pricing.Hosting
}

// storageKind is the ML storage kind of a kind's volumes.
func storageKind(k resource.Kind) (pricing.StorageKind, bool) {
	switch k {
	case resource.NotebookInstance:
		return pricing.StorageNotebook, true
	case resource.TrainingJob:
		return pricing.StorageTraining, true
	case resource.ProcessingJob:
		return pricing.StorageProcessing, true
	}
	return "", false
}

// sum adds two prices: unknown if either is, an estimate if either is. The
// source and date are a's.
func sum(a, b pricing.Price) pricing.Price {
	if !a.Known || !b.Known {
		return pricing.Unknown
	}
	a.Amount = a.Amount.Add(b.Amount)
	if b.Estimate && !a.Estimate {
		a.Estimate, a.Basis = true, b.Basis
	}
	return a
}
