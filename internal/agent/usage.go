package agent

import (
	"math"
	"time"

	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
)

// UsageWindow is how far back a usage summary reaches: past it, the
// summary starts again, so that it describes how the machine is used now.
const UsageWindow = 14 * 24 * time.Hour

// usageMinShare is the share of an hour the agent must have watched for the
// hour to count: a machine that booted at 09:50 says little about 09:00.
const usageMinShare = 0.5

// Usage is the usage summary the agent publishes (agenttag.Usage) and the
// hour it is measuring.
type Usage struct {
	agenttag.UsageSummary

	Hour    time.Time `json:"hour,omitzero"`
	Polls   int       `json:"polls,omitempty"`  // polls in the hour
	CPUSum  float64   `json:"cpuSum,omitempty"` // percent of one core, summed over readings
	CPUN    int       `json:"cpuN,omitempty"`
	MemMax  float64   `json:"memMax,omitempty"`  // GiB
	GPUSums []float64 `json:"gpuSums,omitempty"` // percent, per GPU, summed over readings
	GPUN    int       `json:"gpuN,omitempty"`
}

// add folds one poll's readings (CPU in percent of one core, memory in
// use in GiB, GPU utilizations in percent) into the hour being measured,
// closing the previous hour first when at has moved past it.
func (u *Usage) add(at time.Time, poll time.Duration, cpu float64, cpuKnown bool, mem float64, memKnown bool, gpus []int) {
	hour := at.UTC().Truncate(time.Hour)
	if !u.Hour.Equal(hour) {
		u.close(poll)
		u.Hour, u.Polls, u.CPUSum, u.CPUN, u.MemMax, u.GPUSums, u.GPUN = hour, 0, 0, 0, 0, nil, 0
	}
	u.Polls++
	if memKnown {
		u.MemMax = max(u.MemMax, mem)
	}
	if cpuKnown {
		u.CPUSum += cpu
		u.CPUN++
	}
	if len(gpus) > 0 {
		for len(u.GPUSums) < len(gpus) {
			u.GPUSums = append(u.GPUSums, 0)
		}
		for i, g := range gpus {
			u.GPUSums[i] += float64(g)
		}
		u.GPUN++
	}
}

// close counts the hour being measured when at least usageMinShare of it
// was watched, starting a new summary when the current one is older than
// UsageWindow.
func (u *Usage) close(poll time.Duration) {
	if u.Hour.IsZero() || poll <= 0 || float64(u.Polls) < usageMinShare*float64(time.Hour/poll) {
		return
	}
	s := &u.UsageSummary
	if s.Hours == 0 || u.Hour.Sub(s.Since) >= UsageWindow {
		*s = agenttag.UsageSummary{Since: u.Hour}
	}
	s.Hours++
	s.MemPeak = max(s.MemPeak, math.Round(u.MemMax*10)/10)
	if u.CPUN > 0 {
		// Percent of one core to cores, to a tenth.
		s.CPUPeak = max(s.CPUPeak, math.Round(u.CPUSum/float64(u.CPUN)/10)/10)
	}
	if u.GPUN > 0 {
		s.GPUs = max(s.GPUs, len(u.GPUSums))
		for _, sum := range u.GPUSums {
			s.GPUPeak = max(s.GPUPeak, int(sum/float64(u.GPUN)+0.5))
		}
	}
}
