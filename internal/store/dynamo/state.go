package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

type idleItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	FirstIdle string `dynamodbav:"first_idle"`
	LastSeen  string `dynamodbav:"last_seen"`
}

// ObserveIdle extends or restarts res's streak: a put conditional on the
// streak being as read (absent, or the same first_idle and last_seen).
func (s *Store) ObserveIdle(ctx context.Context, res resource.ID, from, to time.Time) (time.Time, error) {
	k := res.String()
	f, t := fmtTime(from), fmtTime(to)
	for attempt := 0; attempt <= maxRetries; attempt++ {
		var old idleItem
		found, err := s.get(ctx, "idle", k, &old)
		if err != nil {
			return time.Time{}, fmt.Errorf("observe idle %s: %w", res, err)
		}
		next := idleItem{PK: "idle", SK: k, FirstIdle: f, LastSeen: t}
		cond, vals := "attribute_not_exists(pk)", item(nil)
		if found {
			if old.LastSeen >= f { // overlaps or touches: extends
				next.FirstIdle, next.LastSeen = min(old.FirstIdle, f), max(old.LastSeen, t)
			}
			cond = "first_idle = :first AND last_seen = :last"
			vals = item{":first": str(old.FirstIdle), ":last": str(old.LastSeen)}
		}
		err = s.put(ctx, next, cond, vals)
		if err == nil {
			return parseTime(next.FirstIdle)
		}
		if !condFailed(err) {
			return time.Time{}, fmt.Errorf("observe idle %s: %w", res, err)
		}
	}
	return time.Time{}, fmt.Errorf("observe idle %s: the streak kept changing", res)
}

// ResetIdle forgets res's streak.
func (s *Store) ResetIdle(ctx context.Context, res resource.ID) error {
	// Every pass resets the streak of every busy endpoint, most of which
	// have none: a delete is billed a write unit even when there is
	// nothing to delete, the read that spares it a fifth of that. A
	// streak begun meanwhile by another pass is reset by the next one.
	var old idleItem
	found, err := s.get(ctx, "idle", res.String(), &old)
	if err != nil {
		return fmt.Errorf("reset idle %s: %w", res, err)
	}
	if !found {
		return nil
	}
	if err := s.del(ctx, "idle", res.String(), "", nil); err != nil {
		return fmt.Errorf("reset idle %s: %w", res, err)
	}
	return nil
}

// IdleSince returns every idle streak, by resource.
func (s *Store) IdleSince(ctx context.Context) (map[resource.ID]store.IdleRecord, error) {
	items, err := all[idleItem](ctx, s, query{pk: "idle"})
	if err != nil {
		return nil, fmt.Errorf("idle since: %w", err)
	}
	out := make(map[resource.ID]store.IdleRecord, len(items))
	for _, it := range items {
		r := store.IdleRecord{}
		if r.Resource, err = resource.ParseID(it.SK); err != nil {
			return nil, fmt.Errorf("idle since: %w", err)
		}
		if r.FirstIdle, err = parseTime(it.FirstIdle); err != nil {
			return nil, err
		}
		if r.LastSeen, err = parseTime(it.LastSeen); err != nil {
			return nil, err
		}
		out[r.Resource] = r
	}
	return out, nil
}

type markItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Resource string `dynamodbav:"resource"`
	Rule     string `dynamodbav:"rule"`
	MarkedAt string `dynamodbav:"marked_at"`
	ActAfter string `dynamodbav:"act_after"`
	RunID    int64  `dynamodbav:"run_id,omitempty"`
}

// markKey is a mark's sort key: the pair [resource, rule].
func markKey(res resource.ID, rule string) string { return pairKey(res.String(), rule) }

// PutMark records m if there is no mark for its resource and rule: a put
// conditional on absence.
func (s *Store) PutMark(ctx context.Context, m store.Mark) (bool, error) {
	it := markItem{PK: "mark", SK: markKey(m.Resource, m.Rule), Resource: m.Resource.String(), Rule: m.Rule,
		MarkedAt: fmtTime(m.MarkedAt), ActAfter: fmtTime(m.ActAfter), RunID: m.RunID}
	err := s.put(ctx, it, "attribute_not_exists(pk)", nil)
	if condFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark %s: %w", m.Resource, err)
	}
	return true, nil
}

// DeleteMark removes res's mark for rule.
func (s *Store) DeleteMark(ctx context.Context, res resource.ID, rule string) error {
	if err := s.del(ctx, "mark", markKey(res, rule), "", nil); err != nil {
		return fmt.Errorf("unmark %s: %w", res, err)
	}
	return nil
}

// Marks returns every mark, by resource then rule.
func (s *Store) Marks(ctx context.Context) ([]store.Mark, error) {
	items, err := all[markItem](ctx, s, query{pk: "mark"})
	if err != nil {
		return nil, fmt.Errorf("list marks: %w", err)
	}
	out := make([]store.Mark, 0, len(items))
	for _, it := range items {
		m := store.Mark{Rule: it.Rule, RunID: it.RunID}
		if m.Resource, err = resource.ParseID(it.Resource); err != nil {
			return nil, fmt.Errorf("list marks: %w", err)
		}
		if m.MarkedAt, err = parseTime(it.MarkedAt); err != nil {
			return nil, err
		}
		if m.ActAfter, err = parseTime(it.ActAfter); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Resource.String(), out[j].Resource.String()
		if a != b {
			return a < b
		}
		return out[i].Rule < out[j].Rule
	})
	return out, nil
}

type memoryItem struct {
	PK      string `dynamodbav:"pk"`
	SK      string `dynamodbav:"sk"`
	Memory  string `dynamodbav:"memory"`
	Updated string `dynamodbav:"updated"`
}

func memoryPK(schedule string) string { return "schedule#" + schedule }

// ScheduleMemory returns what was remembered for res under schedule, or
// nil.
func (s *Store) ScheduleMemory(ctx context.Context, schedule string, res resource.ID) (json.RawMessage, error) {
	var it memoryItem
	found, err := s.get(ctx, memoryPK(schedule), res.String(), &it)
	if err != nil {
		return nil, fmt.Errorf("schedule memory %s %s: %w", schedule, res, err)
	}
	if !found {
		return nil, nil
	}
	return json.RawMessage(it.Memory), nil
}

// PutScheduleMemory replaces what is remembered for res under schedule.
func (s *Store) PutScheduleMemory(ctx context.Context, schedule string, res resource.ID, memory json.RawMessage) error {
	it := memoryItem{PK: memoryPK(schedule), SK: res.String(), Memory: string(memory), Updated: fmtTime(s.now())}
	if err := s.put(ctx, it, "", nil); err != nil {
		return fmt.Errorf("put schedule memory %s %s: %w", schedule, res, err)
	}
	return nil
}

// snapshotPointer says which endpoint snapshot id is of, so that
// MarkRestored and SetSnapshotSteps find it by id.
type snapshotPointer struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Endpoint string `dynamodbav:"endpoint"`
}

type snapshotItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	ID         int64  `dynamodbav:"id"`
	ActionID   int64  `dynamodbav:"action_id,omitempty"`
	Account    string `dynamodbav:"account"`
	Region     string `dynamodbav:"region"`
	Endpoint   string `dynamodbav:"endpoint"`
	Config     string `dynamodbav:"config_name,omitempty"`
	Steps      string `dynamodbav:"restore_steps"`
	TakenAt    string `dynamodbav:"taken_at"`
	RestoredAt string `dynamodbav:"restored_at,omitempty"`
	value
}

// snapshotBody is what a snapshot keeps compressed: the documents that
// may be large.
type snapshotBody struct {
	Tags           map[string]string `json:"tags"`
	Scaling        json.RawMessage   `json:"scaling"`
	EndpointConfig json.RawMessage   `json:"endpoint_config"`
}

func endpointKey(account, region, endpoint string) string {
	return account + "/" + region + "/" + endpoint
}

func snapshotPK(ep string) string { return "snapshot#" + ep }

func snapshotOwner(id int64) string { return "snapshot#" + idKey(id) }

// SaveSnapshot records snap: the pointer by id first, then any chunks,
// then the snapshot item, which makes it durable.
func (s *Store) SaveSnapshot(ctx context.Context, snap store.EndpointSnapshot) (int64, error) {
	if snap.TakenAt.IsZero() {
		snap.TakenAt = s.now()
	}
	body := snapshotBody{Tags: snap.Tags, Scaling: snap.Scaling, EndpointConfig: snap.EndpointConfig}
	if body.Tags == nil {
		body.Tags = map[string]string{}
	}
	if len(body.Scaling) == 0 {
		body.Scaling = json.RawMessage("{}")
	}
	if !json.Valid(body.Scaling) {
		return 0, fmt.Errorf("snapshot endpoint %s: scaling is not JSON", snap.Endpoint)
	}
	if len(body.EndpointConfig) == 0 {
		body.EndpointConfig = json.RawMessage("{}")
	}
	if !json.Valid(body.EndpointConfig) {
		return 0, fmt.Errorf("snapshot endpoint %s: endpoint config is not JSON", snap.Endpoint)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return 0, fmt.Errorf("snapshot endpoint %s: %w", snap.Endpoint, err)
	}
	steps, err := json.Marshal(append([]string{}, snap.Steps...))
	if err != nil {
		return 0, err
	}
	id, err := s.nextID(ctx, "snapshot")
	if err != nil {
		return 0, fmt.Errorf("snapshot endpoint %s: %w", snap.Endpoint, err)
	}
	ep := endpointKey(snap.Account, snap.Region, snap.Endpoint)
	if err := s.put(ctx, snapshotPointer{PK: "snapshot", SK: idKey(id), Endpoint: ep}, "", nil); err != nil {
		return 0, fmt.Errorf("snapshot endpoint %s: %w", snap.Endpoint, err)
	}
	v, err := s.writeValue(ctx, snapshotOwner(id), data)
	if err != nil {
		return 0, fmt.Errorf("snapshot endpoint %s: %w", snap.Endpoint, err)
	}
	it := snapshotItem{PK: snapshotPK(ep), SK: idKey(id), ID: id, ActionID: snap.ActionID, Account: snap.Account,
		Region: snap.Region, Endpoint: snap.Endpoint, Config: snap.Config, Steps: string(steps),
		TakenAt: fmtTime(snap.TakenAt), value: v}
	if err := s.put(ctx, it, "attribute_not_exists(pk)", nil); err != nil {
		return 0, fmt.Errorf("snapshot endpoint %s: %w", snap.Endpoint, err)
	}
	return id, nil
}

// LatestSnapshot returns the newest snapshot of ep not yet restored.
func (s *Store) LatestSnapshot(ctx context.Context, ep resource.ID) (store.EndpointSnapshot, error) {
	var found *snapshotItem
	err := s.each(ctx, query{pk: snapshotPK(endpointKey(ep.Account, ep.Region, ep.Name)), desc: true,
		filter: "attribute_not_exists(restored_at)"}, func(it item) (bool, error) {
		var si snapshotItem
		if err := unmarshal(it, &si); err != nil {
			return false, err
		}
		found = &si
		return false, nil
	})
	if err != nil {
		return store.EndpointSnapshot{}, fmt.Errorf("snapshot of endpoint %s: %w", ep.Name, err)
	}
	if found == nil {
		return store.EndpointSnapshot{}, fmt.Errorf("snapshot of endpoint %s: %w", ep.Name, store.ErrNotFound)
	}
	snap, err := s.snapshot(ctx, *found)
	if err != nil {
		return store.EndpointSnapshot{}, fmt.Errorf("snapshot of endpoint %s: %w", ep.Name, err)
	}
	return snap, nil
}

func (s *Store) snapshot(ctx context.Context, it snapshotItem) (store.EndpointSnapshot, error) {
	data, err := s.readValue(ctx, snapshotOwner(it.ID), it.value)
	if err != nil {
		return store.EndpointSnapshot{}, err
	}
	var body snapshotBody
	if err := json.Unmarshal(data, &body); err != nil {
		return store.EndpointSnapshot{}, fmt.Errorf("stored snapshot %d: %w", it.ID, err)
	}
	snap := store.EndpointSnapshot{ID: it.ID, ActionID: it.ActionID, Account: it.Account, Region: it.Region,
		Endpoint: it.Endpoint, Config: it.Config, Tags: body.Tags, Scaling: body.Scaling, EndpointConfig: body.EndpointConfig}
	if err := json.Unmarshal([]byte(it.Steps), &snap.Steps); err != nil {
		return store.EndpointSnapshot{}, fmt.Errorf("stored snapshot %d: restore steps: %w", it.ID, err)
	}
	if snap.TakenAt, err = parseTime(it.TakenAt); err != nil {
		return store.EndpointSnapshot{}, err
	}
	if snap.RestoredAt, err = parseTimePtr(it.RestoredAt); err != nil {
		return store.EndpointSnapshot{}, err
	}
	return snap, nil
}

// updateSnapshot applies expr to snapshot id while it is not restored;
// otherwise ErrNotFound.
func (s *Store) updateSnapshot(ctx context.Context, id int64, expr string, vals item) error {
	var p snapshotPointer
	found, err := s.get(ctx, "snapshot", idKey(id), &p)
	if err != nil {
		return err
	}
	if !found {
		return store.ErrNotFound
	}
	_, err = s.update(ctx, snapshotPK(p.Endpoint), idKey(id), expr, "attribute_exists(pk) AND attribute_not_exists(restored_at)", vals, nil)
	if condFailed(err) {
		return store.ErrNotFound
	}
	return err
}

// MarkRestored records that snapshot id re-created its endpoint: one
// update conditional on it not being restored.
func (s *Store) MarkRestored(ctx context.Context, id int64, at time.Time) error {
	if err := s.updateSnapshot(ctx, id, "SET restored_at = :at", item{":at": str(fmtTime(at))}); err != nil {
		return fmt.Errorf("mark snapshot %d restored: %w", id, err)
	}
	return nil
}

// SetSnapshotSteps replaces the restore steps of snapshot id, not
// restored yet.
func (s *Store) SetSnapshotSteps(ctx context.Context, id int64, steps []string) error {
	b, err := json.Marshal(append([]string{}, steps...))
	if err != nil {
		return err
	}
	if err := s.updateSnapshot(ctx, id, "SET restore_steps = :steps", item{":steps": str(string(b))}); err != nil {
		return fmt.Errorf("snapshot %d restore steps: %w", id, err)
	}
	return nil
}
