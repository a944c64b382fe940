package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/ownbill"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/tick"
)

// measuredTicks is how many of the latest ticks that worked give the
// measured tick duration of the estimate.
const measuredTicks = 12

// runEstimate prints sagesaver's own monthly AWS bill for the run file:
// the fleet from the targets' inventories the ticks kept in the state (or,
// when there are none yet, a read-only scan of the run file's targets),
// the cadences from the file, the tick duration from the latest ticks
// recorded (else the default), every tickEvery. It changes nothing.
func runEstimate(ctx context.Context, a *app, cmd *cobra.Command, file string, tickEvery time.Duration) error {
	r, err := runconfig.Read(file)
	if err != nil {
		return err
	}
	loc, err := runStateLocation(a, cmd, r)
	if err != nil {
		return err
	}
	st, err := a.openLocation(ctx, loc)
	if err != nil {
		return err
	}
	defer st.Close()
	fleet, source, err := storedFleet(ctx, st)
	if err != nil {
		return err
	}
	if fleet.Targets == 0 {
		if fleet, err = a.scannedFleet(ctx, cmd, r); err != nil {
			return err
		}
		source = "a read-only scan of the run file's targets now (no inventory in the state yet)"
	}
	cad := r.Cadences()
	c := ownbill.Config{TickEvery: tickEvery, EvidenceEvery: cad.Evidence, InventoryEvery: cad.Inventory, TickDuration: ownbill.DefaultTickDuration}
	durSource := "default"
	runs, err := st.Runs(ctx, 0)
	if err != nil {
		return err
	}
	if d, n, err := measuredTickDuration(ctx, st, runs); err != nil {
		return err
	} else if n > 0 && d > 0 {
		c.TickDuration, durSource = d, fmt.Sprintf("the mean of the latest %d tick(s)", n)
	}
	if c.FindingsPerPass, err = storedFindings(ctx, st, runs); err != nil {
		return err
	}
	bill := ownbill.EstimateBill(fleet, c)
	doc := estimateDoc{Schema: report.SchemaRunEstimate, RunFile: file, State: loc.String(), StateBackend: loc.Backend,
		TickEverySeconds: tickEvery.Seconds(), EvidenceEverySeconds: cad.Evidence.Seconds(), InventoryEverySeconds: cad.Inventory.Seconds(),
		Fleet: fleet, FleetSource: source, FindingsPerPass: c.FindingsPerPass, TickDurationSeconds: c.TickDuration.Seconds(), TickDurationSource: durSource, MemoryMB: ownbill.DefaultMemoryMB,
		Assumptions: []string{
			fmt.Sprintf("one AWS Lambda invocation of %d MB a tick (on cron or a Kubernetes CronJob there is no Lambda charge)", ownbill.DefaultMemoryMB),
			"the state in a DynamoDB table, on-demand (a SQLite state has no DynamoDB charge)",
			"us-east-1 list prices of " + ownbill.USEast1.AsOf + ", no free tier",
			"no SNS notices counted: a digest is one publish",
		},
		Bill: bill, TotalPerMonth: bill.Total}
	if a.Cfg.Output == config.OutputJSON {
		return report.EncodeJSON(a.Stdio.Out, doc)
	}
	w := a.Stdio.Out
	fmt.Fprintf(w, "sagesaver's own AWS bill for %s, a tick every %s, per month (730 hours):\n", file, config.FormatDuration(tickEvery))
	fmt.Fprintf(w, "  fleet: %d endpoint(s), %d variant(s), %d notebook(s) in %d target(s), from %s\n", fleet.Endpoints, fleet.Variants, fleet.Notebooks, fleet.Targets, source)
	fmt.Fprintf(w, "  tick: %s (%s); evidence every %s; inventory every %s; one Lambda invocation a tick at %d MB\n",
		c.TickDuration.Round(time.Millisecond), durSource, config.FormatDuration(cad.Evidence), config.FormatDuration(cad.Inventory), ownbill.DefaultMemoryMB)
	fmt.Fprintf(w, "  policy pass: %d finding(s), from each target's latest (each written to the state, %d units, at every pass)\n",
		c.FindingsPerPass, ownbill.WriteUnitsPerFinding)
	fmt.Fprintf(w, "  state: %s (the estimate counts DynamoDB on-demand request units; a SQLite state has none)\n\n", loc)
	return bill.WriteText(w)
}

// estimateDoc is `run --estimate-cost -o json` (docs/run-estimate.schema.json).
type estimateDoc struct {
	Schema  string `json:"schema"`
	RunFile string `json:"run_file"`
	// State is the state the run file's ticks use; StateBackend its kind.
	State                 string        `json:"state"`
	StateBackend          string        `json:"state_backend"`
	TickEverySeconds      float64       `json:"tick_every_seconds"`
	EvidenceEverySeconds  float64       `json:"evidence_every_seconds"`
	InventoryEverySeconds float64       `json:"inventory_every_seconds"`
	Fleet                 ownbill.Fleet `json:"fleet"`
	// FleetSource says where the fleet's counts come from.
	FleetSource string `json:"fleet_source"`
	// FindingsPerPass: the policies' findings of each target's latest
	// policy pass recorded, added up.
	FindingsPerPass     int           `json:"findings_per_pass"`
	TickDurationSeconds float64       `json:"tick_duration_seconds"`
	TickDurationSource  string        `json:"tick_duration_source"`
	MemoryMB            int           `json:"memory_mb"`
	Assumptions         []string      `json:"assumptions"`
	Bill                ownbill.Bill  `json:"bill"`
	TotalPerMonth       pricing.Money `json:"total_per_month"`
}

// runStateLocation is the state a run file's tick uses: --state when
// given on the command line, else the file's, else the global one
// (SAGESAVER_STATE, the config file's, the default file).
func runStateLocation(a *app, cmd *cobra.Command, r *runconfig.Run) (store.Location, error) {
	if fl := cmd.Flag("state"); fl == nil || !fl.Changed {
		if loc, ok := r.StateLocation(); ok {
			return loc, nil
		}
	}
	return a.stateLocation("")
}

// storedFleet counts the fleet in the inventories the ticks kept.
func storedFleet(ctx context.Context, st store.Store) (ownbill.Fleet, string, error) {
	keys, err := st.BlobKeys(ctx, tick.BlobScan, "")
	if err != nil {
		return ownbill.Fleet{}, "", err
	}
	var f ownbill.Fleet
	var latest time.Time
	for _, k := range keys {
		data, at, err := st.Blob(ctx, tick.BlobScan, k)
		if err != nil {
			return ownbill.Fleet{}, "", err
		}
		var rs []resource.Resource
		if err := json.Unmarshal(data, &rs); err != nil {
			continue // an unreadable inventory is one target less
		}
		f.Targets++
		countFleet(&f, rs)
		if t, err := tick.InventoryAt(ctx, st, k); err == nil && t.After(at) {
			at = t // the blob's own time is when the inventory last changed
		}
		if at.After(latest) {
			latest = at
		}
	}
	return f, fmt.Sprintf("the ticks' inventories in the state (latest %s)", latest.UTC().Format(time.RFC3339)), nil
}

// countFleet adds rs to f: an endpoint's variants and inference
// components are the series its evidence reads.
func countFleet(f *ownbill.Fleet, rs []resource.Resource) {
	endpoints := map[resource.ID]bool{}
	for _, r := range rs {
		switch r.Kind {
		case resource.Endpoint:
			endpoints[r.ID()] = true
			f.Variants++
		case resource.InferenceComponent:
			f.Variants++
		case resource.NotebookInstance:
			f.Notebooks++
		}
	}
	f.Endpoints += len(endpoints)
}

// scannedFleet scans the run file's targets (read-only) and counts them.
func (a *app) scannedFleet(ctx context.Context, cmd *cobra.Command, r *runconfig.Run) (ownbill.Fleet, error) {
	if fl := cmd.Flag("region"); fl == nil || !fl.Changed {
		a.Cfg.Regions = r.Targets.Regions
	}
	catalog, err := a.priceCatalog()
	if err != nil {
		return ownbill.Fleet{}, err
	}
	res, set, err := a.scanTargets(ctx, scanOptions{targets: runTargetFlags(r), lookback: inventory.DefaultJobLookback, concurrency: inventory.DefaultConcurrency}, catalog)
	if err != nil {
		return ownbill.Fleet{}, err
	}
	f := ownbill.Fleet{Targets: len(set.Targets)}
	countFleet(&f, res.Resources)
	return f, nil
}

// runTargetFlags are the target flags a run file's targets amount to.
func runTargetFlags(r *runconfig.Run) targetFlags {
	tf := targetFlags{organization: r.Targets.Organization, roleName: r.Targets.RoleName}
	if tf.roleName == "" {
		tf.roleName = DefaultRoleName
	}
	for _, acct := range r.Targets.Accounts {
		tf.accounts = append(tf.accounts, AccountEntry{ID: acct.ID, Name: acct.Name, RoleARN: acct.RoleARN})
	}
	return tf
}

// storedFindings adds up the findings of each target's latest tick of
// runs (newest first) that ran the policies (its result counts findings).
func storedFindings(ctx context.Context, st store.Store, runs []store.Run) (int, error) {
	seen := map[string]bool{}
	n := 0
	for _, r := range runs { // newest first
		if r.Command != tick.Command {
			continue
		}
		trs, err := st.TargetResults(ctx, r.ID)
		if err != nil {
			return 0, err
		}
		for _, tr := range trs {
			f, ran := tr.Counts["findings"]
			if k := tr.Account + "/" + tr.Region; ran && !seen[k] {
				seen[k] = true
				n += f
			}
		}
	}
	return n, nil
}

// measuredTickDuration is the mean duration of the latest ticks of runs
// (newest first) that worked (measuredTicks of them at most) and how many
// there were.
func measuredTickDuration(ctx context.Context, st store.Store, runs []store.Run) (time.Duration, int, error) {
	var total time.Duration
	n := 0
	for _, r := range runs {
		if n == measuredTicks {
			break
		}
		if r.Command != tick.Command || r.Finished == nil || r.Status != store.RunFinished && r.Status != store.RunFailed {
			continue
		}
		trs, err := st.TargetResults(ctx, r.ID)
		if err != nil {
			return 0, 0, err
		}
		if len(trs) == 0 {
			continue // a tick claimed by another run did nothing
		}
		total += r.Finished.Sub(r.Started)
		n++
	}
	if n == 0 {
		return 0, 0, nil
	}
	return total / time.Duration(n), n, nil
}
