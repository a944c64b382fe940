package agent_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagesaver/sagesaver/internal/agent"
	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/jupyter/jupytertest"
	"github.com/sagesaver/sagesaver/internal/resource"
)

// TestFrozenTagIsUnknownCentrally: a running agent refreshes its heartbeat
// every tag interval, with one AddTags call carrying the idle clock too,
// even when the idle clock does not change; the central verdict over those
// tags is idle. Once the agent dies, its tag freezes, and two intervals
// later the central verdict is unknown, not idle: the notebook may be busy.
func TestFrozenTagIsUnknownCentrally(t *testing.T) {
	env := emulatortest.Start(t, `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        notebooks:
          - name: nb
            instanceType: ml.t3.medium
`)
	r := newRig(t, jupytertest.Notebook, func(c *agent.Config) {
		c.PublishTag = true
		c.PollInterval = time.Minute
		c.IdleTime = 24 * time.Hour // the agent itself never stops it here
	})
	r.sm = agentClient(t, env)
	sdk := env.Clients("us-east-1").SageMaker
	ctx := context.Background()
	tags := func() map[string]string {
		out, err := sdk.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(r.res.ARN)})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tg := range out.Tags {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	central := func() idle.Verdict {
		tg := tags()
		res := resource.Resource{Kind: resource.NotebookInstance, Name: "nb", ARN: r.res.ARN, Status: "InService", Running: true,
			Tags: tg, AgentLastActivity: inventory.AgentActivity(tg)}
		return idle.Notebook(res, idle.NotebookEvidence{}, r.clk.Now())
	}
	adds := func() int64 { return env.Emu.Counters().Calls["sagemaker:AddTags"] }

	a := r.agent(t)
	poll(t, a)
	if adds() != 1 {
		t.Fatalf("%d AddTags on the first poll, want 1", adds())
	}
	start := a.State().LastActivity
	lastWrite := r.clk.Now()
	for i := 0; i < 45; i++ {
		r.clk.Advance(time.Minute)
		before := adds()
		poll(t, a)
		if a.State().LastActivity != start {
			t.Fatalf("the idle clock moved on a quiet server: %v", a.State().LastActivity)
		}
		switch n := adds() - before; {
		case n > 1:
			t.Fatalf("%d AddTags in one poll", n)
		case n == 1:
			if gap := r.clk.Now().Sub(lastWrite); gap < agenttag.Interval-time.Minute {
				t.Errorf("tags written %s after the last write: more often than every %s", gap, agenttag.Interval)
			}
			lastWrite = r.clk.Now()
		}
		tg := tags()
		hb, ok := agenttag.TimeOf(tg, agenttag.Heartbeat)
		if !ok || r.clk.Now().Sub(hb) > agenttag.Interval {
			t.Fatalf("at +%d min: heartbeat %q, want one at most %s old", i+1, tg[agenttag.Heartbeat], agenttag.Interval)
		}
		if tg[agenttag.LastActivity] != agenttag.FormatTime(start) {
			t.Fatalf("last activity tag %q, want %q", tg[agenttag.LastActivity], agenttag.FormatTime(start))
		}
	}
	if n := adds(); n > 1+45/int64((agenttag.Interval-time.Minute)/time.Minute) {
		t.Errorf("%d AddTags in 45 minutes", n)
	}
	if v := central(); v.State != idle.Idle {
		t.Fatalf("central verdict with the agent running: %s (%s), want idle", v.State, v.Evidence)
	}
	// The agent dies: no more polls. Within two intervals of its last
	// check the verdict holds; after them it is unknown.
	checked, _ := agenttag.TimeOf(tags(), agenttag.Heartbeat)
	r.clk.Set(checked.Add(agenttag.MaxAge))
	if v := central(); v.State != idle.Idle {
		t.Errorf("central verdict %s after the heartbeat, want still idle: %s", agenttag.MaxAge, v.Evidence)
	}
	r.clk.Advance(time.Minute)
	if v := central(); v.State != idle.Unknown || v.Reason != idle.ReasonAgentStale {
		t.Errorf("central verdict with a frozen tag: %s (%s: %s), want unknown (agent-stale)", v.State, v.Reason, v.Evidence)
	}
}
