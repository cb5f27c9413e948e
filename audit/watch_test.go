package audit

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

func TestDiff(t *testing.T) {
	nsA, nsB := &inspect.Netns{Inode: 10}, &inspect.Netns{Inode: 20}
	p1, p2 := &inspect.Process{PID: 1}, &inspect.Process{PID: 2}
	mk := func(ns *inspect.Netns, p *inspect.Process, proto inspect.Proto, addr string, port uint16) Listener {
		return Listener{Netns: ns, Process: p, Proto: proto, Addr: netip.MustParseAddr(addr), Port: port}
	}
	a80 := mk(nsA, p1, inspect.ProtoTCP, "0.0.0.0", 80)
	b80 := mk(nsB, p1, inspect.ProtoTCP, "0.0.0.0", 80)      // other netns
	a80p2 := mk(nsA, p2, inspect.ProtoTCP, "0.0.0.0", 80)    // other pid
	a80v6 := mk(nsA, p1, inspect.ProtoTCP6, "::", 80)        // other proto
	a80lo := mk(nsA, p1, inspect.ProtoTCP, "127.0.0.1", 80)  // other addr
	a81 := mk(nsA, p1, inspect.ProtoTCP, "0.0.0.0", 81)      // other port
	a80none := mk(nsA, nil, inspect.ProtoTCP, "0.0.0.0", 80) // unknown owner
	ux1 := Listener{Netns: nsA, Process: p1, Proto: inspect.ProtoUnix, UnixPath: "/run/a.sock"}
	ux2 := Listener{Netns: nsA, Process: p1, Proto: inspect.ProtoUnix, UnixPath: "/run/b.sock"}
	// a80again differs only in what the key ignores (socket details).
	a80again := a80
	a80again.Exposure = ExposureAllInterfaces

	for _, tc := range []struct {
		name                   string
		prev, cur              []Listener
		wantOpened, wantClosed []Listener
	}{
		{name: "both empty"},
		{name: "first pass opens all", cur: []Listener{a80, a81}, wantOpened: []Listener{a80, a81}},
		{name: "all closed", prev: []Listener{a80, a81}, wantClosed: []Listener{a80, a81}},
		{name: "unchanged", prev: []Listener{a80, a81}, cur: []Listener{a81, a80again}},
		{
			name:       "each key field tells listeners apart",
			prev:       []Listener{a80},
			cur:        []Listener{b80, a80p2, a80v6, a80lo, a81, a80none},
			wantOpened: []Listener{b80, a80p2, a80v6, a80lo, a81, a80none},
			wantClosed: []Listener{a80},
		},
		{name: "unix paths are kept apart", prev: []Listener{ux1}, cur: []Listener{ux2}, wantOpened: []Listener{ux2}, wantClosed: []Listener{ux1}},
		{name: "duplicate closed once", prev: []Listener{a80, a81, a80}, cur: []Listener{a80, a81}, wantClosed: []Listener{a80}},
		{name: "duplicate opened once", prev: []Listener{a80}, cur: []Listener{a80, a80}, wantOpened: []Listener{a80}},
		{name: "orders kept", prev: []Listener{a81, a80lo, a80}, cur: []Listener{a80v6, a80, b80}, wantOpened: []Listener{a80v6, b80}, wantClosed: []Listener{a81, a80lo}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opened, closed := Diff(tc.prev, tc.cur)
			opt := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
			if diff := cmp.Diff(tc.wantOpened, opened, opt); diff != "" {
				t.Errorf("opened (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantClosed, closed, opt); diff != "" {
				t.Errorf("closed (-want +got):\n%s", diff)
			}
		})
	}
}
