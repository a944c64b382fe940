package emulator

import (
	"fmt"
	"time"
)

// LargeOptions size the generated fleet of LargeScenario. Counts are totals
// over all regions; zero means none of that kind.
type LargeOptions struct {
	Endpoints  int
	Notebooks  int
	StudioApps int
	Jobs       int
	// Regions spreads the fleet round-robin over the first Regions of
	// LargeRegions (1 to len(LargeRegions); 0 means 1).
	Regions int
	// SecondVariantEvery gives every n-th endpoint (i % n == 0) a second
	// production variant, "Canary", with its own Invocations history (0:
	// none). The own-bill benchmark's fleet has 2 variants on a fifth of
	// its endpoints (5).
	SecondVariantEvery int
	// NoMetrics leaves out the metric histories (two per endpoint and
	// notebook-free: Invocations and CPUUtilization; host metrics for
	// training jobs).
	NoMetrics bool
}

// LargeRegions are the regions LargeScenario uses, in order.
var LargeRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "eu-central-1", "ap-northeast-1"}

// IssueScale is the fleet of the emulator's scale target: 10,000
// endpoints, 2,000 notebooks, 500 Studio apps and 1,000 jobs in 4
// regions.
var IssueScale = LargeOptions{Endpoints: 10000, Notebooks: 2000, StudioApps: 500, Jobs: 1000, Regions: 4}

// Fixed variety for the generated fleet. Index i of a resource picks from
// each list by i modulo its length, so the scenario is deterministic.
var (
	largeEndpointTypes = []string{"ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge", "ml.c5.2xlarge", "ml.g4dn.xlarge", "ml.g5.xlarge", "ml.m5.2xlarge", "ml.t2.medium"}
	largeNotebookTypes = []string{"ml.t3.medium", "ml.t3.large", "ml.m5.xlarge", "ml.g4dn.xlarge", "ml.c5.xlarge"}
	largeTrainingTypes = []string{"ml.m5.xlarge", "ml.m5.4xlarge", "ml.c5.2xlarge", "ml.g5.2xlarge", "ml.p3.2xlarge", "ml.g4dn.xlarge"}
	largeAppTypes      = []string{"ml.t3.medium", "ml.t3.large", "ml.m5.xlarge", "ml.g4dn.xlarge", "ml.g5.xlarge"}
	largeTeams         = []string{"growth", "risk", "recs", "search", "vision", "nlp", "platform", "insurance", "support", "research"}
)

// LargeScenario generates a large, deterministic scenario in account
// 123456789012: endpoints (some idle, some busy, with metric histories),
// notebooks (running and stopped), Studio domains with user profiles,
// spaces and apps (some Deleted), and training, processing, transform and
// tuning jobs (some running), spread over o.Regions regions. The
// emulator's memory and load-time figures in docs/emulator.md are for
// IssueScale (see BenchmarkLargeScenario).
func LargeScenario(o LargeOptions) *Scenario {
	nr := o.Regions
	if nr < 1 {
		nr = 1
	}
	if nr > len(LargeRegions) {
		nr = len(LargeRegions)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	regions := make([]RegionScenario, nr)
	region := func(i int) *RegionScenario { return &regions[i%nr] }
	days := func(n int) Age { return Age(fmt.Sprintf("%dd", n)) }
	hours := func(n int) Age { return Age(fmt.Sprintf("%dh", n)) }
	f := func(v float64) *float64 { return &v }
	one := int32(1)

	for i := 0; i < o.Endpoints; i++ {
		rs := region(i)
		name := fmt.Sprintf("ep-%05d", i)
		it := largeEndpointTypes[i%len(largeEndpointTypes)]
		count := one + int32(i%3)
		e := EndpointScenario{
			Name: name,
			Variants: []VariantScenario{{
				Name: "AllTraffic", InstanceType: it, Count: &count,
				Image: fmt.Sprintf("123456789012.dkr.ecr.%s.amazonaws.com/model-%03d:1.%d.0", LargeRegions[i%nr], i%200, i%7),
			}},
			Age:  days(1 + i%400),
			Tags: map[string]string{"team": largeTeams[i%len(largeTeams)], "owner": fmt.Sprintf("user%03d", i%300), "env": []string{"prod", "staging", "dev"}[i%3]},
		}
		second := o.SecondVariantEvery > 0 && i%o.SecondVariantEvery == 0
		if second {
			e.Variants = append(e.Variants, VariantScenario{Name: "Canary", InstanceType: it, Count: &one, Image: e.Variants[0].Image})
		}
		rs.Endpoints = append(rs.Endpoints, e)
		if o.NoMetrics {
			continue
		}
		// One in four endpoints is idle: its last request was 15 days ago.
		if i%4 == 0 {
			rs.Metrics = append(rs.Metrics,
				MetricScenario{Metric: "Invocations", Endpoint: name, Value: f(5), From: "15d", To: "14d"},
				MetricScenario{Metric: "CPUUtilization", Endpoint: name, Value: f(1.5), Noise: 0.3})
			if second {
				rs.Metrics = append(rs.Metrics, MetricScenario{Metric: "Invocations", Endpoint: name, Variant: "Canary", Value: f(1), From: "15d", To: "14d"})
			}
		} else {
			rs.Metrics = append(rs.Metrics,
				MetricScenario{Metric: "Invocations", Endpoint: name, Value: f(float64(50 + i%900)), Swing: 0.5, Noise: 0.2},
				MetricScenario{Metric: "CPUUtilization", Endpoint: name, Value: f(float64(20 + i%60)), Swing: 0.3, Noise: 0.1})
			if second {
				rs.Metrics = append(rs.Metrics, MetricScenario{Metric: "Invocations", Endpoint: name, Variant: "Canary", Value: f(float64(5 + i%90)), Noise: 0.2})
			}
		}
	}

	for i := 0; i < o.Notebooks; i++ {
		rs := region(i)
		status := "InService"
		if i%3 == 0 {
			status = "Stopped"
		}
		rs.Notebooks = append(rs.Notebooks, NotebookScenario{
			Name: fmt.Sprintf("nb-%04d", i), InstanceType: largeNotebookTypes[i%len(largeNotebookTypes)],
			Status: status, Age: days(1 + i%300), LastModified: hours(1 + i%20), VolumeSizeGB: int32(5 + i%50),
			Tags: map[string]string{"team": largeTeams[i%len(largeTeams)], "owner": fmt.Sprintf("user%03d", i%300)},
		})
	}

	if o.StudioApps > 0 {
		for r := 0; r < nr; r++ {
			rs := &regions[r]
			rs.Domains = append(rs.Domains,
				DomainScenario{Name: "studio-idle", Age: "300d", IdleShutdown: &IdleShutdownScenario{Enabled: true, Timeout: "60m", Min: "60m", Max: "240m"}},
				DomainScenario{Name: "studio-legacy", Age: "600d"})
			for u := 0; u < 25; u++ {
				for _, d := range []string{"studio-idle", "studio-legacy"} {
					rs.UserProfiles = append(rs.UserProfiles, UserProfileScenario{Domain: d, Name: fmt.Sprintf("user%02d", u), Age: days(10 + u)})
				}
			}
		}
	}
	for i := 0; i < o.StudioApps; i++ {
		rs := region(i)
		domain := []string{"studio-idle", "studio-legacy"}[(i/nr)%2]
		user := fmt.Sprintf("user%02d", (i/nr/2)%25)
		it := largeAppTypes[i%len(largeAppTypes)]
		a := AppScenario{Domain: domain, InstanceType: it, Age: hours(1 + i%500)}
		switch i % 4 {
		case 0, 1: // JupyterLab or Code Editor in the user's own space
			space := fmt.Sprintf("space-%04d", i)
			appType := []string{"JupyterLab", "CodeEditor"}[i%2]
			rs.Spaces = append(rs.Spaces, SpaceScenario{Domain: domain, Name: space, Owner: user, AppType: appType, InstanceType: it, Age: days(30)})
			a.Space, a.Type = space, appType
		case 2: // Studio Classic kernel gateway
			a.User, a.Type, a.Name = user, "KernelGateway", fmt.Sprintf("datascience-%04d", i)
		case 3:
			a.User, a.Type, a.Name, a.InstanceType = user, "KernelGateway", fmt.Sprintf("pytorch-%04d", i), it
		}
		if i%10 == 9 {
			a.Status, a.Age, a.DeletedAge = "Deleted", days(20), days(5)
		}
		rs.Apps = append(rs.Apps, a)
	}

	for i := 0; i < o.Jobs; i++ {
		rs := region(i)
		it := largeTrainingTypes[i%len(largeTrainingTypes)]
		j := JobScenario{
			InstanceType: it, InstanceCount: int32(1 + i%2), Age: hours(1 + i%720), Duration: hours(1 + i%6),
			Tags: map[string]string{"team": largeTeams[i%len(largeTeams)]},
		}
		switch {
		case i%20 < 14:
			j.Name = fmt.Sprintf("train-%04d", i)
			j.Spot = i%3 == 0
			if !o.NoMetrics {
				j.HostMetrics = map[string]float64{"CPUUtilization": float64(30 + i%60), "GPUUtilization": float64(i % 90)}
			}
			rs.TrainingJobs = append(rs.TrainingJobs, j)
		case i%20 < 17:
			j.Name = fmt.Sprintf("process-%04d", i)
			rs.ProcessingJobs = append(rs.ProcessingJobs, j)
		case i%20 < 19:
			j.Name = fmt.Sprintf("transform-%04d", i)
			rs.TransformJobs = append(rs.TransformJobs, j)
		default:
			j.Name = fmt.Sprintf("tune-%04d", i)
			j.MaxJobs, j.MaxParallel = 20, 4
			rs.TuningJobs = append(rs.TuningJobs, j)
		}
	}

	sc := &Scenario{
		APIVersion: "sagesaver.io/v1alpha1",
		Kind:       "Scenario",
		Now:        &now,
		Accounts:   []AccountScenario{{ID: DefaultAccount, Name: "ml-large", Regions: map[string]RegionScenario{}}},
	}
	for r := 0; r < nr; r++ {
		sc.Accounts[0].Regions[LargeRegions[r]] = regions[r]
	}
	return sc
}
