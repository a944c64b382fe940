// Command sagesaver-agent is the agent build of sagesaver: the same
// `sagesaver agent` commands (run, status, keepalive) and `version`, without
// the rest of the CLI. It is what lifecycle scripts install on notebook
// instances and Studio apps, where it runs all day: leaving out the other
// service clients, the store and the emulator keeps it under the agent's
// memory budget (BENCHMARKS.md). It is installed under the name sagesaver,
// so that `sagesaver agent status` reads the same on an instance as in the
// docs.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sagesaver/sagesaver/internal/cli/agentcmd"
	"github.com/sagesaver/sagesaver/internal/cli/root"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := root.New(root.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	cmd := a.Command("sagesaver's agent build: stop this notebook instance or Studio app when idle",
		`This is the agent build of sagesaver, installed on notebook instances and
Studio apps by the script 'sagesaver lifecycle render' prints. It has the
agent commands only; scan, plan, apply and the rest are in the full
sagesaver binary. See docs/agent.md.`)
	// The global flags that only the full CLI's commands read.
	for _, name := range []string{"region", "cloudwatch-protocol", "state"} {
		_ = cmd.PersistentFlags().MarkHidden(name)
	}
	cmd.AddCommand(agentcmd.New(a))
	code := a.Execute(ctx, cmd, os.Args[1:])
	stop()
	os.Exit(code)
}
