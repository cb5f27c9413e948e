// Command kubectl-netstat is a container-aware netstat: run alone it prints
// exactly what net-tools netstat prints; as `kubectl netstat POD` or with
// container/pid/netns targets it reads other network namespaces.
package main

import (
	"os"

	"github.com/kubectl-netstat/kubectl-netstat/pkg/cmd"
)

func main() {
	os.Exit(cmd.Run(os.Args[1:], cmd.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}))
}
