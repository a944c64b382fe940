package action_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/agent/agenttag"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/idle"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/resource"
	"github.com/sagesaver/sagesaver/internal/store"
)

const acct = "123456789012"

const scenario = `
apiVersion: sagesaver.io/v1alpha1
kind: Scenario
now: 2026-11-25T12:00:00Z
accounts:
  - id: "123456789012"
    regions:
      us-east-1:
        topics: [sagesaver-idle]
        notebooks:
          - {name: dev-bob, instanceType: ml.t3.medium, age: 10d, lastModified: 8h, tags: {"sagesaver:last-activity": "2026-11-25T06:00:00Z", "sagesaver:heartbeat": "2026-11-25T11:59:30Z", owner: bob}}
          - {name: dev-busy, instanceType: ml.t3.medium, age: 10d, lastModified: 8h, tags: {"sagesaver:last-activity": "2026-11-25T11:59:00Z", "sagesaver:heartbeat": "2026-11-25T11:59:30Z"}}
        endpoints:
          - name: idle-ep
            variants:
              - {name: AllTraffic, image: "i:1", instanceType: ml.m5.xlarge, count: 2}
            tags: {team: growth, owner: priya}
            age: 30d
            lastModified: 30d
            autoscaling:
              - variant: AllTraffic
                min: 2
                max: 6
                policies: [{name: invocations-per-instance, targetValue: 700}]
          - name: ab
            variants:
              - {name: A, image: "i:1", instanceType: ml.m5.large, count: 1, weight: 0}
              - {name: B, image: "i:1", instanceType: ml.m5.large, count: 1, weight: 1}
            age: 30d
            lastModified: 30d
          - name: young
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]
            age: 2h
          - name: queue
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.g4dn.xlarge, count: 1}]
            async: {outputPath: "s3://b/out"}
            age: 30d
            lastModified: 30d
          - name: keep-me
            variants: [{name: AllTraffic, image: "i:1", instanceType: ml.m5.large, count: 1}]
            tags: {"sagesaver:protect": "true"}
            age: 30d
            lastModified: 30d
          - name: ic-host
            executionRole: arn:aws:iam::123456789012:role/SageMakerExecution
            variants: [{name: AllTraffic, instanceType: ml.g5.12xlarge, count: 1}]
            inferenceComponents:
              - {name: quiet-ic, image: "llm:8b", gpus: 1, memoryMB: 16384}
              - {name: busy-ic, image: "llm:8b", gpus: 1, memoryMB: 16384}
            age: 30d
            lastModified: 30d
        domains:
          - {name: legacy-studio, id: d-legacy000001, age: 300d, tags: {team: analytics}}
        userProfiles:
          - {domain: legacy-studio, name: carol, age: 200d}
        spaces:
          - {domain: legacy-studio, name: carol-lab, owner: carol, age: 100d}
          - {domain: legacy-studio, name: carol-code, owner: carol, appType: CodeEditor, age: 100d}
        apps:
          - {domain: legacy-studio, space: carol-lab, type: JupyterLab, instanceType: ml.g5.xlarge, age: 30h, tags: {"sagesaver:last-activity": "2026-11-25T06:00:00Z", "sagesaver:heartbeat": "2026-11-25T11:59:30Z"}}
          - {domain: legacy-studio, space: carol-code, type: CodeEditor, instanceType: ml.t3.medium, age: 30h, tags: {"sagesaver:last-activity": "2026-11-25T11:58:00Z", "sagesaver:heartbeat": "2026-11-25T11:59:30Z"}}
        metrics:
          - {metric: Invocations, endpoint: idle-ep, value: 3, from: 15d, to: 10d}
          - {metric: Invocations, endpoint: ab, variant: B, value: 10}
          - {metric: ApproximateBacklogSize, endpoint: queue, value: 7}
          - {metric: Invocations, component: busy-ic, value: 5}
`

const deletePolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: delete-idle-endpoints
    resource: endpoint
    conditions:
      idleFor: 24h
    actions:
      - type: delete
      - type: notify
        sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle
  - name: stop-idle-dev-notebooks
    resource: notebook-instance
    match:
      namePrefix: dev-
    conditions:
      idleFor: 2h
    actions:
      - type: stop
      - type: notify
        sns: arn:aws:sns:us-east-1:123456789012:sagesaver-idle
`

type rig struct {
	t       *testing.T
	env     *emulatortest.Env
	st      store.Store
	cfg     aws.Config
	catalog *pricing.Catalog
}

func newRig(t *testing.T, maxAttempts int) *rig { return newRigOf(t, scenario, maxAttempts) }

// newRigOf is newRig on another scenario.
func newRigOf(t *testing.T, scenario string, maxAttempts int) *rig {
	env := emulatortest.Start(t, scenario)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"), store.WithClock(env.Emu.Clock()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg, err := awsconfig.Load(context.Background(), awsconfig.Options{
		Region: "us-east-1", EndpointURL: env.URL, MaxAttempts: maxAttempts,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKIDEMULATOR", SecretAccessKey: "emulator"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, env: env, st: st, cfg: cfg, catalog: pricing.Embedded()}
}

// tick moves the emulator's virtual clock forward while waiters poll.
func (r *rig) tick() func() { return r.env.Tick(5*time.Millisecond, 15*time.Second) }

func (r *rig) clients() *awsapi.Clients { return awsapi.NewClients(r.cfg, "us-east-1", false) }

func (r *rig) executor(opts ...action.Option) *action.Executor {
	c := r.clients()
	reg := &action.Region{Account: acct, Region: "us-east-1", SageMaker: c.SageMaker, Scaling: c.ApplicationAutoScaling,
		Metrics: metrics.New(c.CloudWatch)}
	return action.New([]*action.Region{reg}, r.st, r.catalog, append([]action.Option{
		action.WithClock(r.env.Emu.Clock()),
		action.WithRunInfo(store.RunInfo{OSUser: "tester"}),
		action.WithWaits(action.Waits{NotebookStopped: 20 * time.Second, EndpointDeleted: 20 * time.Second, EndpointInService: 20 * time.Second,
			MinDelay: 5 * time.Millisecond, MaxDelay: 10 * time.Millisecond}),
		action.WithNotifier(func(a policy.Action) (notify.Notifier, error) { return notify.NewSNS(c.SNS, a.SNS), nil }),
	}, opts...)...)
}

func (r *rig) scan() []resource.Resource {
	c := r.clients()
	sc := &inventory.Scanner{Collectors: inventory.DefaultCollectors()}
	res := sc.Scan(context.Background(), []inventory.Target{{Account: acct, Region: "us-east-1",
		API: inventory.API{SageMaker: c.SageMaker, Tagging: c.Tagging}}}, &inventory.Env{Now: r.env.Emu.Now()})
	return res.Resources
}

func (r *rig) run(policyYAML string, dryRun bool) *action.Report {
	r.t.Helper()
	p, err := policy.Decode("policy.yaml", []byte(policyYAML))
	if err != nil {
		r.t.Fatal(err)
	}
	stop := r.tick()
	defer stop()
	rep, err := r.executor().Run(context.Background(), "apply", p, r.scan(), dryRun)
	if err != nil {
		r.t.Fatal(err)
	}
	return rep
}

// outcomes is "verb name result" per outcome, sorted, for the names
// given (all when none).
func outcomes(rep *action.Report, names ...string) []string {
	var out []string
	for _, o := range rep.Outcomes {
		if len(names) > 0 && !slices.Contains(names, o.Name) {
			continue
		}
		out = append(out, o.Verb+" "+o.Name+" "+o.Result)
	}
	sort.Strings(out)
	return out
}

func writes(c emulator.Counters) []string {
	var out []string
	for k, n := range c.Calls {
		op := k[strings.Index(k, ":")+1:]
		for _, p := range []string{"Describe", "List", "Get", "Search"} {
			if strings.HasPrefix(op, p) {
				op = ""
			}
		}
		if op != "" && n > 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestApplyActsOnlyOnIdle(t *testing.T) {
	r := newRig(t, 0)
	dry := r.run(deletePolicy, true)
	want := []string{
		"delete idle-ep dry-run", "notify dev-bob dry-run", "notify idle-ep dry-run", "stop dev-bob dry-run",
	}
	if d := cmp.Diff(want, outcomes(dry)); d != "" {
		t.Fatalf("dry run (-want +got):\n%s", d)
	}
	if w := writes(r.env.Emu.Counters()); len(w) != 0 {
		t.Errorf("dry run wrote to AWS: %v", w)
	}
	// Why each endpoint is not acted on.
	why := map[string]string{}
	for _, f := range dry.Plan.Findings {
		why[f.Name] = string(f.Verdict.State) + ": " + f.Verdict.Evidence
	}
	// Variant A idle while B has traffic, and an async endpoint with a
	// backlog, are active: no finding. The 2-hour-old endpoint without
	// datapoints is unknown: reported, every step skipped.
	for _, name := range []string{"ab", "queue", "ic-host"} {
		if w, ok := why[name]; ok {
			t.Errorf("%s selected by a rule: %s", name, w)
		}
	}
	// The component's traffic is what makes ic-host active.
	vs, _ := r.executor().Verdicts(context.Background(), r.scan(), metrics.NewWindow(r.env.Emu.Now(), 24*time.Hour), false)
	if v := vs[resource.ID{Account: acct, Region: "us-east-1", Kind: resource.Endpoint, Name: "ic-host"}]; v.State != "active" || !strings.Contains(v.Evidence, "invocations on inference component busy-ic") {
		t.Errorf("ic-host: %s: %s, want active from busy-ic", v.State, v.Evidence)
	}
	if !strings.HasPrefix(why["young"], "unknown: in service for") {
		t.Errorf("young: %q, want unknown (young, no datapoints)", why["young"])
	}
	for _, f := range dry.Plan.Findings {
		for _, s := range f.Steps {
			if f.Name == "young" && (s.Status != policy.Skip || !strings.HasPrefix(s.Reason, policy.ReasonUnknown)) {
				t.Errorf("young step %s: %s %s, want skipped as unknown", s.Action.Type, s.Status, s.Reason)
			}
		}
	}
	if !strings.HasPrefix(why["idle-ep"], "idle: 0 invocations on 1 variant over 25h") {
		t.Errorf("idle-ep evidence = %q", why["idle-ep"])
	}
	protected := false
	for _, f := range dry.Plan.Findings {
		if f.Name == "keep-me" {
			protected = f.Steps[0].Status == policy.Skip && strings.HasPrefix(f.Steps[0].Reason, policy.ReasonProtected)
		}
	}
	if !protected {
		t.Errorf("keep-me: want a finding skipped as protected")
	}

	rep := r.run(deletePolicy, false)
	want = []string{"delete idle-ep ok", "notify dev-bob ok", "notify idle-ep ok", "stop dev-bob ok"}
	if d := cmp.Diff(want, outcomes(rep)); d != "" {
		t.Fatalf("apply (-want +got):\n%s", d)
	}
	sm := r.clients().SageMaker
	if _, err := sm.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("idle-ep")}); !awsapi.IsNotFound(err) {
		t.Errorf("idle-ep after apply: %v, want not found", err)
	}
	for _, name := range []string{"ab", "young", "queue", "keep-me"} {
		if _, err := sm.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)}); err != nil {
			t.Errorf("%s: %v, want untouched", name, err)
		}
	}
	nb, err := sm.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("dev-bob")})
	if err != nil || nb.NotebookInstanceStatus != "Stopped" {
		t.Errorf("dev-bob: %v %v, want Stopped", nb.NotebookInstanceStatus, err)
	}
	busy, _ := sm.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("dev-busy")})
	if busy.NotebookInstanceStatus != "InService" {
		t.Errorf("dev-busy: %v, want InService (active)", busy.NotebookInstanceStatus)
	}

	// Audit log: every real action started and finished; the ledger has
	// two open periods.
	acts, err := r.st.Actions(context.Background(), store.ActionFilter{RunID: rep.RunID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range acts {
		if a.Finished == nil || a.Result == store.ResultStarted {
			t.Errorf("action %d %s %s not finished", a.ID, a.Verb, a.Resource)
		}
		got = append(got, a.Verb+" "+string(a.Result))
	}
	sort.Strings(got)
	if d := cmp.Diff([]string{"delete ok", "notify ok", "notify ok", "notify ok", "stop ok"}, got); d != "" {
		t.Errorf("audit log (-want +got):\n%s", d)
	}
	periods, _ := r.st.Savings(context.Background())
	if len(periods) != 2 {
		t.Errorf("savings periods = %+v, want 2", periods)
	}

	// SNS: one readable digest naming both resources.
	pub := r.env.Emu.Published()
	if len(pub) != 1 {
		t.Fatalf("published %d messages, want 1", len(pub))
	}
	m := pub[0]
	for _, s := range []string{"idle-ep", "deleted", "dev-bob", "stopped", "0 invocations"} {
		if !strings.Contains(m.Message, s) {
			t.Errorf("SNS message lacks %q:\n%s", s, m.Message)
		}
	}
	if !strings.HasPrefix(m.Subject, "sagesaver apply: ") {
		t.Errorf("subject %q", m.Subject)
	}
}

func TestDeleteThenRestore(t *testing.T) {
	r := newRig(t, 0)
	ctx := context.Background()
	c := r.clients()
	before := endpointState(t, c, "idle-ep")
	if len(before.targets) == 0 || len(before.policies) == 0 {
		t.Fatalf("scenario: idle-ep has no scaling: %+v", before)
	}
	r.run(deletePolicy, false)
	if ts := targets(t, c, "idle-ep"); len(ts) != 0 {
		t.Fatalf("after delete: scalable targets %v, want none (DeleteEndpoint deregisters)", ts)
	}
	stop := r.tick()
	restored, err := r.executor().Restore(ctx, acct, "us-east-1", "idle-ep", false)
	snap := restored.Snapshot
	stop()
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	after := endpointState(t, c, "idle-ep")
	if d := cmp.Diff(before, after, cmp.AllowUnexported(epState{})); d != "" {
		t.Errorf("restored endpoint differs (-before +after):\n%s", d)
	}
	if snap.Config == "" {
		t.Errorf("snapshot without config")
	}
	periods, _ := r.st.Savings(ctx)
	for _, p := range periods {
		if p.Resource.Name == "idle-ep" && p.Until == nil {
			t.Errorf("idle-ep savings period still open after restore")
		}
	}
	if _, err := r.executor().Restore(ctx, acct, "us-east-1", "idle-ep", false); err == nil {
		t.Errorf("second restore: want an error (no snapshot left)")
	}
}

type epState struct {
	status   string
	config   string
	tags     map[string]string
	targets  []string
	policies []string
}

func endpointState(t *testing.T, c *awsapi.Clients, name string) epState {
	t.Helper()
	ctx := context.Background()
	d, err := c.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	lt, err := c.SageMaker.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: d.EndpointArn})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range lt.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	var ps []string
	pol, err := c.ApplicationAutoScaling.DescribeScalingPolicies(ctx, &applicationautoscaling.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceSagemaker})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pol.ScalingPolicies {
		b, _ := json.Marshal(p.TargetTrackingScalingPolicyConfiguration)
		ps = append(ps, aws.ToString(p.PolicyName)+" "+aws.ToString(p.ResourceId)+" "+string(p.PolicyType)+" "+string(b))
	}
	return epState{status: string(d.EndpointStatus), config: aws.ToString(d.EndpointConfigName), tags: tags,
		targets: targets(t, c, name), policies: ps}
}

func targets(t *testing.T, c *awsapi.Clients, name string) []string {
	out, err := c.ApplicationAutoScaling.DescribeScalableTargets(context.Background(), &applicationautoscaling.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceSagemaker})
	if err != nil {
		t.Fatal(err)
	}
	var ts []string
	for _, x := range out.ScalableTargets {
		if strings.Contains(aws.ToString(x.ResourceId), "/"+name+"/") {
			b, _ := json.Marshal(struct{ Min, Max *int32 }{x.MinCapacity, x.MaxCapacity})
			ts = append(ts, aws.ToString(x.ResourceId)+" "+string(x.ScalableDimension)+" "+string(b))
		}
	}
	return ts
}

func TestThrottledMetricsAreUnknownAndReported(t *testing.T) {
	r := newRig(t, 2)
	r.env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "cloudwatch:GetMetricData", Code: "Throttling", Message: "Rate exceeded", Status: 400}}})
	rep := r.run(deletePolicy, false)
	for _, o := range rep.Outcomes {
		if o.Kind == resource.Endpoint {
			t.Errorf("acted on endpoint %s with CloudWatch throttled: %s %s", o.Name, o.Verb, o.Result)
		}
	}
	found := false
	for _, f := range rep.Plan.Findings {
		if f.Name == "idle-ep" {
			found = true
			if f.Verdict.State != "unknown" || !strings.Contains(f.Verdict.Evidence, "Throttling") {
				t.Errorf("idle-ep verdict %s: %s, want unknown naming the throttling", f.Verdict.State, f.Verdict.Evidence)
			}
		}
	}
	if !found {
		t.Errorf("idle-ep not reported (an unknown verdict must be a finding with skipped steps)")
	}
	if d := cmp.Diff([]action.EvidenceError{{Account: acct, Region: "us-east-1", Endpoints: 6}}, rep.EvidenceErrors,
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Err" }, cmp.Ignore())); d != "" {
		t.Errorf("evidence errors (-want +got):\n%s", d)
	}
	var b strings.Builder
	if err := rep.Write(&b, "table"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "CloudWatch evidence unknown for 6 endpoint(s) in 123456789012/us-east-1 (not acted on): get metric data") {
		t.Errorf("table does not report the CloudWatch failure:\n%s", b.String())
	}
	if _, err := r.clients().SageMaker.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("idle-ep")}); err != nil {
		t.Errorf("idle-ep: %v, want untouched", err)
	}
}

// TestRecheckSkipsWokenResource: the notebook is used between the plan's
// scan and the action; the re-check sees the agent's fresh activity.
func TestRecheckSkipsWokenResource(t *testing.T) {
	r := newRig(t, 0)
	p, err := policy.Decode("policy.yaml", []byte(deletePolicy))
	if err != nil {
		t.Fatal(err)
	}
	resources := r.scan()
	sm := r.clients().SageMaker
	nb, _ := sm.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("dev-bob")})
	if _, err := sm.AddTags(context.Background(), &sagemaker.AddTagsInput{ResourceArn: nb.NotebookInstanceArn, Tags: []smTag{
		{Key: aws.String(agenttag.LastActivity), Value: aws.String(r.env.Emu.Now().Format(time.RFC3339))}}}); err != nil {
		t.Fatal(err)
	}
	stop := r.tick()
	rep, err := r.executor().Run(context.Background(), "apply", p, resources, false)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rep.Outcomes {
		if o.Name == "dev-bob" && o.Verb == "stop" {
			if o.Result != notify.ResultSkipped || !strings.Contains(o.Err.Error(), "changed since the plan") {
				t.Errorf("dev-bob stop: %s %v, want skipped at the re-check", o.Result, o.Err)
			}
		}
	}
	nb, _ = sm.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("dev-bob")})
	if nb.NotebookInstanceStatus != "InService" {
		t.Errorf("dev-bob %s, want InService", nb.NotebookInstanceStatus)
	}
}

func TestConcurrentAppliesActOnce(t *testing.T) {
	r := newRig(t, 0)
	p, err := policy.Decode("policy.yaml", []byte(deletePolicy))
	if err != nil {
		t.Fatal(err)
	}
	resources := r.scan()
	stop := r.tick()
	var wg sync.WaitGroup
	reps := make([]*action.Report, 2)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Separate executors, as two processes would have.
			rep, err := r.executor().Run(context.Background(), "apply", p, resources, false)
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep
		}()
	}
	wg.Wait()
	stop()
	if t.Failed() {
		return
	}
	ok := map[string]int{}
	for _, rep := range reps {
		for _, o := range rep.Outcomes {
			if o.Verb != "notify" && o.Result == notify.ResultOK {
				ok[o.Verb+" "+o.Name]++
			}
		}
	}
	if d := cmp.Diff(map[string]int{"delete idle-ep": 1, "stop dev-bob": 1}, ok); d != "" {
		t.Errorf("successful actions over two concurrent applies (-want +got):\n%s", d)
	}
	if n := r.env.Emu.Counters().Calls["sagemaker:DeleteEndpoint"]; n != 1 {
		t.Errorf("DeleteEndpoint calls = %d, want 1", n)
	}
	if n := r.env.Emu.Counters().Calls["sagemaker:StopNotebookInstance"]; n != 1 {
		t.Errorf("StopNotebookInstance calls = %d, want 1", n)
	}
}

const markPolicy = `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: warn-then-delete
    resource: endpoint
    conditions:
      idleFor: 24h
    actions:
      - type: mark
        grace: 48h
        then: delete
`

func TestWarnThenAct(t *testing.T) {
	r := newRig(t, 0)
	rep := r.run(markPolicy, false)
	if d := cmp.Diff([]string{"mark idle-ep ok"}, outcomes(rep, "idle-ep")); d != "" {
		t.Fatalf("first run (-want +got):\n%s", d)
	}
	ms, _ := r.st.Marks(context.Background())
	if len(ms) != 1 || ms[0].Resource.Name != "idle-ep" {
		t.Fatalf("marks in store = %+v", ms)
	}
	if st := endpointState(t, r.clients(), "idle-ep"); st.tags[policy.DefaultMarkTag] == "" {
		t.Errorf("idle-ep not tagged %s: %v", policy.DefaultMarkTag, st.tags)
	}
	// Within the grace period nothing happens.
	r.env.Emu.Advance(24 * time.Hour)
	if got := outcomes(r.run(markPolicy, false), "idle-ep"); len(got) != 0 {
		t.Errorf("within grace: %v, want nothing", got)
	}
	// After it, the endpoint is deleted and the mark dropped.
	r.env.Emu.Advance(25 * time.Hour)
	if d := cmp.Diff([]string{"delete idle-ep ok"}, outcomes(r.run(markPolicy, false), "idle-ep")); d != "" {
		t.Errorf("after grace (-want +got):\n%s", d)
	}
	ms, _ = r.st.Marks(context.Background())
	for _, m := range ms {
		if m.Resource.Name == "idle-ep" {
			t.Errorf("idle-ep still marked after acting: %+v", m)
		}
	}
}

func TestInterruptedRunIsResolved(t *testing.T) {
	r := newRig(t, 0)
	ctx := context.Background()
	// A run that died after StopNotebookInstance but before finishing.
	dead, err := r.st.StartRun(ctx, store.RunInfo{Command: "apply"})
	if err != nil {
		t.Fatal(err)
	}
	key := acct + "/us-east-1/notebook-instance/dev-bob"
	if _, err := r.st.BeginAction(ctx, store.Action{RunID: dead.ID, Resource: key, Kind: "notebook-instance", Verb: "stop",
		Details: json.RawMessage(`{"rule":"x","hourly":"0.05"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.clients().SageMaker.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("dev-bob")}); err != nil {
		t.Fatal(err)
	}
	// Its heartbeat expires.
	r.env.Emu.Advance(store.DefaultLease + time.Minute)
	rep := r.run(deletePolicy, false)
	if len(rep.Recovered) != 1 || rep.Recovered[0].Result != notify.ResultOK {
		t.Fatalf("recovered = %+v, want the stop resolved ok", rep.Recovered)
	}
	a, err := r.st.Action(ctx, rep.Recovered[0].ActionID)
	if err != nil || a.Result != store.ResultOK || a.Finished == nil {
		t.Errorf("interrupted action now %+v (%v)", a, err)
	}
	for _, o := range rep.Outcomes {
		if o.Name == "dev-bob" && o.Verb == "stop" {
			t.Errorf("stopped dev-bob again: %+v", o)
		}
	}
}

type smTag = smtypes.Tag

func TestRunLimitCapsActions(t *testing.T) {
	r := newRig(t, 0)
	capped := strings.Replace(deletePolicy, "rules:\n", "maxActions: 1\nrules:\n", 1)
	rep := r.run(capped, false)
	var changed []string
	for _, o := range rep.Outcomes {
		if o.Verb != "notify" {
			changed = append(changed, o.Verb+" "+o.Name+" "+o.Result)
		}
	}
	// The larger saving goes first: two ml.m5.xlarge beat a t3.medium.
	if d := cmp.Diff([]string{"delete idle-ep ok"}, changed); d != "" {
		t.Errorf("changes under maxActions 1 (-want +got):\n%s", d)
	}
	if n := r.env.Emu.Counters().Calls["sagemaker:StopNotebookInstance"]; n != 0 {
		t.Errorf("StopNotebookInstance calls = %d, want 0 (over the cap)", n)
	}
}

func TestRestartEndsSavings(t *testing.T) {
	r := newRig(t, 0)
	ctx := context.Background()
	r.run(deletePolicy, false)
	r.env.Emu.Advance(10 * time.Hour)
	sm := r.clients().SageMaker
	if _, err := sm.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("dev-bob")}); err != nil {
		t.Fatal(err)
	}
	r.env.Emu.Advance(10 * time.Minute)
	r.run(deletePolicy, true) // a plan notices the restart
	periods, err := r.st.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var nb, ep *store.SavingPeriod
	for i := range periods {
		switch {
		case periods[i].Resource.Name == "dev-bob":
			nb = &periods[i]
		case periods[i].Resource.Name == "idle-ep":
			ep = &periods[i]
		}
	}
	if nb == nil || nb.Until == nil {
		t.Fatalf("dev-bob period %+v, want closed by the restart", nb)
	}
	if got := nb.Until.Sub(nb.From); got < 10*time.Hour || got > 10*time.Hour+15*time.Minute {
		t.Errorf("dev-bob saved for %v, want about 10h (stopped until started)", got)
	}
	if nb.Realized(r.env.Emu.Now()).IsZero() {
		t.Errorf("dev-bob realized nothing")
	}
	if ep == nil || ep.Until != nil {
		t.Errorf("idle-ep period %+v, want still open (not restored)", ep)
	}
}

func TestFailedActionIsRecordedAndNotified(t *testing.T) {
	r := newRig(t, 0)
	r.env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "sagemaker:DeleteEndpoint", Code: "AccessDeniedException", Message: "not allowed by an SCP", Status: 400}}})
	rep := r.run(deletePolicy, false)
	if d := cmp.Diff([]string{"delete idle-ep failed", "notify idle-ep ok"}, outcomes(rep, "idle-ep")); d != "" {
		t.Errorf("outcomes (-want +got):\n%s", d)
	}
	acts, _ := r.st.Actions(context.Background(), store.ActionFilter{RunID: rep.RunID, Resource: acct + "/us-east-1/endpoint/idle-ep"})
	failed := false
	for _, a := range acts {
		failed = failed || (a.Verb == "delete" && a.Result == store.ResultFailed && strings.Contains(a.Error, "not allowed by an SCP"))
	}
	if !failed {
		t.Errorf("audit log lacks the failed delete: %+v", acts)
	}
	pub := r.env.Emu.Published()
	if len(pub) != 1 || !strings.Contains(pub[0].Message, "idle-ep (us-east-1, endpoint, account 123456789012): delete FAILED") ||
		!strings.Contains(pub[0].Subject, "1 failed") {
		t.Errorf("digest does not report the failure: %+v", pub)
	}
	if _, err := r.clients().SageMaker.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("idle-ep")}); err != nil {
		t.Errorf("idle-ep: %v", err)
	}
	// The snapshot taken before the failed delete restores nothing.
	if _, err := r.executor().Restore(context.Background(), acct, "us-east-1", "idle-ep", false); err == nil || !strings.Contains(err.Error(), "nothing to restore") {
		t.Errorf("restore of a live endpoint: %v, want nothing to restore", err)
	}
}

// TestIdleStreakAcrossRuns: with a 24 h window, "idle for 48h" holds
// after real runs a day apart have seen the endpoint idle, and a plan (dry
// run) reads the same streak without writing it.
func TestIdleStreakAcrossRuns(t *testing.T) {
	r := newRig(t, 0)
	pol := `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: long-idle
    resource: endpoint
    conditions:
      idleFor: 48h
    actions:
      - type: tag
        tags: {idle: "48h"}
`
	if got := outcomes(r.run(pol, false), "idle-ep"); len(got) != 0 {
		t.Fatalf("day 1: %v, want nothing (only 24h seen)", got)
	}
	r.env.Emu.Advance(24 * time.Hour)
	if d := cmp.Diff([]string{"tag idle-ep dry-run"}, outcomes(r.run(pol, true), "idle-ep")); d != "" {
		t.Errorf("day 2 plan (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"tag idle-ep ok"}, outcomes(r.run(pol, false), "idle-ep")); d != "" {
		t.Errorf("day 2 apply (-want +got):\n%s", d)
	}
}

func TestSetIdleShutdown(t *testing.T) {
	r := newRig(t, 0)
	pol := `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: spaces
    resource: studio-space
    conditions:
      unprotected: true
    actions:
      - type: set-idle-shutdown
        timeoutMinutes: 90
  - name: domains
    resource: studio-domain
    conditions:
      unprotected: true
    actions:
      - type: set-idle-shutdown
        timeoutMinutes: 90
`
	want := []string{"set-idle-shutdown carol-code ok", "set-idle-shutdown carol-lab ok", "set-idle-shutdown d-legacy000001 ok"}
	if d := cmp.Diff(want, outcomes(r.run(pol, false))); d != "" {
		t.Fatalf("first run (-want +got):\n%s", d)
	}
	ctx := context.Background()
	sm := r.clients().SageMaker
	d, err := sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String("d-legacy000001")})
	if err != nil {
		t.Fatal(err)
	}
	is := d.DefaultUserSettings.JupyterLabAppSettings.AppLifecycleManagement.IdleSettings
	if is.LifecycleManagement != "ENABLED" || aws.ToInt32(is.IdleTimeoutInMinutes) != 90 {
		t.Errorf("domain idle settings %+v", is)
	}
	sp, err := sm.DescribeSpace(ctx, &sagemaker.DescribeSpaceInput{DomainId: aws.String("d-legacy000001"), SpaceName: aws.String("carol-code")})
	if err != nil {
		t.Fatal(err)
	}
	if ce := sp.SpaceSettings.CodeEditorAppSettings; ce == nil || aws.ToInt32(ce.AppLifecycleManagement.IdleSettings.IdleTimeoutInMinutes) != 90 {
		t.Errorf("Code Editor space settings %+v", sp.SpaceSettings)
	}
	// Set: the next run has nothing to do.
	if got := outcomes(r.run(pol, false)); len(got) != 0 {
		t.Errorf("second run: %v, want nothing", got)
	}
}

func TestDeleteIdleStudioApp(t *testing.T) {
	r := newRig(t, 0)
	pol := `apiVersion: sagesaver.io/v1alpha1
kind: Policy
rules:
  - name: idle-apps
    resource: studio-app
    conditions:
      idleFor: 3h
    actions:
      - type: delete-app
`
	if d := cmp.Diff([]string{"delete-app carol-lab/JupyterLab/default ok"}, outcomes(r.run(pol, false))); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	ctx := context.Background()
	sm := r.clients().SageMaker
	for app, want := range map[string]string{"carol-lab": "Deleting|Deleted", "carol-code": "InService"} {
		typ := map[string]string{"carol-lab": "JupyterLab", "carol-code": "CodeEditor"}[app]
		out, err := sm.DescribeApp(ctx, &sagemaker.DescribeAppInput{DomainId: aws.String("d-legacy000001"), SpaceName: aws.String(app),
			AppType: smtypes.AppType(typ), AppName: aws.String("default")})
		if err != nil {
			t.Fatalf("%s: %v", app, err)
		}
		if !strings.Contains(want, string(out.Status)) {
			t.Errorf("%s: %s, want %s", app, out.Status, want)
		}
	}
	periods, _ := r.st.Savings(ctx)
	if len(periods) != 1 || periods[0].Resource.Name != "carol-lab/JupyterLab/default" {
		t.Errorf("savings = %+v, want the deleted app's", periods)
	}
}

// TestRecheckReadsEndpointConfig: the scan's view of an endpoint may be
// stale (its config was cached before it was re-created as asynchronous).
// Judged as real-time, the async endpoint "queue" has no Invocations and
// looks idle; the re-check reads the config from AWS, judges it on its
// backlog, and leaves it alone.
func TestRecheckReadsEndpointConfig(t *testing.T) {
	r := newRig(t, 0)
	p, err := policy.Decode("policy.yaml", []byte(deletePolicy))
	if err != nil {
		t.Fatal(err)
	}
	resources := r.scan()
	for i := range resources {
		if resources[i].Kind == resource.Endpoint && resources[i].Name == "queue" {
			resources[i].Async = false // what a stale cache said
		}
	}
	stop := r.tick()
	rep, err := r.executor().Run(context.Background(), "apply", p, resources, false)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rep.Outcomes {
		if o.Name == "queue" && o.Verb == "delete" && o.Result != notify.ResultSkipped {
			t.Errorf("queue delete: %s %v, want skipped at the re-check (async, backlog 7)", o.Result, o.Err)
		}
	}
	if _, err := r.clients().SageMaker.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String("queue")}); err != nil {
		t.Errorf("queue: %v, want it still there", err)
	}
}

// TestRestoreResumes: a restore that failed half-way (the waiter timed out,
// then the scaling registration was refused) is finished by the next
// restore, not refused with "nothing to restore"; and the endpoint config,
// deleted by someone after apply deleted the endpoint, is created again
// from the snapshot.
func TestRestoreResumes(t *testing.T) {
	r := newRig(t, 1)
	ctx := context.Background()
	c := r.clients()
	before := endpointState(t, c, "idle-ep")
	cfgBefore, err := c.SageMaker.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(before.config)})
	if err != nil {
		t.Fatal(err)
	}
	r.run(deletePolicy, false)
	if _, err := c.SageMaker.DeleteEndpointConfig(ctx, &sagemaker.DeleteEndpointConfigInput{EndpointConfigName: aws.String(before.config)}); err != nil {
		t.Fatal(err)
	}

	// A dry run reads only and says what it would do.
	r.env.Emu.ResetCounters()
	plan, err := r.executor().Restore(ctx, acct, "us-east-1", "idle-ep", true)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if w := writes(r.env.Emu.Counters()); len(w) != 0 {
		t.Errorf("dry-run restore made mutating calls: %v", w)
	}
	if len(plan.Steps) != 4 || !strings.Contains(plan.Steps[0], "create endpoint config") {
		t.Errorf("dry-run steps %q, want config, endpoint, wait, scaling", plan.Steps)
	}

	// 1. The clock does not move: the waiter gives up while Creating.
	short := action.WithWaits(action.Waits{EndpointInService: 300 * time.Millisecond, MinDelay: 5 * time.Millisecond, MaxDelay: 10 * time.Millisecond})
	if _, err := r.executor(short).Restore(ctx, acct, "us-east-1", "idle-ep", false); err == nil || !strings.Contains(err.Error(), "InService") {
		t.Fatalf("first restore: %v, want the waiter's timeout", err)
	}
	// 2. Application Auto Scaling refuses the registration.
	r.env.Emu.SetFaults(emulator.FaultConfig{Errors: []emulator.ErrorFault{
		{Operation: "application-autoscaling:RegisterScalableTarget", Code: "AccessDeniedException", Message: "no iam:PassRole", Status: 400}}})
	stop := r.tick()
	res, err := r.executor().Restore(ctx, acct, "us-east-1", "idle-ep", false)
	stop()
	if err == nil || !strings.Contains(err.Error(), "register scalable target") {
		t.Fatalf("second restore: %v, want the registration refused", err)
	}
	if d := cmp.Diff([]string{action.StepConfig, action.StepEndpoint}, res.Resumed); d != "" {
		t.Errorf("second restore resumed (-want +got):\n%s", d)
	}
	// 3. Nothing in the way: the next restore finishes the job.
	r.env.Emu.SetFaults(emulator.FaultConfig{})
	creates := r.env.Emu.Counters().Calls["sagemaker:CreateEndpoint"]
	stop = r.tick()
	res, err = r.executor().Restore(ctx, acct, "us-east-1", "idle-ep", false)
	stop()
	if err != nil {
		t.Fatalf("third restore: %v", err)
	}
	if n := r.env.Emu.Counters().Calls["sagemaker:CreateEndpoint"]; n != creates {
		t.Errorf("third restore called CreateEndpoint again (%d -> %d)", creates, n)
	}
	if d := cmp.Diff([]string{action.StepConfig, action.StepEndpoint, action.StepInService, action.StepScaling}, res.Snapshot.Steps); d != "" {
		t.Errorf("steps done (-want +got):\n%s", d)
	}
	after := endpointState(t, c, "idle-ep")
	if d := cmp.Diff(before, after, cmp.AllowUnexported(epState{})); d != "" {
		t.Errorf("restored endpoint differs (-before +after):\n%s", d)
	}
	cfgAfter, err := c.SageMaker.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(before.config)})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(cfgBefore.ProductionVariants, cfgAfter.ProductionVariants, cmpopts.IgnoreUnexported(smtypes.ProductionVariant{})); d != "" {
		t.Errorf("re-created config's variants differ (-before +after):\n%s", d)
	}
	if _, err := r.executor().Restore(ctx, acct, "us-east-1", "idle-ep", false); !errors.Is(err, action.ErrNoSnapshot) {
		t.Errorf("restore after it finished: %v, want no snapshot left", err)
	}
}

// TestUndeliveredNoticesAreRetried: with a missing SNS topic the run's
// notices are not "ok": the notify steps and the delivery are recorded
// failed, the run reports the error, the notices stay in the outbox, and
// the next run (once the topic exists) delivers them.
func TestUndeliveredNoticesAreRetried(t *testing.T) {
	r := newRig(t, 1)
	ctx := context.Background()
	missing := strings.ReplaceAll(deletePolicy, "sagesaver-idle", "ops-alerts")
	rep := r.run(missing, false)
	if rep.NotifyErr == nil || !rep.Failed() {
		t.Fatalf("notify error %v, failed %v; want the missing topic reported", rep.NotifyErr, rep.Failed())
	}
	acts, err := r.st.Actions(ctx, store.ActionFilter{RunID: rep.RunID})
	if err != nil {
		t.Fatal(err)
	}
	notices := 0
	for _, a := range acts {
		if a.Verb == "notify" {
			notices++
			if a.Result == store.ResultOK {
				t.Errorf("notify row %s is ok, but nothing was published", a.Resource)
			}
		}
	}
	if notices == 0 {
		t.Errorf("no notify row in the audit log: %+v", acts)
	}
	unsent, err := r.st.UnsentNotices(ctx)
	if err != nil || len(unsent) != 2 {
		t.Fatalf("unsent notices %d (%v), want 2 (idle-ep deleted, dev-bob stopped)", len(unsent), err)
	}
	if len(r.env.Emu.Published()) != 0 {
		t.Fatalf("published to a missing topic")
	}

	// The topic appears; the next run delivers what the first could not.
	if _, err := r.clients().SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ops-alerts")}); err != nil {
		t.Fatal(err)
	}
	rep = r.run(missing, false)
	if rep.NotifyErr != nil {
		t.Fatalf("second run: %v", rep.NotifyErr)
	}
	pub := r.env.Emu.Published()
	if len(pub) != 1 {
		t.Fatalf("published %d messages, want 1", len(pub))
	}
	for _, s := range []string{"idle-ep", "dev-bob", "undelivered notice of run"} {
		if !strings.Contains(pub[0].Message, s) {
			t.Errorf("retried digest lacks %q:\n%s", s, pub[0].Message)
		}
	}
	if unsent, _ := r.st.UnsentNotices(ctx); len(unsent) != 0 {
		t.Errorf("still unsent after delivery: %+v", unsent)
	}
}

func TestSavingsAgree(t *testing.T) {
	r := newRig(t, 0)
	ctx := context.Background()
	type figures map[string]string // resource name -> monthly saving
	plan := figures{}
	for _, f := range r.run(deletePolicy, true).Plan.Findings {
		for _, s := range f.Steps {
			if s.Status == policy.Act && s.Action.Type.Destructive() {
				plan[f.Name] = s.Saves.String()
			}
		}
	}
	rep := r.run(deletePolicy, false)
	applied, digest := figures{}, figures{}
	for _, o := range rep.Outcomes {
		if o.Result == notify.ResultOK && (o.Verb == "stop" || o.Verb == "delete") {
			applied[o.Name] = o.Saves.String()
		}
	}
	for _, it := range rep.Digest("", nil).Items {
		if it.Action == "stop" || it.Action == "delete" {
			digest[it.Name] = it.Hourly.Monthly().String()
		}
	}
	audit, ledger := figures{}, figures{}
	acts, err := r.st.Actions(ctx, store.ActionFilter{RunID: rep.RunID})
	if err != nil {
		t.Fatal(err)
	}
	teams := figures{}
	for _, a := range acts {
		if a.Result == store.ResultOK && (a.Verb == "stop" || a.Verb == "delete") {
			name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
			audit[name] = a.MonthlySaved.String()
			var d struct{ Team string }
			if err := json.Unmarshal(a.Details, &d); err != nil {
				t.Fatal(err)
			}
			teams[name] = d.Team
		}
	}
	// The audit entry keeps the team tag the resource had, for the
	// ledger's "by team" (dev-bob has none).
	if d := cmp.Diff(figures{"dev-bob": "", "idle-ep": "growth"}, teams); d != "" {
		t.Errorf("teams in the audit log (-want +got):\n%s", d)
	}
	periods, err := r.st.Savings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range periods {
		h := pricing.Price{Amount: p.Hourly, Known: true, Estimate: p.Estimate}
		ledger[p.Resource.Name] = h.Monthly().String()
	}
	// ml.t3.medium notebook $0.05/h x 730; ml.m5.xlarge x2 hosting,
	// priced as an estimate in the embedded catalog.
	want := figures{"dev-bob": "$36.50", "idle-ep": plan["idle-ep"]}
	if !strings.HasPrefix(want["idle-ep"], "~$") {
		t.Errorf("idle-ep plan saving %q, want an estimate (~)", want["idle-ep"])
	}
	for name, got := range map[string]figures{"plan": plan, "apply": applied, "digest": digest, "audit log": audit, "ledger": ledger} {
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s savings (-want +got):\n%s", name, d)
		}
	}
}

// With the tick's incremental evidence, a policy run judges endpoints as
// a full read does, a second run in the same hour requests no metric, and
// acting still re-reads the endpoint in full first.
func TestIncrementalEvidenceRun(t *testing.T) {
	r := newRig(t, 0)
	incremental := func() *action.Executor {
		c := r.clients()
		reg := &action.Region{Account: acct, Region: "us-east-1", SageMaker: c.SageMaker, Scaling: c.ApplicationAutoScaling,
			Metrics:  metrics.New(c.CloudWatch),
			Evidence: metrics.NewEvidence(metrics.New(c.CloudWatch), metrics.StoreMemory(r.st), metrics.EvidenceKey(acct, "us-east-1"))}
		return action.New([]*action.Region{reg}, r.st, r.catalog, action.WithClock(r.env.Emu.Clock()),
			action.WithRunInfo(store.RunInfo{OSUser: "tester"}),
			action.WithWaits(action.Waits{EndpointDeleted: 20 * time.Second, MinDelay: 5 * time.Millisecond, MaxDelay: 10 * time.Millisecond}),
			action.WithNotifier(func(a policy.Action) (notify.Notifier, error) { return notify.NewSNS(c.SNS, a.SNS), nil }))
	}
	ctx := context.Background()
	resources := r.scan()
	w := metrics.NewWindow(r.env.Emu.Now(), 25*time.Hour)
	full, _ := r.executor().Verdicts(ctx, resources, w, false)
	states := func(vs map[resource.ID]idle.Verdict) map[string]idle.State {
		out := map[string]idle.State{}
		for k, v := range vs {
			if k.Kind == resource.Endpoint {
				out[k.Name] = v.State
			}
		}
		return out
	}
	for i, want := range []bool{true, false} {
		before := r.env.Emu.Counters().MetricsRequested
		got, _ := incremental().Verdicts(ctx, resources, w, false)
		if d := cmp.Diff(states(full), states(got)); d != "" {
			t.Errorf("run %d: verdicts (-full +incremental):\n%s", i+1, d)
		}
		if requested := r.env.Emu.Counters().MetricsRequested - before; (requested > 0) != want {
			t.Errorf("run %d: %d metrics requested, want some: %v", i+1, requested, want)
		}
	}
	p, err := policy.Decode("policy.yaml", []byte(deletePolicy))
	if err != nil {
		t.Fatal(err)
	}
	stop := r.tick()
	defer stop()
	before := r.env.Emu.Counters().MetricsRequested
	rep, err := incremental().Run(ctx, "apply", p, resources, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"delete idle-ep ok", "notify idle-ep ok"}, outcomes(rep, "idle-ep")); d != "" {
		t.Errorf("apply (-want +got):\n%s", d)
	}
	if requested := r.env.Emu.Counters().MetricsRequested - before; requested != 1 {
		t.Errorf("apply requested %d metrics, want 1: idle-ep's re-check (the rest is remembered)", requested)
	}
}

// TestStoppedRunRecordsStepsNotDone: a run whose stop (SIGTERM) is
// closed starts no step: each is in the audit log as skipped, not done,
// nothing changes in AWS and nothing is queued for the digest; the next
// run does them.
func TestStoppedRunRecordsStepsNotDone(t *testing.T) {
	r := newRig(t, 0)
	p, err := policy.Decode("policy.yaml", []byte(deletePolicy))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	close(stop)
	rep, err := r.executor().Run(action.WithStop(context.Background(), stop), "apply", p, r.scan(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"delete idle-ep skipped", "notify dev-bob skipped", "notify idle-ep skipped", "stop dev-bob skipped"}
	if d := cmp.Diff(want, outcomes(rep)); d != "" {
		t.Fatalf("stopped run (-want +got):\n%s", d)
	}
	if w := writes(r.env.Emu.Counters()); len(w) != 0 {
		t.Errorf("a stopped run wrote to AWS: %v", w)
	}
	acts, err := r.st.Actions(context.Background(), store.ActionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var audit []string
	for _, a := range acts {
		if a.RunID == rep.RunID {
			audit = append(audit, a.Verb+" "+a.Resource+" "+string(a.Result)+" "+a.Error)
		}
	}
	if len(audit) != 4 {
		t.Fatalf("audit of the stopped run: %q; want its four steps", audit)
	}
	for _, a := range audit {
		if !strings.HasSuffix(a, " skipped "+action.ErrNotDone.Error()) {
			t.Errorf("audit row %q; want skipped, not done", a)
		}
	}
	if ns, err := r.st.UnsentNotices(context.Background()); err != nil || len(ns) != 0 {
		t.Errorf("a stopped run queued notices: %v %+v", err, ns)
	}
	next := r.run(deletePolicy, false)
	want = []string{"delete idle-ep ok", "notify dev-bob ok", "notify idle-ep ok", "stop dev-bob ok"}
	if d := cmp.Diff(want, outcomes(next)); d != "" {
		t.Errorf("next run (-want +got):\n%s", d)
	}
}
