package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/audit/report"
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/output"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// auditOptions holds the flags of `kubectl-netstat audit`.
type auditOptions struct {
	genericiooptions.IOStreams
	root       *netstatOptions
	args       []string
	policyPath string
	unix       bool
	watch      int
	watchSet   bool
	// deniedNoticed: the non-root notice was printed.
	deniedNoticed bool
	tcpOnly       bool
	udpOnly       bool
	declared      bool
	allNodes      bool
	nodes         []string

	format    output.Format
	formatErr error
	policy    *audit.Policy
	// peers (audit_peers.go) counts who is connected to each listener.
	peers auditPeers
}

func newCmdAudit(root *netstatOptions) *cobra.Command {
	o := &auditOptions{IOStreams: root.IOStreams, root: root}
	cmd := &cobra.Command{
		Use:   "audit [flags]",
		Short: "List every listening socket of every container on this host, checked against a policy",
		Long: `audit lists one row per listening socket (TCP LISTEN, unconnected UDP and, with -x,
UNIX listeners) of every network namespace on this host, with its runtime, pod,
container, process, address, port and exposure. With --policy FILE each listener is
checked against ordered allow/deny rules.

Exit status: 0 every listener allowed (or no policy), 1 violations, 2 bad policy or usage.`,
		Example: `  kubectl-netstat audit
  kubectl-netstat audit --policy node-policy.yaml
  kubectl-netstat audit --policy node-policy.yaml --output json
  kubectl-netstat audit --watch 5 --output ndjson
  kubectl-netstat audit --declared
  kubectl netstat audit --all-nodes --policy cluster-policy.yaml --output json`,
		Args: cobra.ArbitraryArgs,
		RunE: runE(o),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.policyPath, "policy", "", "YAML policy file of ordered allow/deny rules")
	fs.BoolVarP(&o.unix, "unix", "x", false, "include UNIX listening sockets")
	fs.BoolVarP(&o.tcpOnly, "tcp", "t", false, "only TCP listeners")
	fs.BoolVarP(&o.udpOnly, "udp", "u", false, "only UDP listeners")
	fs.IntVar(&o.watch, "watch", 0, "re-audit every SECONDS and print only listeners that opened or closed")
	fs.Lookup("watch").NoOptDefVal = "2"
	fs.BoolVar(&o.declared, "declared", false, "compare with the pods' declared containerPorts and probe ports (needs the Kubernetes API): report undeclared listeners and declared ports nobody listens on")
	fs.BoolVar(&o.allNodes, "all-nodes", false, "audit every node of the cluster through short-lived agent pods (node/NAME audits one)")
	root.ko.AddFlags(fs)
	return cmd
}

// Complete takes the node targets and the output format; no I/O.
func (o *auditOptions) Complete(cmd *cobra.Command, args []string) error {
	o.args = args
	o.nodes = o.nodes[:0]
	for _, a := range args {
		if t, ok := kube.ParseTarget(a); ok && t.Kind == kube.TargetNode {
			o.nodes = append(o.nodes, t.Name)
		}
	}
	o.watchSet = cmd.Flags().Changed("watch")
	f, err := output.ParseFormat(o.root.outputFormat)
	if f == output.FormatWide {
		f = output.FormatText
		o.peers.wide = true
	}
	o.format, o.formatErr = f, err
	return nil
}

// Validate reports bad targets, flags and policies (exit 2) and a
// node-local audit on a client that cannot read its node (exit 1); it
// loads the policy.
func (o *auditOptions) Validate() error {
	for _, a := range o.args {
		if t, ok := kube.ParseTarget(a); !ok || t.Kind != kube.TargetNode {
			return usagef("audit takes node/NAME targets, not %q", a)
		}
	}
	if o.formatErr != nil {
		return usage(o.formatErr)
	}
	fs, err := newFS(o.root.procRoot, o.root.hostRoot)
	switch {
	case err != nil && o.root.nodeLocal:
		return err
	case !o.root.nodeLocal && !o.allNodes && len(o.nodes) == 0:
		return nodeLocal("audit of this machine", "; or use audit --all-nodes / node/NAME")
	case err != nil:
		fs = inspect.FS{ProcRoot: o.root.procRoot, HostRoot: o.root.hostRoot} // --all-nodes reads no local /proc
	}
	o.root.fs = fs
	if o.watchSet && (o.watch < 1 || o.watch > maxSeconds) {
		return badSeconds("--watch", strconv.Itoa(o.watch))
	}
	if o.policyPath != "" {
		p, err := audit.LoadPolicy(o.policyPath)
		if err != nil {
			if errors.Is(err, audit.ErrBadPolicy) {
				return usage(err)
			}
			return usagef("--policy: %w", err)
		}
		o.policy = p
	}
	if (o.allNodes || len(o.nodes) > 0) && (o.watch > 0 || o.declared) {
		return usagef("--watch and --declared are node-local; drop them with --all-nodes or node/NAME")
	}
	return nil
}

// scan reads every namespace's listeners once.
func (o *auditOptions) scan(ctx context.Context) ([]audit.Listener, error) {
	ls, _, err := o.scanInventory(ctx)
	return ls, err
}

// scanInventory is scan that also returns the host inventory.
func (o *auditOptions) scanInventory(ctx context.Context) ([]audit.Listener, *inspect.Inventory, error) {
	var protos []inspect.Proto
	if !o.udpOnly || o.tcpOnly {
		protos = append(protos, inspect.ProtoTCP, inspect.ProtoTCP6)
	}
	if !o.tcpOnly || o.udpOnly {
		protos = append(protos, inspect.ProtoUDP, inspect.ProtoUDP6, inspect.ProtoUDPLite, inspect.ProtoUDPLite6)
	}
	if o.unix {
		protos = append(protos, inspect.ProtoUnix)
	}
	q := inspect.SocketQuery{Protos: protos, TCPStates: inspect.StatesListen, UDPStates: inspect.StatesUDPUnconnected}
	if o.peers.on {
		q.TCPStates |= uint32(1) << inspect.TCPEstablished
	}
	inv, err := o.root.fs.DiscoverContext(ctx, inspect.DiscoverOptions{Sockets: true, WalkFor: &q})
	if err != nil {
		return nil, nil, err
	}
	notes := newNotes(o.ErrOut, o.root.verbose, true, nil)
	notes.discovery(inv)
	defer notes.done()
	if o.peers.on {
		o.peers.start(o, inv)
	}
	// Read on MultiReaders workers (the dumps are kernel work, and each
	// open enters the namespace on a fresh thread); results are used in
	// namespace order, so warnings and rows come out as before.
	var ls []audit.Listener
	mr := o.root.fs.NewMultiReader(ctx)
	defer mr.Close()
	err = mr.ReadAll(inv, inv.Netns, q, true, func(ns *inspect.Netns, res *inspect.SocketResult, err error) error {
		var oe *inspect.OpenError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &oe):
			notes.openFailed(err, false)
			return nil
		case err != nil:
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: warning: netns %d: %v\n", ns.Inode, err)
			return nil
		}
		first := len(ls)
		for i := range res.Sockets {
			s := &res.Sockets[i]
			if l, ok := audit.FromSocket(s, ns, inv.SocketContainer(ns, s.Owner), ns.Kind == inspect.NetnsHost); ok {
				ls = append(ls, l)
			}
		}
		o.peers.count(ls[first:], res.Sockets)
		return nil
	})
	if o.root.verbose {
		noteSocketsMethod(o.ErrOut, mr)
	}
	if err != nil {
		return nil, nil, err
	}
	if !o.deniedNoticed {
		// Once, not once per namespace (512 lines) or per --watch pass.
		o.deniedNoticed = deniedNotice(o.ErrOut, o.root.fs, inv, notes.denied, len(inv.Netns))
	}
	audit.SortListeners(ls)
	return ls, inv, nil
}

func (o *auditOptions) rows(ls []audit.Listener) ([]report.Row, bool) {
	rows := make([]report.Row, len(ls))
	violation := false
	for i, l := range ls {
		rows[i].Listener = l
		rows[i].Peers, rows[i].PeersCounted = o.peers.of(&l)
		if o.policy != nil {
			v := o.policy.Evaluate(l)
			rows[i].Verdict = &v
			violation = violation || !v.Allowed
		}
	}
	return rows, violation
}

// Run audits this host (once or every --watch SECONDS), or the nodes named
// (node/NAME, --all-nodes) through agent pods.
func (o *auditOptions) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.allNodes || len(o.nodes) > 0 {
		return o.runCluster(ctx)
	}
	if o.declared {
		return o.runDeclared(ctx)
	}
	o.peers.on = o.watch == 0 && (o.peers.wide || o.format.IsJSON())
	o.peers.ctx = ctx
	defer o.peers.close()
	ls, err := o.scan(ctx)
	if err != nil {
		return err
	}
	rows, violation := o.rows(ls)
	if o.watch == 0 {
		switch o.format {
		case output.FormatJSON:
			err = wire.WriteJSON(o.Out, report.NewRecords(rows))
		case output.FormatNDJSON:
			for _, r := range report.NewRecords(rows) {
				if err = wire.WriteNDJSON(o.Out, r); err != nil {
					break
				}
			}
		default:
			if o.peers.wide {
				err = report.WriteWideTable(o.Out, rows)
			} else {
				err = report.WriteTable(o.Out, rows)
			}
		}
		if err != nil {
			return err
		}
		if violation {
			return errSilent()
		}
		return nil
	}
	return o.watchLoop(ctx, ls)
}

// watchLoop prints the first full audit as "opened" events, then only changes.
func (o *auditOptions) watchLoop(ctx context.Context, prev []audit.Listener) error {
	opened, closed := audit.Diff(nil, prev)
	for {
		if err := o.printEvents(time.Now(), opened, closed); err != nil {
			return err
		}
		t := time.NewTimer(time.Duration(o.watch) * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		cur, err := o.scan(ctx)
		if ctx.Err() != nil {
			return nil // interrupted mid-pass: the events so far stand
		}
		if err != nil {
			return err
		}
		opened, closed = audit.Diff(prev, cur)
		prev = cur
	}
}

func (o *auditOptions) printEvents(t time.Time, opened, closed []audit.Listener) error {
	or, _ := o.rows(opened)
	cr, _ := o.rows(closed)
	if o.format.IsJSON() {
		for _, e := range report.NewEventRecords(t, or, cr) {
			if err := wire.WriteNDJSON(o.Out, e); err != nil {
				return err
			}
		}
		return nil
	}
	return report.WriteEventsTable(o.Out, t, or, cr)
}

// runDeclared compares this host's listeners with what its pods declare.
func (o *auditOptions) runDeclared(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ls, inv, err := o.scanInventory(ctx)
	if err != nil {
		return err
	}
	// Pods on this host, by cgroup UID and by the name their state files give.
	keys := map[string]bool{}
	for _, c := range inv.Containers {
		if c.Pod == nil {
			continue
		}
		if c.Pod.UID != "" {
			keys[c.Pod.UID] = true
		}
		if c.Pod.Name != "" {
			keys[c.Pod.Namespace+"/"+c.Pod.Name] = true
		}
	}
	declared, err := o.root.ko.DeclaredPorts(ctx, keys)
	if err != nil {
		return o.root.kubeError(err)
	}
	ports := make([]audit.DeclaredPort, len(declared))
	for i, d := range declared {
		ports[i] = audit.DeclaredPort(d)
	}
	findings := audit.CompareDeclared(ls, ports)
	switch o.format {
	case output.FormatJSON:
		recs := make([]wire.FindingRecord, len(findings))
		for i, f := range findings {
			recs[i] = report.NewFindingRecord(f)
		}
		err = wire.WriteJSON(o.Out, recs)
	case output.FormatNDJSON:
		for _, f := range findings {
			if err = wire.WriteNDJSON(o.Out, report.NewFindingRecord(f)); err != nil {
				break
			}
		}
	default:
		err = report.WriteFindingsTable(o.Out, findings)
	}
	if err != nil {
		return err
	}
	if len(findings) > 0 {
		return errSilent()
	}
	return nil
}

// runCluster audits nodes through agent pods (Kubernetes is the engine; no
// daemon of ours): each agent prints its node's listeners as NDJSON, the
// policy is evaluated here, results are merged by node, nodes that could not
// be audited are reported, and every agent pod is deleted by RunAgent.
func (o *auditOptions) runCluster(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	nodes := o.nodes
	if o.allNodes {
		all, err := o.root.ko.NodeNames(ctx)
		if err != nil {
			return o.root.kubeError(err)
		}
		nodes = all
	}
	args := []string{"audit", "--output=ndjson"}
	for _, f := range []struct {
		on   bool
		flag string
	}{{o.unix, "-x"}, {o.tcpOnly, "-t"}, {o.udpOnly, "-u"}} {
		if f.on {
			args = append(args, f.flag)
		}
	}
	type nodeRows struct {
		node string
		rows []report.Row
	}
	var results []nodeRows
	var failed []string
	violation := false
	for _, node := range nodes {
		var buf bytes.Buffer
		if err := o.root.ko.RunAgent(ctx, node, args, &buf); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed = append(failed, node)
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: node %s could not be audited: %v\n", node, err)
			continue
		}
		var ls []audit.Listener
		rd := wire.NewReader(&buf)
		for rd.Next() {
			rec, err := wire.DecodeAudit(rd.Frame().Record)
			if err != nil {
				continue
			}
			l, err := report.ListenerFromRecord(rec)
			if err != nil {
				fmt.Fprintf(o.ErrOut, "kubectl-netstat: warning: node %s: %v\n", node, err)
				continue
			}
			ls = append(ls, l)
		}
		if err := rd.Err(); err != nil {
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: warning: node %s: %v\n", node, err)
		}
		rows, v := o.rows(ls)
		violation = violation || v
		results = append(results, nodeRows{node, rows})
	}
	var err error
	switch o.format {
	case output.FormatJSON, output.FormatNDJSON:
		var recs []wire.AuditRecord
		for _, r := range results {
			for _, rec := range report.NewRecords(r.rows) {
				rec.Node = r.node
				recs = append(recs, rec)
			}
		}
		if o.format == output.FormatJSON {
			if recs == nil {
				recs = []wire.AuditRecord{}
			}
			err = wire.WriteJSON(o.Out, recs)
		} else {
			for _, rec := range recs {
				if err = wire.WriteNDJSON(o.Out, rec); err != nil {
					break
				}
			}
		}
	default:
		for _, r := range results {
			fmt.Fprintf(o.Out, "# node %s\n", r.node)
			if err = report.WriteTable(o.Out, r.rows); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	if violation || len(failed) > 0 {
		return errSilent()
	}
	return nil
}
