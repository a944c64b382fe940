package testutil

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// PeakHeap collects garbage, then samples the heap's objects every 5 ms
// until the returned stop is called, which returns the peak in MB: for
// benchmarks that report memory held while parsing (b.ReportMetric(stop(),
// "MB-peak")). Garbage not yet collected counts, so it is an upper bound
// of the live heap.
func PeakHeap() (stop func() float64) {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() float64 {
		close(done)
		<-finished
		return float64(peak.Load()) / (1 << 20)
	}
}
