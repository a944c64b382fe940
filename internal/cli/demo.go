package cli

import (
	"context"
	"fmt"
	"io"
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
	"github.com/sagesaver/sagesaver/internal/resource"
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
		writeForgotten(out, s)
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

// writeForgotten tells the part of the demo's scan that no console page
// lists beside the rest (issue 17): Canvas sessions, MLflow tracking
// servers, HyperPod clusters and Studio space volumes, what each bills for,
// and, when their prices are unknown, how to fill them. It writes nothing
// when the scan found none.
func writeForgotten(w io.Writer, s *report.Scan) {
	var lines []string
	unknown := false
	groups := map[string][]string{} // HyperPod cluster -> "2 x ml.g5.8xlarge (gpu-workers)"
	var clusters []string
	volumes, gb := 0, 0
	for _, l := range s.Lines {
		r := l.Resource
		switch r.Kind {
		case resource.CanvasApp, resource.MLflowTrackingServer, resource.HyperPodCluster, resource.SpaceStorage:
			if !l.Monthly.Known {
				unknown = true
			}
		}
		switch r.Kind {
		case resource.CanvasApp:
			lines = append(lines, fmt.Sprintf("Canvas session %s (%s, %s): bills every session-hour until the app is deleted, used or not.", r.Name, r.Region, r.Status))
		case resource.MLflowTrackingServer:
			what := "bills every hour it runs; stopped, it bills nothing"
			if !r.Running {
				what = "stopped: listed, bills nothing"
			}
			lines = append(lines, fmt.Sprintf("MLflow tracking server %s (%s, %s, %s): %s.", r.Name, r.Size, r.Region, r.Status, what))
		case resource.HyperPodCluster:
			key := r.Region + "/" + r.Name
			if _, ok := groups[key]; !ok {
				clusters = append(clusters, key)
			}
			groups[key] = append(groups[key], fmt.Sprintf("%d x %s (%s)", r.InstanceCount, r.InstanceType, r.Variant))
		case resource.SpaceStorage:
			volumes++
			gb += r.VolumeGB
		}
	}
	for _, c := range clusters {
		region, name, _ := strings.Cut(c, "/")
		lines = append(lines, fmt.Sprintf("HyperPod cluster %s (%s): %s, every node every hour, busy or not.", name, region, strings.Join(groups[c], ", ")))
	}
	if volumes > 0 {
		lines = append(lines, fmt.Sprintf("Studio space volumes: %d spaces, %d GB in all, billed while the spaces exist, apps running or not.", volumes, gb))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\nThe costs teams forget, because no console page lists them beside the rest:\n")
	for _, l := range lines {
		fmt.Fprintf(w, "  - %s\n", l)
	}
	if unknown {
		fmt.Fprintf(w, "Their prices are not in the embedded price snapshot, so they show as unknown, never $0:\n"+
			"`sagesaver pricing refresh` fetches them from the AWS Price List API.\n")
	}
}
