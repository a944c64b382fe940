package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/inventory"
)

func newAdviseCmd(a *app) *cobra.Command {
	var tf targetFlags
	var lookback, jobLookback time.Duration
	var concurrency int
	var noCache bool
	cmd := &cobra.Command{
		Use:   "advise",
		Short: "Right-sizing recommendations with the evidence and the $/month each saves",
		Long: `Scan the chosen accounts and regions, read CloudWatch (endpoint utilization
and invocations, training host metrics) and Application Auto Scaling, and
recommend a cheaper configuration for each running resource, with the
statistics behind it, a confidence, and the saving per month at catalog
prices:

  endpoints   a smaller size or fewer instances (CPU normalised by vCPUs),
              G family or Inferentia instead of P, a scaling policy for
              swinging traffic (the exact configuration), one multi-model
              endpoint for low-traffic endpoints on one image, serverless or
              batch transform for a few calls a day
  training    a CPU instance for CPU-only images on GPUs, managed spot at the
              account's observed discount, smaller instances for many short
              jobs
  notebooks   ml.t3.medium for a quiet GPU or large instance, the agent for
              auto-stop
  Studio      smaller GPU apps, idle shutdown for domains without it

A proposed type always has a price of its own in the catalog for that
component and region; run 'sagesaver pricing refresh' for more of them.
Read-only. See docs/advise.md.`,
		Example: `  sagesaver advise
  sagesaver advise --region all -o markdown > ticket.md
  sagesaver advise --lookback 7d -o json | jq '.recommendations[] | select(.confidence == "high")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrency < 1 {
				return root.UsageError("--concurrency: must be at least 1")
			}
			return runAdvise(cmd.Context(), a, scanOptions{targets: tf, lookback: jobLookback, concurrency: concurrency, noCache: noCache}, lookback)
		},
	}
	tf.register(cmd.Flags())
	f := cmd.Flags()
	// CloudWatch keeps hourly data for 455 days: a longer window reads nothing more.
	f.Var(config.NewDurationFlag(&lookback, 14*24*time.Hour).AtLeast(24*time.Hour).AtMost(455*24*time.Hour), "lookback", "metrics window for endpoints, 1d to 455d (CloudWatch keeps 1-minute data 15 days, hourly 455)")
	f.Var(config.NewDurationFlag(&jobLookback, 30*24*time.Hour), "job-lookback", "jobs finished this long ago count, scaled to a month")
	f.IntVar(&concurrency, "concurrency", inventory.DefaultConcurrency, "account x region x kind units scanned at once")
	f.BoolVar(&noCache, "no-cache", false, "describe everything again instead of using the inventory cache")
	return cmd
}

func runAdvise(ctx context.Context, a *app, o scanOptions, lookback time.Duration) error {
	catalog, err := a.priceCatalog()
	if err != nil {
		return err
	}
	res, set, err := a.scanTargets(ctx, o, catalog)
	if err != nil {
		return err
	}
	now, fails := res.ScannedAt, res.Failures
	var sources []advise.Source
	for _, t := range set.Targets {
		if cl := set.Clients[t.Account+"/"+t.Region]; cl != nil {
			sources = append(sources, advise.Source{Account: t.Account, Region: t.Region, CloudWatch: cl.Metrics, Scaling: cl.ApplicationAutoScaling})
		}
	}
	ev := advise.Gather(ctx, sources, res.Resources, now, lookback, o.lookback)
	out := advise.Advise(res.Resources, ev, catalog, advise.Options{Now: now, JobLookback: o.lookback})
	if err := advise.Write(a.Stdio.Out, a.Cfg.Output, out); err != nil {
		return err
	}
	for _, f := range fails {
		fmt.Fprintf(a.Stdio.Err, "sagesaver: scan of %s %s %s failed: %s\n", f.Account, f.Region, f.Kind, f.Reason)
	}
	if len(fails) > 0 || len(ev.Failures) > 0 {
		return &root.ExitError{Code: root.ExitPartial, Err: fmt.Errorf("%d scan part(s) and %d evidence read(s) failed; the recommendations cover the rest",
			len(fails), len(ev.Failures))}
	}
	return nil
}
