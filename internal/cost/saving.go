package cost

import "github.com/sagesaver/sagesaver/internal/pricing"

// Verb is a change whose saving Saves decides.
type Verb string

// The verbs. A verb that is not one of these (notify, tag, mark,
// set-idle-shutdown, start) saves a known $0: what an idle shutdown
// setting saves depends on future use and is not counted.
const (
	// Stop: a notebook instance stopped by apply, or a notebook instance
	// or Studio app stopped by a schedule.
	Stop Verb = "stop"
	// Delete: an endpoint deleted (after a snapshot, for restore).
	Delete Verb = "delete"
	// DeleteApp: a Studio app deleted.
	DeleteApp Verb = "delete-app"
	// ScaleIn: an endpoint variant scaled in to Change.To instances.
	ScaleIn Verb = "scale-in"
)

// Change is an action on one resource.
type Change struct {
	Verb Verb
	// To is, for ScaleIn, the instance count after the change.
	To int
}

// Saving is what a change saves while its effect lasts: a stopped
// notebook until it is started again, a deleted endpoint until it is
// restored.
type Saving struct {
	// Hourly is the saving per hour: the rate the savings ledger records.
	Hourly pricing.Price
	// Monthly is Hourly x 730 (pricing.HoursPerMonth): what plan, apply
	// and the digest show. It is always derived from Hourly, so that the
	// plan's figure and the ledger's agree to the cent.
	Monthly pricing.Price
}

// Saves decides what a change saves for the resource priced as l. It is
// the one place that says which charges an action ends; plan, apply, the
// digest, the savings ledger, history and schedules all use it.
//
//   - Stop ends the instance-hours only. AWS still bills the ML storage
//     volume of a stopped notebook instance (Line.Storage), so it is not
//     saved; a Studio app's space volume is not priced at all.
//   - Delete of an endpoint ends the instance-hours of each variant (the
//     instances its inference components run on included). Per-request
//     charges (data processed) are usage, not a rate, and not counted.
//     A serverless endpoint is not priced: its saving is unknown.
//   - DeleteApp ends the app's instance-hours (a system instance is free:
//     a known $0).
//   - ScaleIn ends the instance-hours of the instances removed.
//
// A resource that is not running saves a known $0 (it bills no
// instance-hours). An unknown rate gives an unknown saving, never $0.
func Saves(l Line, c Change) Saving {
	h := hourlySaving(l, c)
	return Saving{Hourly: h, Monthly: h.Monthly()}
}

// SavesAll is the saving of one change on every resource of a subject (an
// endpoint's variants): the sum, unknown if any term is.
func SavesAll(lines []Line, c Change) Saving {
	h := zero
	for _, l := range lines {
		h = sum(h, hourlySaving(l, c))
	}
	return Saving{Hourly: h, Monthly: h.Monthly()}
}

func hourlySaving(l Line, c Change) pricing.Price {
	switch c.Verb {
	case Stop, Delete, DeleteApp:
	case ScaleIn:
		if !l.Resource.Running || c.To >= l.Resource.InstanceCount {
			return zero
		}
		if l.Basis != PerInstance {
			return pricing.Unknown
		}
		return l.Rate.Mul(int64(l.Resource.InstanceCount - max(c.To, 0)))
	default:
		return zero
	}
	switch l.Basis {
	case NotApplicable:
		// Not billed on its own (a free system instance, a component
		// billed with its endpoint): nothing to save.
		return zero
	case NotModelled:
		return pricing.Unknown
	}
	if !l.Resource.Running {
		return zero
	}
	// Hourly is the instance run-rate now (Rate x count), storage apart.
	return l.Hourly
}
