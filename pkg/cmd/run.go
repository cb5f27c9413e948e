package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/output"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// nsView is one network namespace to print.
type nsView struct {
	netns *inspect.Netns // nil when no discovery ran
	// r reads the namespace: the viewSet's MultiReader keeps it open across
	// -c refreshes; an exec view owns its own.
	r *inspect.NetReader

	// Set for a pod read by exec: its /proc/net copied into a temporary tree.
	exec      bool
	procOnly  bool
	remote    bool // sockets belong to another host: no local process attribution
	container *inspect.Container
	tmpDir    string
	label     string
}

// nameLookupTimeout bounds one reverse lookup; the resolver also has an overall budget.
const nameLookupTimeout = 2 * time.Second

// Run prints the selected tables once, or every -c SECONDS until ctx ends.
func (o *netstatOptions) Run(ctx context.Context) error {
	switch o.mode {
	case modeHelp:
		return o.cmdHelp()
	case modeVersion:
		o.printVersion()
		return nil
	}
	if o.masquerade {
		return problemf("no support for `ip_masquerade' on this system.")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	sc, err := o.newViewSet(ctx)
	if err != nil {
		return err
	}
	defer sc.close()

	w := bufio.NewWriterSize(o.Out, 64<<10)
	defer w.Flush()
	for iter := 0; ; iter++ {
		err := o.once(w, sc, iter)
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		if err != nil || o.continuous == 0 || o.mode == modeStatistics {
			return err
		}
		t := time.NewTimer(time.Duration(o.continuous) * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// multi reports whether several namespaces are (or may be) printed, each
// under its "# netns" line.
func (sc *viewSet) multi(o *netstatOptions) bool {
	return len(sc.views)+len(sc.remote) > 1 || o.allContainers || o.agentLines
}

// once prints one complete refresh for every selected namespace.
func (o *netstatOptions) once(w *bufio.Writer, sc *viewSet, iter int) error {
	if err := sc.refresh(o); err != nil {
		return err
	}
	if sc.peers != nil {
		if err := sc.peers.refresh(o, sc.inv); err != nil {
			return err
		}
	}
	if o.continuous > 0 && o.format.IsJSON() {
		o.stamp = time.Now().UTC().Format(time.RFC3339)
	}
	// netstat prints its -p notice once per refresh, before the tables.
	if o.mode == modeSockets && o.format == output.FormatText && o.flags.Programs && sc.procs != nil && sc.procs.Denied {
		if !sc.procs.SocketsRecorded() {
			fmt.Fprintf(o.ErrOut, "(No info could be read for \"-p\": geteuid()=%d but you should be root.)\n", os.Geteuid())
		} else {
			fmt.Fprint(o.ErrOut, "(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n")
		}
	}
	multi := sc.multi(o)
	out := &collected{}
	// printView prints view k under its "# netns" line and streams its rows.
	printView := func(k int, print func(v *nsView) error) error {
		v := sc.views[k]
		if err := sc.ctx.Err(); err != nil {
			// Interrupted: end a JSON array so the output so far parses.
			if o.format == output.FormatJSON && out.json.Len() > 0 {
				out.json.Close(w)
			}
			return err
		}
		if multi && o.format == output.FormatText {
			if v.label != "" {
				fmt.Fprintln(w, v.label)
			} else {
				fmt.Fprintln(w, netnsLine(v.netns))
			}
		}
		if err := print(v); err != nil {
			if o.format == output.FormatJSON && out.json.Len() > 0 {
				out.json.Close(w)
			}
			return err
		}
		return out.flush(w, o.format)
	}
	if o.mode == modeSockets {
		// Read ahead of the renderer (MultiReader.Sockets), rendered in order.
		rs := make([]*inspect.NetReader, len(sc.views))
		for k, v := range sc.views {
			rs[k] = v.r
		}
		err := sc.mr.Sockets(rs, func(k int) inspect.SocketQuery { return o.viewQuery(sc.views[k]) },
			func(k int, res *inspect.SocketResult, err error) error {
				return printView(k, func(v *nsView) error { return o.printSocketResult(w, sc, v, out, res, err) })
			})
		sc.noteSockets(o)
		if err != nil {
			return err
		}
	} else {
		for k := range sc.views {
			err := printView(k, func(v *nsView) error {
				switch o.mode {
				case modeRoute:
					return o.printRoutes(w, sc, v, out)
				case modeInterfaces:
					return o.printInterfaces(w, sc, v, iter, out)
				case modeStatistics:
					return o.printStatistics(w, sc, v, out)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	// Pods on other nodes come last, through their agents.
	for _, rp := range sc.remote {
		if err := o.printAgent(sc.ctx, w, rp, out, multi); err != nil {
			return err
		}
		if err := out.flush(w, o.format); err != nil {
			return err
		}
	}
	switch o.format {
	case output.FormatJSON:
		return out.json.Close(w)
	case output.FormatWide:
		// Rows went out namespace by namespace; this writes the header of an empty table.
		return out.wideTo(w, o, sc).Flush()
	}
	return nil
}

// flush writes the records gathered for one namespace. JSON and NDJSON
// stream one namespace at a time, so memory is bounded by the largest
// namespace, not the host.
func (c *collected) flush(w io.Writer, f output.Format) error {
	var err error
	switch f {
	case output.FormatJSON:
		for _, r := range c.records {
			if err = c.json.Add(w, r); err != nil {
				break
			}
		}
	case output.FormatNDJSON:
		for _, r := range c.records {
			if err = wire.WriteNDJSON(w, r); err != nil {
				break
			}
		}
	case output.FormatWide:
		if c.wide != nil {
			err = c.wide.Flush()
		}
	}
	clear(c.records)
	c.records = c.records[:0]
	return err
}

// collected gathers the rows of non-text formats per namespace; once
// streams them out after each namespace.
type collected struct {
	json    wire.Array
	records []any
	wide    *output.WideWriter
}

// wideTo is the run's wide table, started on first use.
func (c *collected) wideTo(w io.Writer, o *netstatOptions, sc *viewSet) *output.WideWriter {
	if c.wide == nil {
		c.wide = output.NewWideWriter(w, o.flags, sc.names)
	}
	return c.wide
}

// protoOrder is netstat's table order.
func (o *netstatOptions) socketQuery() inspect.SocketQuery {
	q := inspect.SocketQuery{ProcOnly: o.procOnly, Timers: o.flags.Timers}
	q.Protos = append(q.Protos, o.sel.tcpTables...)
	if o.sel.unixTable {
		q.Protos = append(q.Protos, inspect.ProtoUnix)
	}
	switch {
	case o.flags.All:
		q.TCPStates, q.UDPStates = inspect.StatesAll, inspect.StatesAll
	case o.flags.Listening:
		q.TCPStates, q.UDPStates = inspect.StatesListen, inspect.StatesUDPUnconnected
	default:
		q.TCPStates, q.UDPStates = inspect.StatesNotListen, inspect.StatesAll&^inspect.StatesUDPUnconnected
	}
	return q
}

// viewQuery is the query for one view: a pod read by exec has only /proc/net text.
func (o *netstatOptions) viewQuery(v *nsView) inspect.SocketQuery {
	q := o.socketQuery()
	q.ProcOnly = q.ProcOnly || v.procOnly
	return q
}

// afName is netstat's "no support" family label of a table.
func afName(p inspect.Proto) string {
	switch {
	case p.IsTCP():
		return "AF INET (tcp)"
	case p == inspect.ProtoUDP || p == inspect.ProtoUDP6:
		return "AF INET (udp)"
	case p == inspect.ProtoUDPLite || p == inspect.ProtoUDPLite6:
		return "AF INET (udplite)"
	case p.IsRaw():
		return "AF INET (raw)"
	}
	return "AF UNIX"
}

func (o *netstatOptions) printSocketResult(w *bufio.Writer, sc *viewSet, v *nsView, out *collected, res *inspect.SocketResult, err error) error {
	if err != nil {
		return o.nsErr(v, err)
	}
	if sc.lazyOwners {
		sc.resolveOwners(v, res.Sockets, o.flags)
	}
	for p, n := range res.Bogus {
		for i := 0; i < n; i++ {
			fmt.Fprintf(o.ErrOut, "warning, got bogus %s line.\n", bogusName(p))
		}
	}
	text := o.format == output.FormatText
	var missing error
	explicit := o.sel.explicit && !o.sel.implicit
	for _, p := range res.Missing {
		if p.IsV6() && p != inspect.ProtoUnix {
			continue
		}
		if explicit || o.flags.Verbose {
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: no support for `%s' on this system.\n", afName(p))
		}
		if explicit && missing == nil {
			missing = errSilent()
		}
	}
	if text && o.sel.internetHeader {
		output.InetHeader(w, o.flags)
	}
	unixHeader := false
	var rw *output.RowWriter
	if text {
		rw = output.NewRowWriter(w, o.flags, sc.names)
	}
	// SCTP comes after TCP in netstat's order; asked for explicitly on a
	// kernel without it, netstat stops there with status 1.
	sctpChecked := !o.sctp || o.sel.implicit
	sctpMissing := func() error {
		sctpChecked = true
		if _, err := os.Stat(o.fs.Proc("net", "sctp", "eps")); err == nil {
			return nil
		}
		w.Flush()
		fmt.Fprintf(o.ErrOut, "kubectl-netstat: no support for `AF INET (sctp)' on this system.\n")
		return errSilent()
	}
	for i := range res.Sockets {
		s := &res.Sockets[i]
		if !sctpChecked && !s.Proto.IsTCP() {
			if err := sctpMissing(); err != nil {
				return err
			}
		}
		if s.Proto == inspect.ProtoUnix {
			if text && !unixHeader {
				output.UnixHeader(w, o.flags)
				unixHeader = true
			}
			if !output.UnixSelected(s, o.flags) {
				continue
			}
		} else if !output.InetSelected(s, o.flags) {
			continue
		}
		if sc.procs != nil && !v.remote {
			s.Owner = sc.procs.Owner(s.Inode)
		}
		if !o.keepContainerRow(sc, v, s) {
			continue
		}
		switch o.format {
		case output.FormatWide:
			out.wideTo(w, o, sc).Add(output.WideRow{Socket: s, Netns: v.netns, Container: sc.containerOf(v, s), Foreign: sc.peers.lookup(s, false)})
			continue
		case output.FormatJSON, output.FormatNDJSON:
			rec := output.NewSocketRecord(s, v.netns, sc.containerOf(v, s))
			rec.Time = o.stamp
			rec.ForeignPeer, rec.LocalPeer = output.NewPeerRecord(sc.peers.lookup(s, false)), output.NewPeerRecord(sc.peers.lookup(s, true))
			out.records = append(out.records, rec)
			continue
		}
		if s.Proto == inspect.ProtoUnix {
			rw.Unix(s)
		} else {
			rw.Inet(s)
		}
	}
	if !sctpChecked {
		if err := sctpMissing(); err != nil {
			return err
		}
	}
	if text && o.sel.unixTable && !unixHeader {
		output.UnixHeader(w, o.flags)
	}
	return missing
}

func bogusName(p inspect.Proto) string {
	switch {
	case p.IsTCP():
		return "tcp"
	case p.IsRaw():
		return "raw"
	case p == inspect.ProtoUnix:
		return "unix"
	}
	return "udp"
}

// nsErr names the namespace in an error from reading it.
func (o *netstatOptions) nsErr(v *nsView, err error) error {
	if v.netns == nil {
		return err
	}
	return fmt.Errorf("netns %d: %w", v.netns.Inode, err)
}

// cmdHelp prints the command's help on stdout, like netstat -h.
func (o *netstatOptions) cmdHelp() error {
	c := newRootCmd(newNetstatOptions(o.IOStreams))
	c.SetOut(o.Out)
	return c.Help()
}
