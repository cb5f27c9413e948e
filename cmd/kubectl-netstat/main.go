// Command kubectl-netstat is a container-aware netstat: run alone it prints
// exactly what net-tools netstat prints; as `kubectl netstat POD` or with
// container/pid/netns targets it reads other network namespaces.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	_ "github.com/kubectl-netstat/kubectl-netstat/internal/btfwarm" // initialised before the k8s.io packages
	"github.com/kubectl-netstat/kubectl-netstat/pkg/cmd"
)

func main() {
	// A run is short and its live heap a few MiB: collecting at 5x the
	// live heap instead of 2x saves about 8% of a host-wide run's CPU
	// (paired runs, 50 namespaces), and the soft limit keeps the heap of
	// a large host bounded. GOGC and GOMEMLIMIT in the environment win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	root := cmd.NewCmdNetstat(streams)
	sigs := cmd.WatchSignals()
	ctx, stop := signal.NotifyContext(context.Background(), cmd.StopSignals...)
	code := sigs.ExitCode(ctx, root.ExecuteContext(ctx), streams.ErrOut)
	stop()
	sigs.Stop()
	os.Exit(code)
}
