package report

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// TestListenerRecordRoundTrip: what an agent prints and the CLI reads back
// evaluates to the same verdict and renders to the same record.
func TestListenerRecordRoundTrip(t *testing.T) {
	c := &inspect.Container{Runtime: inspect.RuntimeContainerd, ID: "abc", Name: "nginx", Image: "nginx:1",
		Pod: &inspect.Pod{Namespace: "shop", Name: "web", UID: "u1"}}
	in := []audit.Listener{
		{Netns: &inspect.Netns{Inode: 4026532249, Kind: inspect.NetnsPod, Names: []string{"/run/netns/cni-1"}}, Container: c,
			Process: &inspect.Process{PID: 42, Name: "nginx", Container: c}, Proto: inspect.ProtoTCP6,
			Addr: netip.MustParseAddr("2001:db8::1"), Port: 443, Exposure: audit.ExposureSpecific},
		{Netns: &inspect.Netns{Inode: 4026531840, Kind: inspect.NetnsHost, Names: []string{}}, Proto: inspect.ProtoUnix,
			UnixPath: "/run/x.sock", Exposure: audit.ExposureLocal, HostNetwork: true},
	}
	pol, err := audit.ParsePolicy("p.yaml", []byte("default: deny\nrules:\n  - action: allow\n    match:\n      pod: web\n      port: 443\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range in {
		rec := NewRecord(Row{Listener: l})
		back, err := ListenerFromRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(rec, NewRecord(Row{Listener: back})); d != "" {
			t.Errorf("record changed in the round trip (-want +got):\n%s", d)
		}
		if a, b := pol.Evaluate(l), pol.Evaluate(back); a != b {
			t.Errorf("verdict %+v, after round trip %+v", a, b)
		}
	}
	if _, err := ListenerFromRecord(wire.AuditRecord{Proto: "sctp", Exposure: "loopback"}); err == nil {
		t.Error("unknown proto accepted")
	}
}
