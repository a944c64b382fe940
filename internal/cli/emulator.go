package cli

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/emulator"
	dash "github.com/sagesaver/sagesaver/internal/serve"
)

func newEmulatorCmd(a *app) *cobra.Command {
	var listen, scenarioPath string
	var allowRemote, noCBOR bool
	cmd := &cobra.Command{
		Use: "emulator",
		Example: `  sagesaver emulator --scenario demo
  sagesaver emulator --listen 127.0.0.1:4566 --scenario testdata/fleet.yaml
  aws --endpoint-url http://127.0.0.1:4566 sagemaker list-notebook-instances`,
		Short: "Serve the built-in AWS emulator (SageMaker, CloudWatch, SNS, STS) for tests and demos",
		Long: `Serve the built-in AWS emulator. Point any AWS client at it:

  sagesaver emulator --scenario demo &
  aws --endpoint-url http://127.0.0.1:4566 sagemaker list-notebook-instances
  sagesaver scan --endpoint-url http://127.0.0.1:4566

Credentials are not checked (any access key works; scenario access keys map
to accounts). The admin API under /_emulator/ advances the virtual clock,
loads scenarios and reads counters: see docs/emulator.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(listen)
			if err != nil {
				return root.UsageError("--listen %q: %v", listen, err)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) && !allowRemote {
				return root.UsageError("--listen %s is not a loopback address; the emulator accepts any credentials, so pass --allow-remote if you mean it", listen)
			}
			emu := emulator.New(emulator.Options{Logger: a.Log, NoCBOR: noCBOR, AdminHosts: adminHosts(host)})
			if scenarioPath != "" {
				sc, err := loadScenario(scenarioPath)
				if err != nil {
					return err
				}
				if err := emu.Load(sc); err != nil {
					return fmt.Errorf("load scenario %s: %w", scenarioPath, err)
				}
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdio.Err, "sagesaver emulator listening on http://%s (virtual time %s)\n", ln.Addr(), emu.Now().Format(time.RFC3339))
			return dash.Run(cmd.Context(), ln, &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:4566", "address to listen on")
	cmd.Flags().StringVar(&scenarioPath, "scenario", "", "scenario file to load, or the name of a bundled one (demo)")
	cmd.Flags().BoolVar(&allowRemote, "allow-remote", false, "allow listening on a non-loopback address")
	cmd.Flags().BoolVar(&noCBOR, "no-cbor", false, "answer as an AWS-compatible endpoint without CloudWatch's RPC v2 CBOR protocol (404 to CBOR requests)")
	return cmd
}

// adminHosts are the hosts, besides loopback ones, that the admin API
// answers to when the emulator listens on host: host itself, or every
// address of this machine when host is a wildcard (0.0.0.0, ::).
func adminHosts(host string) []string {
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsUnspecified() {
		return []string{host}
	}
	var hosts []string
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				hosts = append(hosts, n.IP.String())
			}
		}
	}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	return hosts
}

// loadScenario reads a scenario file, or a bundled scenario by name.
func loadScenario(path string) (*emulator.Scenario, error) {
	if !strings.ContainsAny(path, "/.") {
		if _, err := os.Stat(path); err != nil {
			return emulator.Bundled(path)
		}
	}
	data, err := config.ReadLimited(path, emulator.ScenarioLimits.MaxBytes)
	if err != nil {
		return nil, config.ReadError(path, err)
	}
	return emulator.ParseScenario(path, data)
}
