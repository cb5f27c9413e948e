// Command kubectl-netstat is a container-aware netstat: run alone it prints
// exactly what net-tools netstat prints; as `kubectl netstat POD` or with
// container/pid/netns targets it reads other network namespaces.
package main

import (
	"context"
	"os"
	"os/signal"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netstat/kubectl-netstat/pkg/cmd"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	root := cmd.NewCmdNetstat(streams)
	sigs := cmd.WatchSignals()
	ctx, stop := signal.NotifyContext(context.Background(), cmd.StopSignals...)
	code := sigs.ExitCode(ctx, root.ExecuteContext(ctx), streams.ErrOut)
	stop()
	sigs.Stop()
	os.Exit(code)
}
