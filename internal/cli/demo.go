package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/awsapi"
	"github.com/sagesaver/sagesaver/internal/emulator"
)

func newDemoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run sagesaver against the built-in emulator and a demo fleet (no AWS account needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
	cfg, err := awsapi.LoadConfig(ctx, awsapi.Options{
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
	out := a.stdio.Out
	fmt.Fprintf(out, "sagesaver demo: the built-in AWS emulator is serving a demo fleet at %s\n\n", env.url)
	sm := awsapi.NewClients(env.cfg, "us-east-1", false).SageMaker
	p := sagemaker.NewListNotebookInstancesPaginator(sm, &sagemaker.ListNotebookInstancesInput{})
	fmt.Fprintf(out, "Notebook instances in us-east-1:\n")
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, n := range page.NotebookInstances {
			fmt.Fprintf(out, "  %-24s %-14s %s\n", aws.ToString(n.NotebookInstanceName), n.InstanceType, n.NotebookInstanceStatus)
		}
	}
	return nil
}
