package metrics

import (
	"context"
	"errors"

	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// CanvasWindow is the window Canvas reads: the last idle.CanvasWindow
// ending at the window end's minute, one datapoint a minute (15 x 500
// queries stay far within one page).
func CanvasWindow(w Window) Window {
	end := w.End.UTC().Truncate(idle.CanvasPeriod)
	return Window{Start: end.Add(-idle.CanvasWindow), End: end, Period: idle.CanvasPeriod}
}

// Canvas fetches the TimeSinceLastActive evidence of many Canvas apps of
// one account and region (idle.CanvasQuery each), in the same shared
// GetMetricData batches as every other query: N apps cost N/500 calls.
// apps maps an app's ID to its inventory record; the answer has the same
// keys. An app whose record names no user is answered with an error.
func (f *Fetcher) Canvas(ctx context.Context, w Window, apps map[resource.ID]resource.Resource) map[resource.ID]idle.CanvasEvidence {
	out := make(map[resource.ID]idle.CanvasEvidence, len(apps))
	var keys []resource.ID
	var qs []Query
	for key, r := range apps {
		q, ok := idle.CanvasQuery(r)
		if !ok {
			out[key] = idle.CanvasEvidence{Start: w.Start, End: w.End, Err: errors.New("Canvas app record names no domain and user")}
			continue
		}
		keys = append(keys, key)
		qs = append(qs, fromIdle(q))
	}
	for i, r := range f.Fetch(ctx, w, qs) {
		ev := idle.CanvasEvidence{Start: w.Start, End: w.End, Complete: r.Complete, Err: r.Err}
		if n := len(r.Timestamps); n > 0 {
			ev.Latest, ev.Seconds = r.Timestamps[n-1], r.Values[n-1]
		}
		out[keys[i]] = ev
	}
	return out
}
