package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/lambdafn"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/runconfig"
	"github.com/sagesaver/sagesaver/internal/store"
)

// The hub function's tick is `sagesaver run` with these hidden flags
// (internal/cli/lambda.go sets them from the event): an orchestrator
// (--fan-out FUNCTION) claims the tick's time and hands each account and
// region to a worker, an asynchronous invocation of FUNCTION; a worker
// (--worker-of RUN --account ID --region R) runs one target of the tick
// RUN claimed.
type fanOutFlags struct {
	function     string
	inProcessMax int
	workerOf     int64
	account      string
}

// DefaultInProcessTargets is how many targets (accounts x regions) a tick
// runs in the orchestrator's own invocation before it fans out to workers.
const DefaultInProcessTargets = 4

// dispatchConcurrency bounds the orchestrator's Invoke calls in flight.
const dispatchConcurrency = 16

func (f *fanOutFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.function, "fan-out", "", "Lambda function to hand each target to (the hub function itself)")
	fs.IntVar(&f.inProcessMax, "in-process-max", DefaultInProcessTargets, "with --fan-out: run up to this many targets in this process instead")
	fs.Int64Var(&f.workerOf, "worker-of", 0, "run one target of the tick this run claimed (a worker)")
	fs.StringVar(&f.account, "account", "", "with --worker-of: the target's account")
	for _, n := range []string{"fan-out", "in-process-max", "worker-of", "account"} {
		_ = fs.MarkHidden(n)
	}
}

func (f *fanOutFlags) check(cmd interface{ Flag(string) *pflag.Flag }) error {
	switch {
	case f.workerOf != 0 && f.function != "":
		return root.UsageError("--worker-of and --fan-out: choose one")
	case f.workerOf < 0:
		return root.UsageError("--worker-of %d: want a run id", f.workerOf)
	case f.workerOf != 0 && !accountIDRe.MatchString(f.account):
		return root.UsageError("--worker-of: --account %q: want a 12-digit account id", f.account)
	case f.workerOf != 0:
		if fl := cmd.Flag("region"); fl == nil || !fl.Changed {
			return root.UsageError("--worker-of: --region names the target's region")
		}
	case f.account != "":
		return root.UsageError("--account goes with --worker-of")
	}
	return nil
}

// workerSession names a worker's role session after its target, so that
// the spoke's CloudTrail says which account and region the hub was
// working on (RoleSessionName: 2 to 64 of [\w+=,.@-]).
func workerSession(account, region string) string {
	s := "sagesaver-" + account + "-" + region
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// workerTargets is the targets of a worker: account only, in the region
// --region names, entered through the run file's role for it (its roleArn,
// or roleName) with a session naming account and region. An account the
// run file does not list (when it lists accounts) is refused: a worker
// payload does not widen what the file allows.
func workerTargets(r *runconfig.Run, tf targetFlags, account, region string) (targetFlags, error) {
	entry := AccountEntry{ID: account}
	if len(tf.accounts) > 0 {
		i := slices.IndexFunc(tf.accounts, func(e AccountEntry) bool { return e.ID == account })
		if i < 0 {
			return tf, root.UsageError("worker: account %s is not among the run file's targets.accounts (%s)", account, r.Path)
		}
		entry = tf.accounts[i]
	}
	tf.organization = false
	tf.accounts = []AccountEntry{entry}
	tf.sessionName = func(string) string { return workerSession(account, region) }
	return tf, nil
}

// fanOutTarget is one account and region an orchestrator hands out.
type fanOutTarget struct{ account, region string }

// enumerate lists the tick's targets without entering any account, with
// the hub's own configuration base: the run file's accounts (or the
// Organization's ACTIVE ones, or the caller's own) x the regions.
func (a *app) enumerate(ctx context.Context, base aws.Config, tf targetFlags, c *pricing.Catalog) ([]fanOutTarget, error) {
	regions := resolveRegions(a.Cfg.Regions, base.Region, c)
	accounts, _, err := a.resolveAccounts(ctx, tf, AccountsFile{Accounts: tf.accounts}, sts.NewFromConfig(base), base)
	if err != nil {
		return nil, err
	}
	var out []fanOutTarget
	for _, acct := range accounts {
		for _, r := range regions {
			out = append(out, fanOutTarget{account: acct.id, region: r})
		}
	}
	return out, nil
}

// dispatch hands each target of the tick run claimed at at to a worker:
// an asynchronous (Event) invocation of function with a worker payload of
// under 200 bytes. A target whose invocation Lambda refused is recorded
// as failed under run, for the next tick to retry.
func (a *app) dispatch(ctx context.Context, st store.Store, function string, run int64, at time.Time, targets []fanOutTarget) (int, error) {
	base, err := a.awsConfig(ctx)
	if err != nil {
		return 0, err
	}
	// The function is in the hub's own region (Lambda sets AWS_REGION),
	// whatever regions the targets are in.
	if r := a.Getenv("AWS_REGION"); r != "" {
		base.Region = r
	}
	client := lambda.NewFromConfig(base, func(o *lambda.Options) {
		// Lambda throttles Invoke per account and function: back off
		// and try again rather than lose a target.
		o.RetryMaxAttempts = 10
	})
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(dispatchConcurrency)
	failed := make([]error, len(targets))
	for i, t := range targets {
		g.Go(func() error {
			payload, err := json.Marshal(lambdafn.WorkerPayload(t.account, t.region, at, run))
			if err != nil {
				failed[i] = err
				return nil
			}
			_, err = client.Invoke(gctx, &lambda.InvokeInput{FunctionName: aws.String(function), InvocationType: lambdatypes.InvocationTypeEvent, Payload: payload})
			if err != nil {
				failed[i] = fmt.Errorf("invoke worker %s/%s: %w", t.account, t.region, err)
			}
			return nil
		})
	}
	_ = g.Wait()
	n := 0
	var errs []error
	for i, err := range failed {
		if err == nil {
			n++
			continue
		}
		errs = append(errs, err)
		now := a.now()
		r := store.TargetResult{Account: targets[i].account, Region: targets[i].region, Status: store.TargetFailed, Started: now, Finished: now,
			Error: err.Error(), Counts: map[string]int{}}
		if rerr := st.RecordTarget(context.WithoutCancel(ctx), run, r); rerr != nil {
			errs = append(errs, rerr)
		}
	}
	a.Log.Info("tick handed to workers", "run", run, "tick", at.Format(time.RFC3339), "workers", n, "failed", len(targets)-n, "function", function)
	return n, errors.Join(errs...)
}

// EnvSpokeRole names the role to assume in each account when the run
// file names none (the hub template sets it to its SpokeRoleName).
const EnvSpokeRole = "SAGESAVER_SPOKE_ROLE"
