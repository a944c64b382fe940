package tick_test

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sagesaver/sagesaver/internal/action"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/emulator/emulatortest"
	"github.com/sagesaver/sagesaver/internal/metrics"
	"github.com/sagesaver/sagesaver/internal/notify"
	"github.com/sagesaver/sagesaver/internal/ownbill"
	"github.com/sagesaver/sagesaver/internal/policy"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/store"
	"github.com/sagesaver/sagesaver/internal/store/dynamo"
	"github.com/sagesaver/sagesaver/internal/store/dynamo/dynamotest"
	"github.com/sagesaver/sagesaver/internal/tick"
)

var (
	benchAccounts = flag.Int("tickstore-accounts", 1, "accounts simulated (x 4 regions, 125 endpoints and 25 notebooks a target: the issue's fleet per target)")
	benchTicks    = flag.Int("tickstore-ticks", 288, "5-minute ticks simulated (288: a day)")
)

// benchRunFile is the configuration: the run file's default
// cadences (inventory every tick, evidence and digest hourly, advice
// daily), idle endpoints reported to an SNS topic, dev- notebooks idle for
// two hours stopped, and no schedule.
const benchRunFile = `apiVersion: sagesaver.io/v1alpha1
kind: Run
targets:
  regions: [us-east-1]
policies:
  - inline:
      apiVersion: sagesaver.io/v1alpha1
      kind: Policy
      rules:
        - name: idle-endpoints
          resource: endpoint
          conditions: {idleFor: 24h}
          actions: [{type: notify, sns: "TOPIC"}]
mode: enforce
`

// meteredDB is a DynamoDB client that asks every request for its consumed
// capacity and adds it up by operation: the request units DynamoDB bills
// on demand, as the implementation under test computes them.
type meteredDB struct {
	dynamo.API
	mu       sync.Mutex
	requests map[string]int
	units    map[string]float64
	items    map[string]float64
}

func (m *meteredDB) add(op string, cc ...types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[op]++
	for _, c := range cc {
		m.units[op] += aws.ToFloat64(c.CapacityUnits)
	}
}

// item names the kind of item a request is about: its pk up to the
// first '#' ("run", "claim", "blob", ...), so that the units can be
// told apart by what the tick stores.
func item(key map[string]types.AttributeValue) string {
	pk, ok := key["pk"].(*types.AttributeValueMemberS)
	if !ok {
		return "?"
	}
	kind, _, _ := strings.Cut(pk.Value, "#")
	return kind
}

// byItem adds a write's units under "Op item".
func (m *meteredDB) byItem(op string, key map[string]types.AttributeValue, cc *types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = map[string]float64{}
	}
	u := 1.0
	if cc != nil {
		u = aws.ToFloat64(cc.CapacityUnits)
	}
	m.items[op+" "+item(key)] += u
}

func (m *meteredDB) one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

func (m *meteredDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.GetItem(ctx, in, opts...)
	if err == nil {
		m.add("GetItem", m.one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (m *meteredDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.PutItem(ctx, in, opts...)
	if err == nil {
		m.add("PutItem", m.one(out.ConsumedCapacity)...)
		m.byItem("PutItem", in.Item, out.ConsumedCapacity)
	} else {
		m.add("PutItem (condition failed)") // billed too; counted as requests
	}
	return out, err
}

func (m *meteredDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.UpdateItem(ctx, in, opts...)
	if err == nil {
		m.add("UpdateItem", m.one(out.ConsumedCapacity)...)
		m.byItem("UpdateItem", in.Key, out.ConsumedCapacity)
	} else {
		m.add("UpdateItem (condition failed)")
	}
	return out, err
}

func (m *meteredDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.DeleteItem(ctx, in, opts...)
	if err == nil {
		m.add("DeleteItem", m.one(out.ConsumedCapacity)...)
		m.byItem("DeleteItem", in.Key, out.ConsumedCapacity)
	} else {
		m.add("DeleteItem (condition failed)")
	}
	return out, err
}

func (m *meteredDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.Query(ctx, in, opts...)
	if err == nil {
		m.add("Query", m.one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (m *meteredDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := m.API.BatchWriteItem(ctx, in, opts...)
	if err == nil {
		m.add("BatchWriteItem", out.ConsumedCapacity...)
		for _, reqs := range in.RequestItems {
			for _, r := range reqs {
				switch {
				case r.PutRequest != nil:
					m.byItem("BatchPut", r.PutRequest.Item, nil)
				case r.DeleteRequest != nil:
					m.byItem("BatchDelete", r.DeleteRequest.Key, nil)
				}
			}
		}
	}
	return out, err
}

// BenchmarkTickStore runs the real tick (internal/tick, every piece of
// it: inventory through the state's cache, incremental evidence, the
// policy, advice, digests, the run records) for a part of the issue's
// fleet, every 5 minutes of a simulated day, over the DynamoDB backend on
// dynalite, and prints the DynamoDB request units it consumed, as
// dynalite computes them (ReturnConsumedCapacity on every request), per
// tick and per target, and the month they make for the 80
// targets. BENCHMARKS.md ("The tool's own AWS bill").
//
//	go test ./internal/tick -run '^$' -bench TickStore -benchtime 1x -timeout 60m
func BenchmarkTickStore(b *testing.B) {
	const regionsPerAccount, targetsTotal = 4, 80
	accounts := max(*benchAccounts, 1)
	sc := emulator.LargeScenario(emulator.LargeOptions{Endpoints: 125 * regionsPerAccount, Notebooks: 25 * regionsPerAccount,
		Regions: regionsPerAccount, SecondVariantEvery: 5})
	base := sc.Accounts[0]
	sc.Accounts = nil
	for a := range accounts {
		acct := base
		acct.ID = fmt.Sprintf("1000000000%02d", a)
		acct.AccessKeys = []string{fmt.Sprintf("AKIDTICKSTORE%02d", a)}
		acct.Regions = maps.Clone(base.Regions)
		if a == 0 {
			r := acct.Regions["us-east-1"]
			r.Topics = []string{"sagesaver-notices"}
			acct.Regions["us-east-1"] = r
		}
		sc.Accounts = append(sc.Accounts, acct)
	}
	emu := emulator.New(emulator.Options{})
	if err := emu.Load(sc); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	topic := "arn:aws:sns:us-east-1:" + sc.Accounts[0].ID + ":sagesaver-notices"
	path := filepath.Join(b.TempDir(), "run.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(benchRunFile, "TOPIC", topic, 1)), 0o600); err != nil {
		b.Fatal(err)
	}
	run, err := runconfig.Read(path)
	if err != nil {
		b.Fatal(err)
	}

	ddb := dynamotest.Get(b, dynamotest.Dynalite)
	table := ddb.NewTable(b)
	db := &meteredDB{API: ddb.Client(), requests: map[string]int{}, units: map[string]float64{}}
	dst, err := dynamo.Open(context.Background(), db, table, dynamo.WithClock(emu.Clock()))
	if err != nil {
		b.Fatal(err)
	}
	defer dst.Close()
	st := &countingStore{Store: dst, writes: map[string]int{}}

	var targets []tick.Target
	var regs []*action.Region
	for _, a := range sc.Accounts {
		cfg := emulatortest.Config(b, srv.URL, a.AccessKeys[0])
		for _, r := range emulator.LargeRegions[:regionsPerAccount] {
			c := awsapi.NewClients(cfg, r, false)
			targets = append(targets, tick.Target{Account: a.ID, Region: r, Clients: c})
			regs = append(regs, &action.Region{Account: a.ID, Region: r, SageMaker: c.SageMaker, Scaling: c.ApplicationAutoScaling, Metrics: metrics.New(c.Metrics),
				Evidence: metrics.NewEvidence(metrics.New(c.Metrics), metrics.StoreMemory(st), metrics.EvidenceKey(a.ID, r), metrics.WithEvery(time.Hour-tick.DueSlack(time.Hour)))})
		}
	}
	sns := awsapi.NewClients(emulatortest.Config(b, srv.URL, sc.Accounts[0].AccessKeys[0]), "us-east-1", false).SNS
	ex := action.New(regs, st, pricing.Embedded(), action.WithClock(emu.Clock()), action.WithRunInfo(store.RunInfo{OSUser: "bench"}),
		action.WithNotifier(func(a policy.Action) (notify.Notifier, error) { return notify.NewSNS(sns, a.SNS), nil }),
		action.WithDeferredDigest())

	ctx := context.Background()
	var firstTick map[string]float64
	var slowest, sum time.Duration
	start := time.Now()
	b.ResetTimer()
	for i := range *benchTicks {
		at := store.TickTime(emu.Now())
		t0 := time.Now()
		res, err := tick.Run(ctx, tick.Options{Run: run, At: at, Targets: targets, Store: st, Catalog: pricing.Embedded(), Executor: ex,
			Clock: emu.Clock(), Info: store.RunInfo{OSUser: "bench"},
			Count: func(ctx context.Context) (context.Context, func() (map[string]int, int)) {
				c := awsconfig.NewCounter()
				return awsconfig.WithCounter(ctx, c), func() (map[string]int, int) { return c.Calls(), c.MetricsRequested() }
			}})
		if err != nil {
			b.Fatal(err)
		}
		if res.Failed() {
			b.Fatalf("tick %s failed: %+v", at.Format(time.RFC3339), res)
		}
		d := time.Since(t0)
		sum += d
		slowest = max(slowest, d)
		if i == 0 {
			db.mu.Lock()
			firstTick = maps.Clone(db.units)
			db.mu.Unlock()
		}
		emu.Advance(5 * time.Minute)
	}
	elapsed := time.Since(start)
	b.StopTimer()

	n := len(targets)
	ticks := *benchTicks
	var wru, rru, firstW, firstR float64
	var out strings.Builder
	fmt.Fprintf(&out, "\nsimulated: %d account(s) x %d regions = %d of %d targets (125 endpoints, 25 notebooks each), %d ticks of 5 min in %s (tick mean %s, slowest %s) on dynalite\n",
		accounts, regionsPerAccount, n, targetsTotal, ticks, elapsed.Round(time.Second), (sum / time.Duration(ticks)).Round(time.Millisecond), slowest.Round(time.Millisecond))
	for _, op := range slices.Sorted(maps.Keys(db.requests)) {
		u := db.units[op]
		write := op != "GetItem" && op != "Query"
		if write {
			wru += u
			firstW += firstTick[op]
		} else {
			rru += u
			firstR += firstTick[op]
		}
		fmt.Fprintf(&out, "  %-32s %8d requests %10.1f units  %8.2f units a tick per target\n", op, db.requests[op], u, u/float64(ticks)/float64(n))
	}
	fmt.Fprintf(&out, "writes by item kind (units; batch items counted 1 each), per tick per target:")
	for _, k := range slices.Sorted(maps.Keys(db.items)) {
		fmt.Fprintf(&out, " %s %.2f;", k, db.items[k]/float64(ticks)/float64(n))
	}
	out.WriteString("\n")
	steadyW, steadyR := (wru-firstW)/float64(max(ticks-1, 1))/float64(n), (rru-firstR)/float64(max(ticks-1, 1))/float64(n)
	fmt.Fprintf(&out, "first tick: %.0f write units, %.0f read units; then per tick per target: %.2f write units, %.2f read units\n", firstW, firstR, steadyW, steadyR)
	fmt.Fprintf(&out, "blob writes by kind in %d ticks, per target:", ticks)
	for _, k := range slices.Sorted(maps.Keys(st.writes)) {
		fmt.Fprintf(&out, " %s %.1f", k, float64(st.writes[k])/float64(n))
	}
	out.WriteString("\n")
	month := float64(ownbill.Month / (5 * time.Minute))
	u := ownbill.Usage{WriteUnits: int64(steadyW * float64(targetsTotal) * month), ReadUnits: int64(steadyR * float64(targetsTotal) * month)}
	bill := ownbill.Price(u, ownbill.USEast1)
	fmt.Fprintf(&out, "a month of 5-minute ticks for %d targets: %d write units, %d read units: DynamoDB %s\n",
		targetsTotal, u.WriteUnits, u.ReadUnits, bill.Total.Format(2))
	fmt.Fprint(os.Stdout, out.String())
	b.ReportMetric(steadyW, "WRU/tick/target")
	b.ReportMetric(steadyR, "RRU/tick/target")
}
