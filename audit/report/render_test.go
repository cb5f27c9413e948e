package report_test

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/audit/report"
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// The golden files are the audit report's bytes. Run
// `go test ./audit/report -run Golden -update` to regenerate.
var update = flag.Bool("update", false, "rewrite testdata/audit golden files")

const goldenDir = "../../testdata/audit"

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join(goldenDir, name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// nsSocket is a socket and the netns its table was read in.
type nsSocket struct {
	ns *inspect.Netns
	s  inspect.Socket
}

// fixtureSockets is a node with a web pod (nginx, envoy), coredns, a
// hostNetwork node-exporter, the host's sshd and sockets with no known
// owner: wildcard, loopback, specific, v4-mapped, UDP and unix listeners,
// plus sockets that are not listeners.
func fixtureSockets() (sockets []nsSocket, host *inspect.Netns) {
	web := &inspect.Pod{Namespace: "default", Name: "web-7c5d9", UID: "0b9f4c1e-2f7a-4d7e-9a51-3c8d2e6f1a20"}
	webPause := &inspect.Container{Runtime: inspect.RuntimeContainerd, ID: "aa11", Pod: web, Sandbox: true}
	nginx := &inspect.Container{Runtime: inspect.RuntimeContainerd, ID: "bb22", Name: "nginx", Image: "nginx:1.27", Pod: web}
	envoy := &inspect.Container{Runtime: inspect.RuntimeContainerd, ID: "cc33", Name: "envoy", Pod: web}
	dnsPod := &inspect.Pod{Namespace: "kube-system", Name: "coredns-5d78c", UID: "4e2b"}
	coredns := &inspect.Container{Runtime: inspect.RuntimeCRIO, ID: "dd44", Name: "coredns", Pod: dnsPod}
	exporter := &inspect.Container{Runtime: inspect.RuntimeContainerd, ID: "ee55", Name: "node-exporter",
		Pod: &inspect.Pod{Namespace: "monitoring", Name: "node-exporter-x7k2p", UID: "77aa"}, HostNetwork: true}

	host = &inspect.Netns{Inode: 4026531840, Kind: inspect.NetnsHost}
	webNs := &inspect.Netns{Inode: 4026532249, Kind: inspect.NetnsPod, Names: []string{"/run/netns/cni-1234"}, Attributed: webPause}
	dnsNs := &inspect.Netns{Inode: 4026532301, Kind: inspect.NetnsPod, Attributed: coredns}

	pNginx := &inspect.Process{PID: 2101, Name: "nginx", Container: nginx}
	pEnvoy := &inspect.Process{PID: 2202, Name: "envoy", Container: envoy}
	pDNS := &inspect.Process{PID: 3303, Name: "coredns", Container: coredns}
	pExp := &inspect.Process{PID: 4404, Name: "node_exporter", Container: exporter}
	pSSH := &inspect.Process{PID: 811, Name: "sshd"}

	ap := netip.MustParseAddrPort
	sk := func(ns *inspect.Netns, p inspect.Proto, local, remote string, st inspect.TCPState, owner *inspect.Process) nsSocket {
		return nsSocket{ns, inspect.Socket{Proto: p, Local: ap(local), Remote: ap(remote), State: st, Owner: owner}}
	}
	unix := func(ns *inspect.Netns, flags inspect.UnixFlags, st uint8, path string, owner *inspect.Process) nsSocket {
		return nsSocket{ns, inspect.Socket{Proto: inspect.ProtoUnix, Owner: owner,
			Unix: &inspect.UnixInfo{Flags: flags, Type: 1, State: st, Path: path}}}
	}
	sockets = []nsSocket{
		sk(host, inspect.ProtoTCP, "0.0.0.0:22", "0.0.0.0:0", inspect.TCPListen, pSSH),
		sk(host, inspect.ProtoTCP, "192.0.2.1:22", "198.51.100.9:51000", inspect.TCPEstablished, pSSH),
		sk(host, inspect.ProtoTCP6, "[::]:9100", "[::]:0", inspect.TCPListen, pExp),
		sk(host, inspect.ProtoUDP, "127.0.0.53:53", "0.0.0.0:0", inspect.TCPClose, nil),
		sk(webNs, inspect.ProtoTCP, "0.0.0.0:80", "0.0.0.0:0", inspect.TCPListen, pNginx),
		sk(webNs, inspect.ProtoTCP6, "[::]:80", "[::]:0", inspect.TCPListen, pNginx),
		sk(webNs, inspect.ProtoTCP, "127.0.0.1:15000", "0.0.0.0:0", inspect.TCPListen, pEnvoy),
		sk(webNs, inspect.ProtoTCP, "0.0.0.0:15001", "0.0.0.0:0", inspect.TCPListen, pEnvoy),
		sk(webNs, inspect.ProtoTCP6, "[::ffff:127.0.0.1]:9000", "[::]:0", inspect.TCPListen, nil),
		sk(webNs, inspect.ProtoTCP, "203.0.113.5:8080", "0.0.0.0:0", inspect.TCPListen, nil),
		sk(webNs, inspect.ProtoUDP, "203.0.113.5:40000", "203.0.113.53:53", inspect.TCPEstablished, pNginx),
		sk(dnsNs, inspect.ProtoUDP, "192.0.2.10:53", "0.0.0.0:0", inspect.TCPClose, pDNS),
		sk(dnsNs, inspect.ProtoUDP6, "[::]:53", "[::]:0", inspect.TCPClose, pDNS),
		sk(dnsNs, inspect.ProtoTCP6, "[2001:db8::10]:53", "[::]:0", inspect.TCPListen, pDNS),
		unix(webNs, inspect.UnixAcceptCon, inspect.UnixUnconnected, "/run/nginx.sock", pNginx),
		unix(webNs, 0, inspect.UnixConnected, "", pNginx),
	}
	return sockets, host
}

// fixtureRows runs the sockets through FromSocket and the example policy,
// the way the command does.
func fixtureRows(t *testing.T) []report.Row {
	t.Helper()
	sockets, host := fixtureSockets()
	p, err := audit.LoadPolicy(goldenDir + "/policies/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ls []audit.Listener
	for i := range sockets {
		if l, ok := audit.FromSocket(&sockets[i].s, sockets[i].ns, nil, sockets[i].ns == host); ok {
			ls = append(ls, l)
		}
	}
	audit.SortListeners(ls)
	rows := make([]report.Row, len(ls))
	for i, l := range ls {
		v := p.Evaluate(l)
		rows[i] = report.Row{Listener: l, Verdict: &v}
	}
	return rows
}

func TestGoldenAuditTable(t *testing.T) {
	rows := fixtureRows(t)
	if len(rows) != 13 {
		t.Fatalf("%d listeners, want 13 (2 non-listeners dropped)", len(rows))
	}
	var b bytes.Buffer
	if err := report.WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.golden", b.Bytes())

	// Without a policy there is no verdict.
	for i := range rows {
		rows[i].Verdict = nil
	}
	b.Reset()
	if err := report.WriteTable(&b, rows[:3]); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-nopolicy.golden", b.Bytes())
}

func TestGoldenAuditJSON(t *testing.T) {
	rows := fixtureRows(t)
	var b bytes.Buffer
	if err := wire.WriteJSON(&b, report.NewRecords(rows)); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit.json.golden", b.Bytes())

	b.Reset()
	for _, r := range report.NewRecords(rows) {
		if err := wire.WriteNDJSON(&b, r); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "audit.ndjson.golden", b.Bytes())
}

func TestGoldenAuditWatch(t *testing.T) {
	rows := fixtureRows(t)
	ls := make([]audit.Listener, len(rows))
	for i := range rows {
		ls[i] = rows[i].Listener
	}
	// Second pass: envoy's 15001 is gone, a new UDP listener appears.
	cur := append([]audit.Listener{}, ls[:0]...)
	for _, l := range ls {
		if l.Port != 15001 {
			cur = append(cur, l)
		}
	}
	extra := ls[0]
	extra.Proto, extra.Addr, extra.Port = inspect.ProtoUDP, netip.MustParseAddr("0.0.0.0"), 5353
	extra.Exposure = audit.Classify(extra.Addr)
	cur = append(cur, extra)
	opened, closed := audit.Diff(ls, cur)
	toRows := func(ls []audit.Listener) []report.Row {
		out := make([]report.Row, len(ls))
		for i, l := range ls {
			out[i] = report.Row{Listener: l}
		}
		return out
	}
	at := time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC)
	var b bytes.Buffer
	for _, ev := range report.NewEventRecords(at, toRows(opened), toRows(closed)) {
		if err := wire.WriteNDJSON(&b, ev); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "watch.ndjson.golden", b.Bytes())

	b.Reset()
	if err := report.WriteEventsTable(&b, at, toRows(opened), toRows(closed)); err != nil {
		t.Fatal(err)
	}
	golden(t, "watch.golden", b.Bytes())

	b.Reset()
	if err := report.WriteEventsTable(&b, at, nil, nil); err != nil || b.Len() != 0 {
		t.Errorf("quiet pass wrote %q, %v", b.String(), err)
	}
}

func TestGoldenFindings(t *testing.T) {
	rows := fixtureRows(t)
	ls := make([]audit.Listener, len(rows))
	for i := range rows {
		ls[i] = rows[i].Listener
	}
	declared := []audit.DeclaredPort{
		{Namespace: "default", Pod: "web-7c5d9", Container: "nginx", Port: 80, Proto: "TCP"},
		{Namespace: "default", Pod: "web-7c5d9", Container: "nginx", Port: 443, Proto: "TCP"},
		{Namespace: "kube-system", Pod: "coredns-5d78c", Container: "coredns", Port: 53, Proto: "UDP"},
		{Namespace: "kube-system", Pod: "coredns-5d78c", Container: "coredns", Port: 53, Proto: "TCP"},
		{Namespace: "kube-system", Pod: "coredns-5d78c", Container: "coredns", Port: 8181, Probe: true},
	}
	fs := audit.CompareDeclared(ls, declared)
	var b bytes.Buffer
	if err := report.WriteFindingsTable(&b, fs); err != nil {
		t.Fatal(err)
	}
	recs := make([]wire.FindingRecord, len(fs))
	for i := range fs {
		recs[i] = report.NewFindingRecord(fs[i])
	}
	if err := wire.WriteJSON(&b, recs); err != nil {
		t.Fatal(err)
	}
	golden(t, "findings.golden", b.Bytes())
}
