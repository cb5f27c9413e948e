// Package report renders `kubectl-netstat audit`: the audit, watch-event,
// wide and declared-vs-actual tables, and the wire records of each row
// (NewRecord), with their inverse for a cluster-wide audit
// (ListenerFromRecord turns an agent's record back into a listener, so the
// policy is evaluated where the policy file is).
//
// It sits next to audit's types rather than in output so that output
// renders model types only and never imports audit, and audit (the policy
// and listener logic) stays free of rendering; it uses output's table
// writer and numeric address text so audit rows look like netstat's.
package report

import (
	"io"
	"strconv"
	"time"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/output"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// Row is one row of `kubectl-netstat audit`: a listener and the
// policy's verdict on it (nil when no policy was given).
type Row struct {
	Listener audit.Listener
	Verdict  *audit.Verdict
	// Peers are the connections open to the listener by peer, when counted
	// (PeersCounted: audit --output wide|json); see audit.CountPeers.
	Peers        []audit.PeerCount
	PeersCounted bool
}

// auditHeader are the audit table's columns.
var auditHeader = []string{"NETNS", "RUNTIME", "NAMESPACE", "POD", "CONTAINER", "PID/PROGRAM",
	"PROTO", "ADDRESS", "PORT", "EXPOSURE", "VERDICT"}

// WriteTable renders rows as the audit table, in the order given.
// Unknown cells are "-"; addresses are numeric as netstat -n prints them;
// a unix listener's ADDRESS is its path.
func WriteTable(w io.Writer, rows []Row) error {
	return output.WriteTable(w, auditHeader, auditCells(rows, nil))
}

// WriteEventsTable renders one --watch pass in text: the audit table
// with TIME (RFC 3339) and EVENT ("opened" or "closed") in front, opened
// rows first. Nothing is written when nothing changed, so a quiet watch
// prints nothing.
func WriteEventsTable(w io.Writer, t time.Time, opened, closed []Row) error {
	if len(opened) == 0 && len(closed) == 0 {
		return nil
	}
	ts := t.Format(time.RFC3339)
	header := append([]string{"TIME", "EVENT"}, auditHeader...)
	cells := auditCells(opened, []string{ts, "opened"})
	cells = append(cells, auditCells(closed, []string{ts, "closed"})...)
	return output.WriteTable(w, header, cells)
}

func auditCells(rows []Row, prefix []string) [][]string {
	out := make([][]string, 0, len(rows))
	for i := range rows {
		l := &rows[i].Listener
		c := l.Container
		netns, runtime, ns, pod, ctr := "-", "-", "-", "-", "-"
		if l.Netns != nil {
			netns = strconv.FormatUint(l.Netns.Inode, 10)
		}
		if c != nil {
			runtime = c.Runtime.String()
			ctr = orDash(c.Name)
			if c.Pod != nil {
				ns, pod = orDash(c.Pod.Namespace), orDash(c.Pod.Name)
			}
		}
		prog := "-"
		if l.Process != nil {
			prog = strconv.Itoa(l.Process.PID) + "/" + l.Program()
		}
		addr, port := "-", "-"
		if l.Proto == inspect.ProtoUnix {
			addr = orDash(l.UnixPath)
		} else {
			addr = output.NumericAddr(l.Addr)
			port = strconv.Itoa(int(l.Port))
		}
		row := append(append([]string{}, prefix...),
			netns, runtime, ns, pod, ctr, prog, l.Proto.String(), addr, port,
			exposureText(l), verdictText(rows[i].Verdict))
		out = append(out, row)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// exposureText is the EXPOSURE cell: the class, plus ",host-network" when
// the socket is in the host's netns.
func exposureText(l *audit.Listener) string {
	s := l.Exposure.String()
	if l.HostNetwork {
		s += ",host-network"
	}
	return s
}

// verdictText is the VERDICT cell: "allowed rules[N]", "VIOLATION rules[N]",
// "allowed default" or "VIOLATION default"; "-" without a policy.
func verdictText(v *audit.Verdict) string {
	if v == nil {
		return "-"
	}
	word := "VIOLATION"
	if v.Allowed {
		word = "allowed"
	}
	if v.Rule < 0 {
		return word + " default"
	}
	return word + " rules[" + strconv.Itoa(v.Rule) + "]"
}

// NewRecord builds the JSON record of an audit row.
func NewRecord(r Row) wire.AuditRecord {
	l := &r.Listener
	rec := wire.AuditRecord{
		Netns:       output.NewNetnsRecord(l.Netns),
		Container:   output.NewContainerRecord(l.Container),
		Proto:       l.Proto.String(),
		Exposure:    l.Exposure.String(),
		HostNetwork: l.HostNetwork,
	}
	if l.Process != nil {
		rec.PID, rec.Program = ptr(l.Process.PID), ptr(l.Program())
	}
	if l.Proto == inspect.ProtoUnix {
		rec.UnixPath = ptr(l.UnixPath)
	} else {
		rec.Address = ptr(output.NumericAddr(l.Addr))
		rec.Port = ptr(l.Port)
	}
	if r.PeersCounted {
		rec.Peers = newPeerCountRecords(r.Peers)
	}
	if v := r.Verdict; v != nil {
		rec.Verdict = &wire.VerdictRecord{Allowed: v.Allowed, Reason: v.Reason}
		if v.Rule >= 0 {
			rec.Verdict.Rule = ptr(v.Rule)
		}
	}
	return rec
}

// NewRecords builds the records of rows, for wire.WriteJSON.
func NewRecords(rows []Row) []wire.AuditRecord {
	out := make([]wire.AuditRecord, len(rows))
	for i := range rows {
		out[i] = NewRecord(rows[i])
	}
	return out
}

// NewEventRecords builds the event records of one --watch pass: opened
// rows first, then closed ones, all stamped with t. Write each with
// wire.WriteNDJSON (or all with wire.WriteJSON).
func NewEventRecords(t time.Time, opened, closed []Row) []wire.AuditEventRecord {
	ts := t.Format(time.RFC3339)
	out := make([]wire.AuditEventRecord, 0, len(opened)+len(closed))
	for _, r := range opened {
		out = append(out, wire.AuditEventRecord{Time: ts, Event: wire.EventOpened, AuditRecord: NewRecord(r)})
	}
	for _, r := range closed {
		out = append(out, wire.AuditEventRecord{Time: ts, Event: wire.EventClosed, AuditRecord: NewRecord(r)})
	}
	return out
}

// findingHeader are the declared-vs-actual table's columns.
var findingHeader = []string{"NAMESPACE", "POD", "CONTAINER", "PROTO", "PORT", "FINDING", "PID/PROGRAM"}

// WriteFindingsTable renders declared-vs-actual findings, in the order
// given (audit.CompareDeclared sorts them per pod).
func WriteFindingsTable(w io.Writer, fs []audit.Finding) error {
	rows := make([][]string, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		prog := "-"
		if f.Listener != nil && f.Listener.Process != nil {
			prog = strconv.Itoa(f.Listener.Process.PID) + "/" + f.Listener.Program()
		}
		rows = append(rows, []string{orDash(f.Namespace), orDash(f.Pod), orDash(f.Container), f.Proto,
			strconv.Itoa(int(f.Port)), f.Kind.String(), prog})
	}
	return output.WriteTable(w, findingHeader, rows)
}

// NewFindingRecord builds the JSON record of a finding.
func NewFindingRecord(f audit.Finding) wire.FindingRecord {
	rec := wire.FindingRecord{Finding: f.Kind.String(), Namespace: f.Namespace, Pod: f.Pod, Proto: f.Proto, Port: f.Port}
	if f.Container != "" {
		rec.Container = ptr(f.Container)
	}
	if f.Listener != nil {
		rec.Listener = ptr(NewRecord(Row{Listener: *f.Listener}))
	}
	return rec
}

func ptr[T any](v T) *T { return &v }
