package serve

import (
	"math"
	"testing"
	"time"

	"github.com/sagesaver/sagesaver/internal/resource"
)

// TestThinnedHistory checks that eight days of five-minute points reach a
// chart as at most maxChartPoints points that keep the first and last
// times, the newest rate exactly, and the average rate over the history.
func TestThinnedHistory(t *testing.T) {
	start := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	var hist []Point
	var sum float64
	for i := range 8 * 24 * 12 {
		rate := float64(i % 7) // uneven, so averaging matters
		sum += rate
		hist = append(hist, Point{
			At:        start.Add(time.Duration(i) * 5 * time.Minute),
			ByKind:    map[resource.Kind]float64{resource.Endpoint: rate},
			Schedules: map[string]ScheduleCount{"office": {Managed: i}},
		})
	}
	got := thinned(hist, maxChartPoints)
	if len(got) > maxChartPoints || len(got) < maxChartPoints/2 {
		t.Fatalf("thinned to %d points, want at most %d (and not far fewer)", len(got), maxChartPoints)
	}
	last := hist[len(hist)-1]
	if g := got[len(got)-1]; !g.At.Equal(last.At) || g.ByKind[resource.Endpoint] != last.ByKind[resource.Endpoint] {
		t.Errorf("newest point %v %v, want %v %v", g.At, g.ByKind, last.At, last.ByKind)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].At.After(got[i-1].At) {
			t.Fatalf("point %d at %v, not after %v", i, got[i].At, got[i-1].At)
		}
	}
	// The mean of the merged points, weighted by how many each stands
	// for, is the mean of the originals.
	var thinSum float64
	prev := -1
	for _, g := range got[:len(got)-1] {
		n := g.Schedules["office"].Managed - prev // Managed is the index of the group's last
		thinSum += g.ByKind[resource.Endpoint] * float64(n)
		prev = g.Schedules["office"].Managed
	}
	thinSum += got[len(got)-1].ByKind[resource.Endpoint]
	if math.Abs(thinSum-sum) > 1e-6 {
		t.Errorf("thinned history sums to %v $/h-points, the original to %v", thinSum, sum)
	}
	if short := hist[:10]; len(thinned(short, maxChartPoints)) != 10 {
		t.Error("a short history was thinned")
	}
}
