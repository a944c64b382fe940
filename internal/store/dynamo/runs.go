package dynamo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sagesaver/sagesaver/internal/store"
)

type runItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	ID         int64  `dynamodbav:"id"`
	Started    string `dynamodbav:"started"`
	Finished   string `dynamodbav:"finished,omitempty"`
	Command    string `dynamodbav:"command,omitempty"`
	DryRun     bool   `dynamodbav:"dry_run"`
	OSUser     string `dynamodbav:"os_user,omitempty"`
	CallerARN  string `dynamodbav:"caller_arn,omitempty"`
	PolicyFile string `dynamodbav:"policy_file,omitempty"`
	PolicyHash string `dynamodbav:"policy_hash,omitempty"`
	PID        int    `dynamodbav:"pid"`
	Host       string `dynamodbav:"host,omitempty"`
	Heartbeat  string `dynamodbav:"heartbeat"`
	Status     string `dynamodbav:"status"`
	Error      string `dynamodbav:"error,omitempty"`
	// Tick is a tick's scheduled time, absent for other runs.
	Tick string `dynamodbav:"tick,omitempty"`
}

func (it runItem) run() (store.Run, error) {
	r := store.Run{
		ID: it.ID,
		RunInfo: store.RunInfo{Command: it.Command, DryRun: it.DryRun, OSUser: it.OSUser, CallerARN: it.CallerARN,
			PolicyFile: it.PolicyFile, PolicyHash: it.PolicyHash},
		Status: store.RunStatus(it.Status), Error: it.Error, PID: it.PID, Host: it.Host,
	}
	var err error
	if r.Started, err = parseTime(it.Started); err != nil {
		return store.Run{}, err
	}
	if r.Heartbeat, err = parseTime(it.Heartbeat); err != nil {
		return store.Run{}, err
	}
	if r.Finished, err = parseTimePtr(it.Finished); err != nil {
		return store.Run{}, err
	}
	if it.Tick != "" {
		if r.Tick, err = parseTime(it.Tick); err != nil {
			return store.Run{}, err
		}
	}
	return r, nil
}

// indexItem is an entry of an index partition (running, started): its
// sort key is the id it indexes.
type indexItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
}

// StartRun records a new run. The running index entry is written first:
// one without its run (a crash in between) is dropped by Recover, while a
// running run missing from the index would never be recovered.
func (s *Store) StartRun(ctx context.Context, info store.RunInfo) (store.Run, error) {
	now := s.now()
	id, err := s.nextID(ctx, "run")
	if err != nil {
		return store.Run{}, fmt.Errorf("start run: %w", err)
	}
	if err := s.put(ctx, indexItem{PK: "running", SK: idKey(id)}, "", nil); err != nil {
		return store.Run{}, fmt.Errorf("start run: %w", err)
	}
	it := runItem{PK: "run", SK: idKey(id), ID: id, Started: fmtTime(now), Command: info.Command, DryRun: info.DryRun,
		OSUser: info.OSUser, CallerARN: info.CallerARN, PolicyFile: info.PolicyFile, PolicyHash: info.PolicyHash,
		PID: s.pid, Host: s.host, Heartbeat: fmtTime(now), Status: string(store.RunRunning)}
	if !info.Tick.IsZero() {
		it.Tick = fmtTime(info.Tick)
	}
	if err := s.put(ctx, it, "attribute_not_exists(pk)", nil); err != nil {
		return store.Run{}, fmt.Errorf("start run: %w", err)
	}
	return it.run()
}

// beat refreshes run id's heartbeat if it is running.
func (s *Store) beat(ctx context.Context, id int64, now time.Time) error {
	_, err := s.update(ctx, "run", idKey(id), "SET heartbeat = :now", "#status = :running",
		item{":now": str(fmtTime(now)), ":running": str(string(store.RunRunning))}, map[string]string{"#status": "status"})
	if condFailed(err) {
		return fmt.Errorf("run %d: %w", id, store.ErrNotRunning)
	}
	return err
}

// Heartbeat refreshes run id's heartbeat (only while it is running), then
// extends each claim it holds, one conditional write per claim.
func (s *Store) Heartbeat(ctx context.Context, id int64) error {
	now := s.now()
	if err := s.beat(ctx, id, now); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	claims, err := s.claimsOf(ctx, id)
	if err != nil {
		return fmt.Errorf("heartbeat run %d: %w", id, err)
	}
	exp := now.Add(s.lease)
	for _, c := range claims {
		_, err := s.update(ctx, "claim", c.SK, "SET expires_at = :exp, #ttl = :ttl", "run_id = :id",
			item{":exp": str(fmtTime(exp)), ":ttl": num(exp.Add(ttlAfter).Unix()), ":id": num(id)},
			map[string]string{"#ttl": "ttl"})
		if err != nil && !condFailed(err) { // a failed condition: taken over meanwhile
			return fmt.Errorf("heartbeat run %d: %w", id, err)
		}
	}
	return nil
}

// FinishRun records the end of run id, then drops it from the running
// index and releases its claims (a claim a crash left behind is free to
// take: its run is not running).
func (s *Store) FinishRun(ctx context.Context, id int64, runErr error) error {
	status, msg := store.RunFinished, ""
	if runErr != nil {
		status, msg = store.RunFailed, runErr.Error()
	}
	_, err := s.update(ctx, "run", idKey(id), "SET finished = :now, #status = :status, #error = :msg", "attribute_exists(pk)",
		item{":now": str(fmtTime(s.now())), ":status": str(string(status)), ":msg": str(msg)},
		map[string]string{"#status": "status", "#error": "error"})
	if condFailed(err) {
		return fmt.Errorf("finish run %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	if err := s.releaseAll(ctx, id); err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	if err := s.del(ctx, "running", idKey(id), "", nil); err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	return nil
}

// Run returns run id, or ErrNotFound.
func (s *Store) Run(ctx context.Context, id int64) (store.Run, error) {
	var it runItem
	found, err := s.get(ctx, "run", idKey(id), &it)
	if err != nil {
		return store.Run{}, fmt.Errorf("run %d: %w", id, err)
	}
	if !found {
		return store.Run{}, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	return it.run()
}

// Runs returns the latest limit runs, newest first (all when limit <= 0).
func (s *Store) Runs(ctx context.Context, limit int) ([]store.Run, error) {
	var out []store.Run
	err := s.each(ctx, query{pk: "run", desc: true}, func(it item) (bool, error) {
		var ri runItem
		if err := unmarshal(it, &ri); err != nil {
			return false, err
		}
		r, err := ri.run()
		if err != nil {
			return false, err
		}
		out = append(out, r)
		return limit <= 0 || len(out) < limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// alive reports whether r still counts as running at now: status running
// and a heartbeat within the lease. Unlike SQLite on one host, the lease
// alone decides: the runs sharing a table run on many hosts (Lambda,
// containers) whose process ids say nothing here.
func (s *Store) alive(r store.Run, now time.Time) bool {
	return r.Live(now, s.lease)
}

// Recover abandons each running run whose heartbeat is older than the
// lease, with a write conditional on the heartbeat it read (a run that
// beat meanwhile is alive), releases its claims, and lists every started
// action of a run that is not running.
func (s *Store) Recover(ctx context.Context) (store.Recovery, error) {
	var rec store.Recovery
	now := s.now()
	running, err := all[indexItem](ctx, s, query{pk: "running"})
	if err != nil {
		return store.Recovery{}, fmt.Errorf("recover runs: %w", err)
	}
	for _, ix := range running {
		var it runItem
		found, err := s.get(ctx, "run", ix.SK, &it)
		if err != nil {
			return store.Recovery{}, fmt.Errorf("recover runs: %w", err)
		}
		if !found {
			// A StartRun that died between its two writes, or one in
			// progress: its id will not be used by another run.
			continue
		}
		r, err := it.run()
		if err != nil {
			return store.Recovery{}, fmt.Errorf("recover runs: %w", err)
		}
		if s.alive(r, now) {
			continue
		}
		if r.Status == store.RunRunning {
			_, err := s.update(ctx, "run", ix.SK, "SET #status = :abandoned, #error = :msg", "#status = :running AND heartbeat = :hb",
				item{":abandoned": str(string(store.RunAbandoned)), ":running": str(string(store.RunRunning)),
					":hb": str(it.Heartbeat), ":msg": str("process ended without finishing (found by run recovery at " + fmtTime(now) + ")")},
				map[string]string{"#status": "status", "#error": "error"})
			if condFailed(err) {
				continue // it beat, or finished, or another Recover got it
			}
			if err != nil {
				return store.Recovery{}, fmt.Errorf("recover runs: %w", err)
			}
			r.Status = store.RunAbandoned
			rec.Abandoned = append(rec.Abandoned, r)
		}
		// Not running (abandoned now, or a FinishRun that died before
		// cleaning up): release its claims and drop it from the index.
		if err := s.releaseAll(ctx, r.ID); err != nil {
			return store.Recovery{}, fmt.Errorf("recover runs: %w", err)
		}
		if err := s.del(ctx, "running", ix.SK, "", nil); err != nil {
			return store.Recovery{}, fmt.Errorf("recover runs: %w", err)
		}
	}
	rec.Interrupted, err = s.interrupted(ctx)
	if err != nil {
		return store.Recovery{}, fmt.Errorf("recover runs: %w", err)
	}
	sort.Slice(rec.Abandoned, func(i, j int) bool { return rec.Abandoned[i].ID < rec.Abandoned[j].ID })
	return rec, nil
}

// runStatus reads run id's status through cache (one read per run per
// call); a run that does not exist is not running.
func (s *Store) runStatus(ctx context.Context, id int64, cache map[int64]store.RunStatus) (store.RunStatus, error) {
	if st, ok := cache[id]; ok {
		return st, nil
	}
	var it runItem
	found, err := s.get(ctx, "run", idKey(id), &it)
	if err != nil {
		return "", err
	}
	st := store.RunStatus(it.Status)
	if !found {
		st = ""
	}
	cache[id] = st
	return st, nil
}
