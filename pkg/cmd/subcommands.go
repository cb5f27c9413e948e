package cmd

import (
	"context"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/output"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

func subcommands(root *netstatOptions) []*cobra.Command {
	return []*cobra.Command{newCmdNamespaces(root), newCmdContainers(root), newCmdAudit(root)}
}

// options is the shape of every (sub)command: Complete takes flags and
// arguments without I/O, Validate returns every usage error, Run does the work.
type options interface {
	Complete(cmd *cobra.Command, args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// runE is a command's RunE: Complete, Validate, then Run with the command's
// context (cancelled by SIGINT/SIGTERM).
func runE(o options) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(cmd, args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
}

// listOptions is what the `namespaces` and `containers` subcommands share:
// the root's --output/--host-root/--proc-root, and the host's inventory.
type listOptions struct {
	genericiooptions.IOStreams
	root      *netstatOptions
	name      string // the subcommand, for its usage errors
	args      []string
	format    output.Format
	formatErr error
}

// Complete takes the targets and the output format; no I/O.
func (o *listOptions) Complete(cmd *cobra.Command, args []string) error {
	o.name, o.args = cmd.Name(), args
	o.format, o.formatErr = output.ParseFormat(o.root.outputFormat)
	return nil
}

// Validate refuses targets (the commands list the whole host), a bad
// --output, a bad --proc-root/--host-root, and a client that cannot read
// its own node.
func (o *listOptions) Validate() error {
	if len(o.args) > 0 {
		return usagef("%s lists the whole host and takes no target (got %q); to read one namespace: kubectl-netstat %s -tulpn", o.name, o.args[0], o.args[0])
	}
	if !o.root.nodeLocal {
		return nodeLocal("listing this machine's namespaces and containers", "")
	}
	if o.formatErr != nil {
		return usage(o.formatErr)
	}
	fs, err := newFS(o.root.procRoot, o.root.hostRoot)
	if err != nil {
		return err
	}
	o.root.fs = fs
	return nil
}

// discover scans the host once, with its warnings noted.
func (o *listOptions) discover(ctx context.Context) (*inspect.Inventory, error) {
	inv, err := o.root.fs.DiscoverContext(ctx, inspect.DiscoverOptions{})
	if err != nil {
		return nil, err
	}
	n := newNotes(o.ErrOut, o.root.verbose, true, nil)
	n.discovery(inv)
	n.done()
	return inv, nil
}

// namespacesOptions is `kubectl-netstat namespaces`.
type namespacesOptions struct{ listOptions }

func newCmdNamespaces(root *netstatOptions) *cobra.Command {
	o := &namespacesOptions{listOptions{IOStreams: root.IOStreams, root: root}}
	return &cobra.Command{
		Use:     "namespaces",
		Aliases: []string{"netns", "ns"},
		Short:   "List every network namespace on this host with its owner, processes and socket count",
		Example: "  kubectl-netstat namespaces\n  kubectl-netstat namespaces --output json",
		Args:    cobra.ArbitraryArgs,
		RunE:    runE(o),
	}
}

// Run lists the namespaces with their socket counts.
func (o *namespacesOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	inv, err := o.discover(ctx)
	if err != nil {
		return err
	}
	// Every table, every state; -1 for a namespace that cannot be entered or read.
	counts := make(map[uint64]int, len(inv.Netns))
	mr := o.root.fs.NewMultiReader(ctx)
	defer mr.Close()
	err = mr.ReadAll(inv, inv.Netns, inspect.SocketQuery{
		Protos: []inspect.Proto{inspect.ProtoTCP, inspect.ProtoTCP6, inspect.ProtoUDP, inspect.ProtoUDP6,
			inspect.ProtoUDPLite, inspect.ProtoUDPLite6, inspect.ProtoRaw, inspect.ProtoRaw6, inspect.ProtoUnix},
		TCPStates: inspect.StatesAll, UDPStates: inspect.StatesAll,
	}, false, func(ns *inspect.Netns, res *inspect.SocketResult, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		counts[ns.Inode] = -1
		if err == nil {
			counts[ns.Inode] = len(res.Sockets)
		}
		return nil
	})
	if err != nil {
		return err
	}
	rows := make([]output.NamespaceRow, 0, len(inv.Netns))
	denied := 0
	for _, ns := range inv.Netns {
		n := counts[ns.Inode]
		if n < 0 && os.Geteuid() != 0 {
			denied++
		}
		rows = append(rows, output.NamespaceRow{Netns: ns, Sockets: n})
	}
	deniedNotice(o.ErrOut, o.root.fs, inv, denied, len(inv.Netns))
	switch o.format {
	case output.FormatJSON, output.FormatNDJSON:
		recs := make([]wire.NamespaceRecord, len(rows))
		for i, r := range rows {
			recs[i] = output.NewNamespaceRecord(r)
		}
		return writeRecords(o.Out, o.format, recs)
	}
	return output.WriteNamespaces(o.Out, rows)
}

// containersOptions is `kubectl-netstat containers`.
type containersOptions struct{ listOptions }

func newCmdContainers(root *netstatOptions) *cobra.Command {
	o := &containersOptions{listOptions{IOStreams: root.IOStreams, root: root}}
	return &cobra.Command{
		Use:     "containers",
		Aliases: []string{"ctr"},
		Short:   "List the containers found on this host (no runtime daemon needed)",
		Example: "  kubectl-netstat containers\n  kubectl-netstat containers --output json",
		Args:    cobra.ArbitraryArgs,
		RunE:    runE(o),
	}
}

// Run lists the containers.
func (o *containersOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	inv, err := o.discover(ctx)
	if err != nil {
		return err
	}
	switch o.format {
	case output.FormatJSON, output.FormatNDJSON:
		recs := make([]wire.ContainerListRecord, len(inv.Containers))
		for i, c := range inv.Containers {
			recs[i] = output.NewContainerListRecord(c)
		}
		return writeRecords(o.Out, o.format, recs)
	}
	return output.WriteContainers(o.Out, inv.Containers)
}

func writeRecords[T any](w interface{ Write([]byte) (int, error) }, f output.Format, recs []T) error {
	if f == output.FormatJSON {
		return wire.WriteJSON(w, recs)
	}
	for _, r := range recs {
		if err := wire.WriteNDJSON(w, r); err != nil {
			return err
		}
	}
	return nil
}
