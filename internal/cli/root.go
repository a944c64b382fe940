// Package cli wires sagesaver's subcommands: one file per subcommand, flag
// parsing and output only; the work itself lives in the packages it calls.
// The root command, the global flags and the exit codes are in
// internal/cli/root, shared with the agent build; the agent's commands are in
// internal/cli/agentcmd.
package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/cli/agentcmd"
	"github.com/sagesaver/sagesaver/internal/cli/root"
)

// Stdio is where a command reads and writes: results to Out, logs and
// progress to Err.
type Stdio = root.Stdio

// app is the state shared by all subcommands (root.App); the methods the
// full CLI's commands share are defined on it here.
type app struct{ *root.App }

// Run executes sagesaver with args (without the program name) and returns
// the process exit code.
func Run(ctx context.Context, args []string, stdio Stdio) int {
	return run(ctx, &app{root.New(stdio)}, args)
}

// run executes sagesaver with a prepared app (tests set its clock).
func run(ctx context.Context, a *app, args []string) int {
	return a.Execute(ctx, newRoot(a), args)
}

func newRoot(a *app) *cobra.Command {
	cmd := a.Command("Find, price and safely remove idle Amazon SageMaker resources",
		`sagesaver finds what your SageMaker account pays for and nobody uses:
notebook instances and Studio apps left running, endpoints nobody calls,
GPUs where CPUs would do. It prices that waste and, where a policy says so,
removes it safely (dry-run by default, every action audited and undoable).

Try it without an AWS account:  sagesaver demo`)
	cmd.Example = `  sagesaver demo
  sagesaver --region us-east-1,eu-west-1 scan
  sagesaver plan -f examples/policies/idle-endpoints-notify.yaml
  sagesaver apply -f examples/policies/idle-endpoints-notify.yaml --yes`
	cmd.AddCommand(
		newEmulatorCmd(a),
		newDemoCmd(a),
		newAdviseCmd(a),
		newPricingCmd(a),
		agentcmd.New(a.App),
		newLifecycleCmd(a),
		newScheduleCmd(a),
		newScanCmd(a),
		newPlanCmd(a),
		newApplyCmd(a),
		newRestoreCmd(a),
		newHistoryCmd(a),
		newStateCmd(a),
		newRunCmd(a),
		newServeCmd(a),
		newIAMCmd(a),
		newDeployCmd(a),
	)
	return cmd
}
