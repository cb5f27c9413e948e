package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// auditOptions holds the flags of `kubectl-netstat audit`.
type auditOptions struct {
	IOStreams
	root       *netstatOptions
	policyPath string
	unix       bool
	watch      int
	tcpOnly    bool
	udpOnly    bool
	declared   bool

	format output.Format
	policy *audit.Policy
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
  kubectl-netstat audit --declared`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(); err != nil {
				return err
			}
			return o.run(cmd.Context())
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.policyPath, "policy", "", "YAML policy file of ordered allow/deny rules")
	fs.BoolVarP(&o.unix, "unix", "x", false, "include UNIX listening sockets")
	fs.BoolVarP(&o.tcpOnly, "tcp", "t", false, "only TCP listeners")
	fs.BoolVarP(&o.udpOnly, "udp", "u", false, "only UDP listeners")
	fs.IntVar(&o.watch, "watch", 0, "re-audit every SECONDS and print only listeners that opened or closed")
	fs.Lookup("watch").NoOptDefVal = "2"
	fs.BoolVar(&o.declared, "declared", false, "compare with the pods' declared containerPorts and probe ports (needs the Kubernetes API): report undeclared listeners and declared ports nobody listens on")
	root.ko.AddFlags(fs)
	return cmd
}

func (o *auditOptions) complete() error {
	f, err := output.ParseFormat(o.root.outputFormat)
	if err != nil {
		return usagef("%v", err)
	}
	if f == output.FormatWide {
		f = output.FormatText
	}
	o.format = f
	fs, err := inspect.NewFS(o.root.procRoot, o.root.hostRoot)
	if err != nil {
		return usagef("%v", err)
	}
	o.root.fs = fs
	if o.watch < 0 {
		return usagef("--watch takes a positive number of seconds")
	}
	if o.policyPath != "" {
		p, err := audit.LoadPolicy(o.policyPath)
		if err != nil {
			if errors.Is(err, audit.ErrBadPolicy) {
				return &usageError{msg: err.Error()}
			}
			return usagef("--policy: %v", err)
		}
		o.policy = p
	}
	return nil
}

// scan reads every namespace's listeners once.
func (o *auditOptions) scan() ([]audit.Listener, error) {
	ls, _, err := o.scanInventory()
	return ls, err
}

// scanInventory is scan that also returns the host inventory.
func (o *auditOptions) scanInventory() ([]audit.Listener, *inspect.Inventory, error) {
	inv, err := o.root.fs.Discover(inspect.DiscoverOptions{Sockets: true})
	if err != nil {
		return nil, nil, err
	}
	printWarnings(o.ErrOut, inv.Warnings, o.root.verbose)
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
	var ls []audit.Listener
	for _, ns := range inv.Netns {
		h := nsenter.None()
		if ns.Inode != inv.Procs.SelfNetnsIno {
			if h, err = nsenter.Open(ns.Path); err != nil {
				fmt.Fprintf(o.ErrOut, "kubectl-netstat: warning: netns %d: %v\n", ns.Inode, err)
				continue
			}
		}
		r := o.root.fs.NewNetReader(h)
		res, err := r.Sockets(q)
		r.Close()
		h.Close()
		if err != nil {
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: warning: netns %d: %v\n", ns.Inode, err)
			continue
		}
		for i := range res.Sockets {
			s := &res.Sockets[i]
			s.Owner = inv.Procs.Owner(s.Inode)
			if l, ok := audit.FromSocket(s, ns, inv.SocketContainer(ns, s.Owner), ns.Kind == inspect.NetnsHost); ok {
				ls = append(ls, l)
			}
		}
	}
	audit.SortListeners(ls)
	return ls, inv, nil
}

func (o *auditOptions) rows(ls []audit.Listener) ([]output.AuditRow, bool) {
	rows := make([]output.AuditRow, len(ls))
	violation := false
	for i, l := range ls {
		rows[i].Listener = l
		if o.policy != nil {
			v := o.policy.Evaluate(l)
			rows[i].Verdict = &v
			violation = violation || !v.Allowed
		}
	}
	return rows, violation
}

func (o *auditOptions) run(ctx context.Context) error {
	if o.declared {
		return o.runDeclared(ctx)
	}
	ls, err := o.scan()
	if err != nil {
		return err
	}
	rows, violation := o.rows(ls)
	if o.watch == 0 {
		switch o.format {
		case output.FormatJSON:
			err = output.WriteJSON(o.Out, output.NewAuditRecords(rows))
		case output.FormatNDJSON:
			for _, r := range output.NewAuditRecords(rows) {
				if err = output.WriteNDJSON(o.Out, r); err != nil {
					break
				}
			}
		default:
			err = output.WriteAuditTable(o.Out, rows)
		}
		if err != nil {
			return err
		}
		if violation {
			return &exitError{code: exitProblem, silent: true}
		}
		return nil
	}
	return o.watchLoop(ctx, ls)
}

// watchLoop prints the first full audit as "opened" events, then only changes.
func (o *auditOptions) watchLoop(ctx context.Context, prev []audit.Listener) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	opened, closed := audit.Diff(nil, prev)
	for {
		if err := o.printEvents(time.Now(), opened, closed); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Duration(o.watch) * time.Second):
		}
		cur, err := o.scan()
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
		for _, e := range output.NewAuditEventRecords(t, or, cr) {
			if err := output.WriteNDJSON(o.Out, e); err != nil {
				return err
			}
		}
		return nil
	}
	return output.WriteAuditEventsTable(o.Out, t, or, cr)
}

// runDeclared compares this host's listeners with what its pods declare.
func (o *auditOptions) runDeclared(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ls, inv, err := o.scanInventory()
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
	findings := audit.CompareDeclared(ls, declared)
	switch o.format {
	case output.FormatJSON:
		recs := make([]output.FindingRecord, len(findings))
		for i, f := range findings {
			recs[i] = output.NewFindingRecord(f)
		}
		err = output.WriteJSON(o.Out, recs)
	case output.FormatNDJSON:
		for _, f := range findings {
			if err = output.WriteNDJSON(o.Out, output.NewFindingRecord(f)); err != nil {
				break
			}
		}
	default:
		err = output.WriteFindingsTable(o.Out, findings)
	}
	if err != nil {
		return err
	}
	if len(findings) > 0 {
		return &exitError{code: exitProblem, silent: true}
	}
	return nil
}
