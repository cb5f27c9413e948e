package cmd

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/output"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// listOptions serves the `namespaces` and `containers` subcommands.
type listOptions struct {
	IOStreams
	root   *netstatOptions
	format output.Format
	inv    *inspect.Inventory
}

func subcommands(root *netstatOptions) []*cobra.Command {
	return []*cobra.Command{newCmdNamespaces(root), newCmdContainers(root), newCmdAudit(root)}
}

// complete parses the shared --output/--host-root/--proc-root flags and runs discovery.
func (o *listOptions) complete(ctx context.Context, sockets bool) error {
	if !o.root.nodeLocal {
		return &exitError{code: exitProblem, msg: "listing this machine's namespaces and containers " + nodeLocalHint()}
	}
	f, err := output.ParseFormat(o.root.outputFormat)
	if err != nil {
		return usagef("%v", err)
	}
	o.format = f
	fs, err := newFS(o.root.procRoot, o.root.hostRoot)
	if err != nil {
		return err
	}
	o.root.fs = fs
	if ctx == nil {
		ctx = context.Background()
	}
	inv, err := fs.DiscoverContext(ctx, inspect.DiscoverOptions{Sockets: sockets})
	if err != nil {
		return err
	}
	o.inv = inv
	n := newNotes(o.ErrOut, o.root.verbose, true, nil)
	n.discovery(inv)
	n.done()
	return nil
}

func newCmdNamespaces(root *netstatOptions) *cobra.Command {
	o := &listOptions{IOStreams: root.IOStreams, root: root}
	return &cobra.Command{
		Use:     "namespaces",
		Aliases: []string{"netns", "ns"},
		Short:   "List every network namespace on this host with its owner, processes and socket count",
		Example: "  kubectl-netstat namespaces\n  kubectl-netstat namespaces --output json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd.Context(), false); err != nil {
				return err
			}
			rows := make([]output.NamespaceRow, 0, len(o.inv.Netns))
			denied := 0
			for _, ns := range o.inv.Netns {
				if err := cmd.Context().Err(); err != nil {
					return err
				}
				n := countSockets(cmd.Context(), o.root, o.inv, ns)
				if n < 0 && os.Geteuid() != 0 {
					denied++
				}
				rows = append(rows, output.NamespaceRow{Netns: ns, Sockets: n})
			}
			deniedNotice(o.ErrOut, o.root.fs, o.inv, denied, len(o.inv.Netns))
			switch o.format {
			case output.FormatJSON, output.FormatNDJSON:
				recs := make([]wire.NamespaceRecord, len(rows))
				for i, r := range rows {
					recs[i] = output.NewNamespaceRecord(r)
				}
				return writeRecords(o.Out, o.format, recs)
			}
			return output.WriteNamespaces(o.Out, rows)
		},
	}
}

func newCmdContainers(root *netstatOptions) *cobra.Command {
	o := &listOptions{IOStreams: root.IOStreams, root: root}
	return &cobra.Command{
		Use:     "containers",
		Aliases: []string{"ctr"},
		Short:   "List the containers found on this host (no runtime daemon needed)",
		Example: "  kubectl-netstat containers\n  kubectl-netstat containers --output json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(cmd.Context(), false); err != nil {
				return err
			}
			switch o.format {
			case output.FormatJSON, output.FormatNDJSON:
				recs := make([]wire.ContainerListRecord, len(o.inv.Containers))
				for i, c := range o.inv.Containers {
					recs[i] = output.NewContainerListRecord(c)
				}
				return writeRecords(o.Out, o.format, recs)
			}
			return output.WriteContainers(o.Out, o.inv.Containers)
		},
	}
}

// noArgs is cobra.NoArgs as a usage error (exit 2), naming the way to read one namespace.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s lists the whole host and takes no target (got %q); to read one namespace: kubectl-netstat %s -tulpn", cmd.Name(), args[0], args[0])
	}
	return nil
}

// countSockets counts a namespace's sockets of every table, -1 when it cannot be entered.
func countSockets(ctx context.Context, o *netstatOptions, inv *inspect.Inventory, ns *inspect.Netns) int {
	h, err := openReadable(inv, ns)
	if err != nil {
		return -1
	}
	defer h.Close()
	r := o.fs.NewNetReaderContext(ctx, h)
	defer r.Close()
	res, err := r.Sockets(inspect.SocketQuery{
		Protos: []inspect.Proto{inspect.ProtoTCP, inspect.ProtoTCP6, inspect.ProtoUDP, inspect.ProtoUDP6,
			inspect.ProtoUDPLite, inspect.ProtoUDPLite6, inspect.ProtoRaw, inspect.ProtoRaw6, inspect.ProtoUnix},
		TCPStates: inspect.StatesAll, UDPStates: inspect.StatesAll,
	})
	if err != nil {
		return -1
	}
	return len(res.Sockets)
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
