package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// Store is sagesaver's state: the one contract every backend implements
// (SQLite today, see Open; DynamoDB next) and every caller (the executor,
// the scheduler, the CLI) depends on. Its behaviour is specified by the
// contract suite in internal/store/storetest, which every backend passes;
// docs/state.md says what a backend must guarantee.
//
// Each correctness rule is one conditional change of one record, so that a
// backend without transactions (DynamoDB, one item per record) can keep it
// with a single-item conditional write: a per-resource claim (Claim), an
// action's intent then outcome (BeginAction, FinishAction), an idle streak
// (ObserveIdle), a snapshot written before the delete it undoes
// (SaveSnapshot), a ledger period opened and closed (StartSaving,
// StopSaving), a notice claimed and sent (ClaimNotices, NoticesSent), a
// tick claimed (ClaimTick), a target's result (RecordTarget), a blob
// (PutBlob).
// Methods that touch several records (Heartbeat, FinishRun, Recover,
// AddFindings, AddNotices) are correct record by record: a crash between
// two records leaves a state the next Recover or call repairs.
//
// Times are kept to the nanosecond in UTC; amounts exactly (pricing.Money).
// Ids are positive, unique per kind of record and increasing in creation
// order. Every method is safe for concurrent use, from goroutines and from
// processes sharing the state. Errors wrap ErrNotFound, ErrNotRunning,
// ErrClaimed (a *ClaimedError), ErrTickClaimed (a *TickClaimedError) and
// ErrAlreadySaving where documented, so
// callers act on them with errors.Is.
type Store interface {
	// StartRun records a new run of this process, status RunRunning, with
	// Started and Heartbeat now, and returns it with its new id.
	StartRun(ctx context.Context, info RunInfo) (Run, error)
	// Heartbeat says run id is alive: its heartbeat becomes now and every
	// claim it holds expires a lease from now. It returns ErrNotRunning
	// for a run that is not running (finished, or abandoned by Recover).
	Heartbeat(ctx context.Context, id int64) error
	// FinishRun ends run id: RunFinished when runErr is nil, RunFailed with
	// runErr's message otherwise; Finished is now and the run's claims are
	// released.
	FinishRun(ctx context.Context, id int64, runErr error) error
	// Run returns run id, or an error wrapping ErrNotFound.
	Run(ctx context.Context, id int64) (Run, error)
	// Runs returns the latest limit runs, newest first (all when limit <= 0).
	Runs(ctx context.Context, limit int) ([]Run, error)
	// Recover marks abandoned every running run that is no longer alive
	// (its heartbeat is older than the lease, or its process is known to be
	// gone), releases their claims, and returns them with every action
	// still ResultStarted of a run that is not running, oldest first. A
	// live run is left alone.
	Recover(ctx context.Context) (Recovery, error)

	// Claim takes res for run id before it acts with action, for a lease.
	// It succeeds when nobody holds res, when run id does (the lease is
	// renewed), or when the holder is no longer alive (finished, abandoned,
	// process gone, or lease expired). Otherwise it returns a *ClaimedError
	// naming the holder. Of any number of runs claiming res at once, in
	// goroutines or processes, exactly one wins. Claiming refreshes run
	// id's heartbeat; a run that is not running gets ErrNotRunning and
	// takes nothing. A tick leases a target (an account in a region) the
	// same way, claiming resource.TargetID(account, region).
	Claim(ctx context.Context, id int64, res resource.ID, action string) error
	// Release gives up run id's claim on res; no error when it holds none,
	// and another run's claim is left alone.
	Release(ctx context.Context, id int64, res resource.ID) error
	// Claims lists the recorded claims, live or not yet recovered, by
	// resource.
	Claims(ctx context.Context) ([]ClaimInfo, error)

	// BeginAction records action a as ResultStarted, before the AWS call,
	// and returns its id: the intent is durable when it returns. Started
	// defaults to now.
	BeginAction(ctx context.Context, a Action) (int64, error)
	// RecordAction records an action that is already over (a dry run, a
	// skip, a notification) and returns its id. a.Result must be ok,
	// failed or skipped; Finished defaults to now, Started to now.
	// Details, when set, must be a JSON object.
	RecordAction(ctx context.Context, a Action) (int64, error)
	// FinishAction closes started action id: ResultOK when actErr is nil,
	// ResultFailed with its message otherwise, Finished now; details, when
	// not nil, replace the stored ones. Only a started action can be
	// finished, once: otherwise an error wrapping ErrNotFound.
	FinishAction(ctx context.Context, id int64, actErr error, details json.RawMessage) error
	// ResolveInterrupted closes started action id that a dead run left,
	// with result (not ResultStarted) and Error "interrupted; "+note. The
	// same once-only rule as FinishAction holds.
	ResolveInterrupted(ctx context.Context, id int64, result Result, note string) error
	// Actions returns the audit log entries f selects, newest first.
	Actions(ctx context.Context, f ActionFilter) ([]Action, error)
	// Action returns action id, or an error wrapping ErrNotFound.
	Action(ctx context.Context, id int64) (Action, error)

	// AddFindings records a run's findings; all are visible once it
	// returns.
	AddFindings(ctx context.Context, runID int64, fs []Finding) error
	// Findings returns run runID's findings in the order recorded.
	Findings(ctx context.Context, runID int64) ([]Finding, error)

	// StartSaving opens a savings period for res from from, at hourly (its
	// estimate flag kept), linked to action actionID (0: none), and returns
	// its id. A resource has at most one open period: a second returns
	// ErrAlreadySaving, also when two callers race. An unknown hourly is an
	// error (an unknown saving is not $0).
	StartSaving(ctx context.Context, res resource.ID, actionID int64, hourly pricing.Price, from time.Time) (int64, error)
	// StopSaving closes res's open period at until (never before its From)
	// and reports whether one was open.
	StopSaving(ctx context.Context, res resource.ID, until time.Time) (bool, error)
	// Savings returns the whole ledger, oldest first, amounts exact.
	Savings(ctx context.Context) ([]SavingPeriod, error)

	// AddNotices queues notices, unsent; all are visible once it returns.
	// Destination and Item must be JSON.
	AddNotices(ctx context.Context, ns []Notice) error
	// ClaimNotices claims for run every unsent notice whose Key starts with
	// prefix, queued by run itself or by a run that is not running, and
	// not claimed by another running run; it returns them oldest first.
	// Two running runs never hold the same notice.
	ClaimNotices(ctx context.Context, run int64, prefix string) ([]Notice, error)
	// NoticesSent records that the destination accepted notices ids: they
	// are sent (SentAt now) and never claimed again.
	NoticesSent(ctx context.Context, ids []int64) error
	// NoticesFailed records a failed delivery of notices ids: Attempts
	// grows by one, LastError is msg, and they stay unsent for a later run.
	NoticesFailed(ctx context.Context, ids []int64, msg string) error
	// UnsentNotices returns every notice not sent yet, oldest first.
	UnsentNotices(ctx context.Context) ([]Notice, error)

	// ScheduleMemory returns what was remembered for res under schedule,
	// or nil when nothing was.
	ScheduleMemory(ctx context.Context, schedule string, res resource.ID) (json.RawMessage, error)
	// PutScheduleMemory replaces what is remembered for res under
	// schedule; it is durable when it returns.
	PutScheduleMemory(ctx context.Context, schedule string, res resource.ID, memory json.RawMessage) error

	// ObserveIdle records that res was idle over [from, to] and returns the
	// start of its idle streak: a window that overlaps or touches the
	// streak extends it, one that starts after the streak's end starts a
	// new one at from.
	ObserveIdle(ctx context.Context, res resource.ID, from, to time.Time) (time.Time, error)
	// ResetIdle forgets res's idle streak (it was seen active).
	ResetIdle(ctx context.Context, res resource.ID) error
	// IdleSince returns every idle streak, by resource.
	IdleSince(ctx context.Context) (map[resource.ID]IdleRecord, error)

	// PutMark records m and reports whether it was new: an existing mark
	// for the same resource and rule is kept unchanged (marking again never
	// restarts or shortens the grace).
	PutMark(ctx context.Context, m Mark) (bool, error)
	// DeleteMark removes res's mark for rule; no error when there is none.
	DeleteMark(ctx context.Context, res resource.ID, rule string) error
	// Marks returns every mark, by resource then rule.
	Marks(ctx context.Context) ([]Mark, error)

	// SaveSnapshot records snap (TakenAt defaults to now) and returns its
	// id; it is durable when it returns, so the executor deletes an
	// endpoint only after it. Scaling and EndpointConfig must be JSON.
	SaveSnapshot(ctx context.Context, snap EndpointSnapshot) (int64, error)
	// LatestSnapshot returns the newest snapshot of endpoint ep not yet
	// restored, or an error wrapping ErrNotFound.
	LatestSnapshot(ctx context.Context, ep resource.ID) (EndpointSnapshot, error)
	// MarkRestored records that snapshot id re-created its endpoint at at;
	// a snapshot is restored once: otherwise an error wrapping ErrNotFound.
	MarkRestored(ctx context.Context, id int64, at time.Time) error
	// SetSnapshotSteps replaces the restore steps done so far on snapshot
	// id, not restored yet (otherwise an error wrapping ErrNotFound).
	SetSnapshotSteps(ctx context.Context, id int64, steps []string) error

	// ClaimTick records that run holds the tick scheduled at at (UTC, to
	// the second: TickTime(at)). The first claim of a time wins for ever;
	// any later claim of the same time by another run gets a
	// *TickClaimedError naming the holder (errors.Is(err,
	// ErrTickClaimed)), also after the holder finished. The holder
	// claiming again succeeds (a retried write). Of any number of runs
	// claiming one time at once, exactly one wins.
	ClaimTick(ctx context.Context, run int64, at time.Time) error
	// TickHolder returns the run that holds the tick scheduled at at
	// (TickTime(at)), or ErrNotFound when no run claimed it. It writes
	// nothing: a run that lost ClaimTick did not run that tick.
	TickHolder(ctx context.Context, at time.Time) (int64, error)
	// RecordTarget stores (replaces) the result of one target of run, the
	// one of r's Account and Region (both required).
	RecordTarget(ctx context.Context, run int64, r TargetResult) error
	// TargetResults returns run's target results, by account then region.
	TargetResults(ctx context.Context, run int64) ([]TargetResult, error)

	// PutBlob stores value under (kind, key), both not empty, replacing
	// it; it is durable when it returns. Values may be large (an
	// account's inventory, megabytes): a backend with an item limit
	// compresses or splits them.
	PutBlob(ctx context.Context, kind, key string, value []byte) error
	// Blob returns the value under (kind, key) with the time it was put
	// (now at PutBlob), or an error wrapping ErrNotFound.
	Blob(ctx context.Context, kind, key string) ([]byte, time.Time, error)
	// BlobKeys lists the keys of kind starting with prefix (all when
	// prefix is ""), sorted by their bytes.
	BlobKeys(ctx context.Context, kind, prefix string) ([]string, error)
	// DeleteBlob removes the value under (kind, key); no error when there
	// is none.
	DeleteBlob(ctx context.Context, kind, key string) error

	// Close releases the backend's resources; the Store is not used after.
	Close() error
}

// SQLite is a Store.
var _ Store = (*SQLite)(nil)

// RealizedSavings is the sum of SavingPeriod.Realized over st's whole
// ledger at now: a known price, an estimate when any period's is.
func RealizedSavings(ctx context.Context, st Store, now time.Time) (pricing.Price, error) {
	ps, err := st.Savings(ctx)
	if err != nil {
		return pricing.Unknown, err
	}
	total := pricing.Price{Known: true}
	for _, p := range ps {
		total.Amount = total.Amount.Add(p.Realized(now))
		total.Estimate = total.Estimate || p.Estimate
	}
	return total, nil
}
