package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/advise"
	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/awsconfig"
	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator"
	"github.com/sagesaver/sagesaver/internal/inventory"
	"github.com/sagesaver/sagesaver/internal/report"
)

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use: "demo",
		Example: `  sagesaver demo
  sagesaver demo -o json > demo.json`,
		Short: "Run sagesaver against the built-in emulator and a demo fleet (no AWS account needed)",
		Args:  cobra.NoArgs,
		// The demo talks to its own emulator only: a broken config file
		// must not stop a first-time user's first command.
		Annotations: map[string]string{root.NoConfigFile: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The demo prints what it does; per-action log lines would only
			// interleave with it. --log-level (or its env) still wins.
			if !cmd.Flags().Changed("log-level") && a.Getenv(config.EnvLogLevel) == "" {
				a.Log = root.NewLogger(a.Stdio.Err, "warn", a.Cfg.LogFormat)
			}
			return runDemo(cmd.Context(), a)
		},
	}
}

// demoEnv is the emulator serving the bundled demo scenario on a loopback
// port, and an aws.Config that reaches it through the real SDK.
type demoEnv struct {
	emu *emulator.Server
	url string
	cfg aws.Config
}

func startDemo(ctx context.Context) (*demoEnv, func(), error) {
	sc, err := emulator.Bundled("demo")
	if err != nil {
		return nil, nil, err
	}
	emu := emulator.New(emulator.Options{})
	if err := emu.Load(sc); err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: emu}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{
		Region:            "us-east-1",
		EndpointURL:       url,
		StaticCredentials: &aws.Credentials{AccessKeyID: "AKIADEMO", SecretAccessKey: "demo"},
	})
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return &demoEnv{emu: emu, url: url, cfg: cfg}, func() { srv.Close() }, nil
}

func runDemo(ctx context.Context, a *app) error {
	env, stop, err := startDemo(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if err := demoScan(ctx, a, env); err != nil {
		return err
	}
	if err := demoAdvise(ctx, a, env); err != nil {
		return err
	}
	return demoApply(ctx, a, env)
}

// demoRegions are the regions of the bundled demo fleet.
var demoRegions = []string{"us-east-1", "eu-west-1"}

// scan scans the demo fleet (the caller's account in demoRegions) as of the
// emulator's now; sources read each region's CloudWatch and Auto Scaling.
func (env *demoEnv) scan(ctx context.Context, a *app) (acct string, res *inventory.Result, sources []advise.Source, err error) {
	id, err := awsapi.NewClients(env.cfg, "us-east-1", false).STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", nil, nil, fmt.Errorf("demo: %w", err)
	}
	acct = aws.ToString(id.Account)
	var targets []inventory.Target
	for _, r := range demoRegions {
		cl := awsapi.NewClients(env.cfg, r, false)
		targets = append(targets, inventory.Target{Account: acct, Region: r, API: inventory.API{SageMaker: cl.SageMaker, Tagging: cl.Tagging}})
		sources = append(sources, advise.Source{Account: acct, Region: r, CloudWatch: cl.CloudWatch, Scaling: cl.ApplicationAutoScaling})
	}
	sc := &inventory.Scanner{Collectors: inventory.DefaultCollectors(), Log: a.Log}
	res = sc.Scan(ctx, targets, &inventory.Env{Now: env.emu.Now(), JobLookback: inventory.DefaultJobLookback, Cache: inventory.NewMemCache(env.emu.Clock())})
	return acct, res, sources, nil
}

// demoScan shows what `sagesaver scan` finds in the demo fleet. The table
// (and Markdown) get a line of introduction and a line on what to do next;
// JSON and CSV are the bare documents, as scan writes them.
func demoScan(ctx context.Context, a *app, env *demoEnv) error {
	out := a.Stdio.Out
	acct, res, _, err := env.scan(ctx, a)
	if err != nil {
		return err
	}
	catalog, err := a.priceCatalog()
	if err != nil {
		return err
	}
	s := report.New(reportInput(res), catalog, []string{acct}, demoRegions, inventory.DefaultJobLookback)
	chatty := a.Cfg.Output == config.OutputTable || a.Cfg.Output == config.OutputMarkdown || a.Cfg.Output == ""
	if chatty {
		fmt.Fprintf(out, "sagesaver demo: a built-in AWS emulator at %s is playing a small ML team's account\n"+
			"(%s, %s). This is what `sagesaver scan` finds there and what it costs:\n\n", env.url, acct, strings.Join(demoRegions, " and "))
	}
	if err := report.Write(out, a.Cfg.Output, s); err != nil {
		return err
	}
	if chatty {
		fmt.Fprintf(out, "\nWhat next: run `sagesaver scan` with your own AWS credentials (read-only; add --region all for every region) to see your fleet.\n")
	}
	return partialError(len(s.Failures))
}

// demoAdvise shows what `sagesaver advise` recommends for the demo fleet,
// after the scan, in the table and Markdown outputs (JSON and CSV stay one
// document: the scan's).
func demoAdvise(ctx context.Context, a *app, env *demoEnv) error {
	if a.Cfg.Output != config.OutputTable && a.Cfg.Output != config.OutputMarkdown && a.Cfg.Output != "" {
		return nil
	}
	out := a.Stdio.Out
	_, res, sources, err := env.scan(ctx, a)
	if err != nil {
		return err
	}
	catalog, err := a.priceCatalog()
	if err != nil {
		return err
	}
	now := res.ScannedAt
	ev := advise.Gather(ctx, sources, res.Resources, now, advise.DefaultLookback, inventory.DefaultJobLookback)
	rec := advise.Advise(res.Resources, ev, catalog, advise.Options{Now: now, JobLookback: inventory.DefaultJobLookback})
	fmt.Fprintf(out, "\nAnd this is what `sagesaver advise` recommends (right-sizing, from CloudWatch and the price catalog):\n\n")
	return advise.Write(out, a.Cfg.Output, rec)
}
