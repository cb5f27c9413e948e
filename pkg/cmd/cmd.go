package cmd

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// version is set at build time with
// -ldflags "-X github.com/kubectl-netstat/kubectl-netstat/pkg/cmd.version=…".
var version = "v0.1.0-dev"

// newRootCmd builds the root command and its subcommands around o.
func newRootCmd(o *netstatOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubectl-netstat [TARGET...] [netstat flags]",
		Short: "netstat for containers, pods and network namespaces",
		Long: `kubectl-netstat prints network connections, routing tables, interface statistics
and protocol statistics exactly as net-tools netstat does, for the current network
namespace or for containers, pods and namespaces on this host.

Targets: POD or pod/NAME, container/NAME-OR-ID, pid/PID, netns/PATH-OR-INODE.
Single-letter flags mean what they mean to netstat; Kubernetes flags are long-only.`,
		Example: `  # netstat's habits, unchanged
  kubectl-netstat -tulpn
  kubectl-netstat -rn
  kubectl-netstat -c 5 -tan

  # one container's namespace, every container on the node
  kubectl-netstat container/nginx -tulpn
  kubectl-netstat --all-containers -tulpn
  kubectl-netstat --all-containers -tlpn -o json`,
		SilenceUsage:          true,
		SilenceErrors:         true,
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.pre.err != nil {
				return o.pre.err
			}
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.SetOut(o.Out)
	cmd.SetErr(o.ErrOut)
	o.addFlags(cmd.Flags())
	o.addPersistentFlags(cmd.PersistentFlags())
	o.registerCompletions(cmd)
	// Our -h flag replaces cobra's; help text goes to stdout like netstat -h.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	cmd.AddCommand(subcommands(o)...)
	return cmd
}

// flagError turns pflag's messages into netstat-like one-line usage errors.
func flagError(err error) error {
	var ne *pflag.NotExistError
	switch {
	case errors.As(err, &ne) && ne.GetSpecifiedShortnames() != "":
		return usagef("invalid option -- %q; see 'kubectl-netstat --help'", rune(ne.GetSpecifiedName()[0]))
	case errors.As(err, &ne):
		return usagef("unrecognized option '--%s'; see 'kubectl-netstat --help'", ne.GetSpecifiedName())
	}
	return usagef("%w; see 'kubectl-netstat --help'", err)
}

// NewCmdNetstat builds the kubectl-netstat command for the command line in
// os.Args, the way k8s.io/sample-cli-plugin's NewCmdNamespace does: main
// only executes it. netstat's spellings that pflag cannot parse (-c 5,
// -o json, the ordered -A list) are rewritten first; Execute reports a bad
// one as a usage error.
func NewCmdNetstat(streams genericiooptions.IOStreams) *cobra.Command {
	return newCommand(newNetstatOptions(streams), os.Args[1:])
}

// newCommand is NewCmdNetstat for the command line args (without the
// program name).
func newCommand(o *netstatOptions, args []string) *cobra.Command {
	o.pre = preprocess(args)
	o.ko.RawArgs = args
	cmd := newRootCmd(o)
	if o.pre.err != nil {
		// The root command reports it before any flag is parsed.
		cmd.SetArgs([]string{})
	} else {
		cmd.SetArgs(o.pre.args)
	}
	return cmd
}

func (o *netstatOptions) printVersion() {
	fmt.Fprintf(o.Out, "kubectl-netstat %s\nnet-tools netstat 2.10 compatible output\n", version)
}
