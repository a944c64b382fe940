package pricing

import (
	"fmt"
	"strings"
)

// Price is an amount with what is known about it: a unit price from the
// catalog (per hour, per GB-month) or a cost derived from one with Mul,
// MulRat, Monthly or ForSeconds.
//
// The zero value is an unknown price. An unknown price is never $0: callers
// show "unknown" and sums count it (see Total).
type Price struct {
	// Amount is the price in dollars; meaningful only when Known.
	Amount Money
	// Known is false when the catalog has nothing for the instance type in
	// the region, not even for another component.
	Known bool
	// Estimate is true when the price is another component's (or storage
	// kind's) price for the same instance type and region; Basis names it.
	Estimate bool
	// Basis is the component or storage kind whose price this is.
	Basis string
	// Source is the data source: a letter of the snapshot's sources (see
	// Catalog.Sources) or SourceRefresh for the local cache.
	Source string
	// AsOf is the date of the figure (YYYY-MM-DD, or YYYY-MM for a bill).
	AsOf string
	// NotOffered is true for an estimate where AWS is known not to sell the
	// instance type for the requested component (ml.t3.* for training, ...).
	NotOffered bool
}

// Unknown is the price of something the catalog knows nothing about.
var Unknown = Price{}

// Mul returns the price of n units (hours, instances). Unknown stays unknown.
func (p Price) Mul(n int64) Price {
	p.Amount = p.Amount.Mul(n)
	return p
}

// MulRat returns the price times num/den (see Money.MulRat).
func (p Price) MulRat(num, den int64) Price {
	p.Amount = p.Amount.MulRat(num, den)
	return p
}

// Monthly returns an hourly price projected over HoursPerMonth.
func (p Price) Monthly() Price { return p.Mul(HoursPerMonth) }

// ForSeconds returns an hourly price for seconds of per-second billing.
func (p Price) ForSeconds(seconds int64) Price { return p.MulRat(seconds, SecondsPerHour) }

// String formats the price in dollars and cents, "~" before an estimate, or
// "unknown".
func (p Price) String() string {
	if !p.Known {
		return "unknown"
	}
	if p.Estimate {
		return "~" + p.Amount.String()
	}
	return p.Amount.String()
}

// Rate formats the price as an hourly rate (Money.FormatRate: sub-cent
// digits kept), "~" before an estimate, or "unknown".
func (p Price) Rate() string {
	if !p.Known {
		return "unknown"
	}
	if p.Estimate {
		return "~" + p.Amount.FormatRate()
	}
	return p.Amount.FormatRate()
}

// Label says where the price came from, for a price_source column:
// "A 2025-06-16", "estimate: studio-notebook A 2025-06-16", "unknown".
func (p Price) Label() string {
	if !p.Known {
		return "unknown"
	}
	src := strings.TrimSpace(p.Source + " " + p.AsOf)
	if p.Estimate {
		if p.NotOffered {
			return fmt.Sprintf("estimate (not offered): %s %s", p.Basis, src)
		}
		return fmt.Sprintf("estimate: %s %s", p.Basis, src)
	}
	return src
}

// Describe says where the price of instanceType in region came from, for
// a price_source column: "A 2025-06-16" for the catalog's own price of
// the component, "estimate: priced as the Studio rate of ml.p3.2xlarge in
// us-east-1, A 2025-06-16" for another component's (Basis), with "(not
// offered)" where AWS does not sell the type for the component asked for,
// and "unknown". The source letters are explained by Catalog.Sources.
func (p Price) Describe(region, instanceType string) string {
	if !p.Known || !p.Estimate {
		return p.Label()
	}
	est := "estimate"
	if p.NotOffered {
		est = "estimate (not offered)"
	}
	what := "the " + basisTitle(p.Basis) + " rate"
	if instanceType != "" {
		what += " of " + instanceType
	}
	if region != "" {
		what += " in " + region
	}
	src := strings.TrimSpace(p.Source + " " + p.AsOf)
	if src == "" {
		return fmt.Sprintf("%s: priced as %s", est, what)
	}
	return fmt.Sprintf("%s: priced as %s, %s", est, what, src)
}

// basisTitles name components and storage kinds for people.
var basisTitles = map[string]string{
	string(NotebookInstance): "notebook instance",
	string(StudioNotebook):   "Studio",
	string(StudioJupyterLab): "Studio JupyterLab",
	string(Training):         "training",
	string(TrainingWarmPool): "training warm pool",
	string(Processing):       "processing",
	string(Hosting):          "real-time hosting",
	string(BatchTransform):   "batch transform",
	string(AsyncInference):   "asynchronous inference",
}

func basisTitle(b string) string {
	if t, ok := basisTitles[b]; ok {
		return t
	}
	return b
}

// Total sums prices and remembers what it could not add, so a sum with an
// unknown term reads as incomplete rather than silently lower. The zero
// value is an empty total.
type Total struct {
	// Sum is the sum of the known terms, estimates included.
	Sum Money
	// Items, Unknown and Estimated count the terms added, those unknown and
	// those estimated.
	Items, Unknown, Estimated int
}

// Add adds one term.
func (t *Total) Add(p Price) {
	t.Items++
	switch {
	case !p.Known:
		t.Unknown++
		return
	case p.Estimate:
		t.Estimated++
	}
	t.Sum = t.Sum.Add(p.Amount)
}

// Merge adds every term of o.
func (t *Total) Merge(o Total) {
	t.Sum = t.Sum.Add(o.Sum)
	t.Items += o.Items
	t.Unknown += o.Unknown
	t.Estimated += o.Estimated
}

// Complete reports whether every term had a price.
func (t Total) Complete() bool { return t.Unknown == 0 }

// String formats the total: "$12.34", "~$12.34" when some terms are
// estimates, or "≥ $12.34 (2 unknown)" when some are unknown.
func (t Total) String() string {
	switch {
	case t.Items > 0 && t.Unknown == t.Items:
		return "unknown"
	case t.Unknown > 0:
		return fmt.Sprintf("≥ %s (%d unknown)", t.Sum, t.Unknown)
	case t.Estimated > 0:
		return "~" + t.Sum.String()
	}
	return t.Sum.String()
}
