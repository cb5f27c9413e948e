package audit

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		addr string
		want Exposure
	}{
		{"v4 wildcard", "0.0.0.0", ExposureAllInterfaces},
		{"v6 wildcard", "::", ExposureAllInterfaces},
		{"v4-mapped wildcard", "::ffff:0.0.0.0", ExposureAllInterfaces},
		{"v4 loopback", "127.0.0.1", ExposureLoopback},
		{"v4 loopback net", "127.53.0.9", ExposureLoopback},
		{"v6 loopback", "::1", ExposureLoopback},
		{"v4-mapped loopback", "::ffff:127.0.0.1", ExposureLoopback},
		{"v4 specific", "192.0.2.10", ExposureSpecific},
		{"v4-mapped specific", "::ffff:198.51.100.7", ExposureSpecific},
		{"v6 specific", "2001:db8::1", ExposureSpecific},
		{"v6 link-local", "fe80::1", ExposureSpecific},
		{"v4 broadcast", "255.255.255.255", ExposureSpecific},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("Classify(%s) = %v, want %v", tc.addr, got, tc.want)
			}
		})
	}
	if got := Classify(netip.Addr{}); got != ExposureUnknown {
		t.Errorf("Classify(invalid) = %v, want unknown", got)
	}
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestFromSocket(t *testing.T) {
	owner := &inspect.Container{Name: "pause", Sandbox: true}
	ns := &inspect.Netns{Inode: 4026532000, Kind: inspect.NetnsPod, Attributed: owner}
	app := &inspect.Container{Name: "app"}
	proc := &inspect.Process{PID: 42, Name: "srv", Container: app}
	for _, tc := range []struct {
		name   string
		sock   inspect.Socket
		c      *inspect.Container
		host   bool
		want   Listener
		wantOK bool
	}{
		{
			name:   "tcp listen wildcard",
			sock:   inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("0.0.0.0:80"), Remote: ap("0.0.0.0:0"), State: inspect.TCPListen, Owner: proc},
			want:   Listener{Netns: ns, Container: app, Process: proc, Proto: inspect.ProtoTCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: 80, Exposure: ExposureAllInterfaces},
			wantOK: true,
		},
		{
			name: "tcp established",
			sock: inspect.Socket{Proto: inspect.ProtoTCP, Local: ap("192.0.2.1:80"), Remote: ap("192.0.2.2:5000"), State: inspect.TCPEstablished},
		},
		{
			name: "tcp time-wait",
			sock: inspect.Socket{Proto: inspect.ProtoTCP6, Local: ap("[::1]:80"), Remote: ap("[::1]:5000"), State: inspect.TCPTimeWait},
		},
		{
			name:   "tcp6 v4-mapped loopback, no owner falls back to the netns attribution",
			sock:   inspect.Socket{Proto: inspect.ProtoTCP6, Local: ap("[::ffff:127.0.0.1]:9000"), Remote: ap("[::]:0"), State: inspect.TCPListen},
			want:   Listener{Netns: ns, Container: owner, Proto: inspect.ProtoTCP6, Addr: netip.MustParseAddr("::ffff:127.0.0.1"), Port: 9000, Exposure: ExposureLoopback},
			wantOK: true,
		},
		{
			name:   "udp unconnected specific, caller's container wins",
			sock:   inspect.Socket{Proto: inspect.ProtoUDP, Local: ap("192.0.2.10:53"), Remote: ap("0.0.0.0:0"), State: inspect.TCPClose, Owner: proc},
			c:      &inspect.Container{Name: "dns"},
			want:   Listener{Netns: ns, Container: &inspect.Container{Name: "dns"}, Process: proc, Proto: inspect.ProtoUDP, Addr: netip.MustParseAddr("192.0.2.10"), Port: 53, Exposure: ExposureSpecific},
			wantOK: true,
		},
		{
			name:   "udp6 unconnected on host netns",
			sock:   inspect.Socket{Proto: inspect.ProtoUDP6, Local: ap("[::]:5353"), Remote: ap("[::]:0"), State: inspect.TCPClose},
			host:   true,
			want:   Listener{Netns: ns, Container: owner, Proto: inspect.ProtoUDP6, Addr: netip.MustParseAddr("::"), Port: 5353, Exposure: ExposureAllInterfaces, HostNetwork: true},
			wantOK: true,
		},
		{
			name:   "udplite unconnected",
			sock:   inspect.Socket{Proto: inspect.ProtoUDPLite, Local: ap("127.0.0.1:7000"), Remote: ap("0.0.0.0:0"), State: inspect.TCPClose},
			want:   Listener{Netns: ns, Container: owner, Proto: inspect.ProtoUDPLite, Addr: netip.MustParseAddr("127.0.0.1"), Port: 7000, Exposure: ExposureLoopback},
			wantOK: true,
		},
		{
			name: "udp connected",
			sock: inspect.Socket{Proto: inspect.ProtoUDP, Local: ap("192.0.2.1:40000"), Remote: ap("192.0.2.53:53"), State: inspect.TCPEstablished},
		},
		{
			name: "udp connected to port only",
			sock: inspect.Socket{Proto: inspect.ProtoUDP, Local: ap("192.0.2.1:40000"), Remote: ap("0.0.0.0:53"), State: inspect.TCPEstablished},
		},
		{
			name: "raw",
			sock: inspect.Socket{Proto: inspect.ProtoRaw, Local: ap("0.0.0.0:1"), Remote: ap("0.0.0.0:0"), State: 7},
		},
		{
			name:   "unix listener",
			sock:   inspect.Socket{Proto: inspect.ProtoUnix, Unix: &inspect.UnixInfo{Flags: inspect.UnixAcceptCon, Type: 1, State: inspect.UnixUnconnected, Path: "/run/app.sock"}, Owner: proc},
			want:   Listener{Netns: ns, Container: app, Process: proc, Proto: inspect.ProtoUnix, UnixPath: "/run/app.sock", Exposure: ExposureLocal},
			wantOK: true,
		},
		{
			name: "unix connected",
			sock: inspect.Socket{Proto: inspect.ProtoUnix, Unix: &inspect.UnixInfo{Type: 1, State: inspect.UnixConnected, Path: "/run/app.sock"}},
		},
		{
			name: "unix without unix info",
			sock: inspect.Socket{Proto: inspect.ProtoUnix},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FromSocket(&tc.sock, ns, tc.c, tc.host)
			if ok != tc.wantOK {
				t.Fatalf("FromSocket ok = %v, want %v", ok, tc.wantOK)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("FromSocket (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := FromSocket(nil, ns, nil, false); ok {
		t.Error("FromSocket(nil) ok")
	}
}

func TestSortListeners(t *testing.T) {
	n1, n2 := &inspect.Netns{Inode: 1}, &inspect.Netns{Inode: 2}
	ls := []Listener{
		{Netns: n2, Proto: inspect.ProtoTCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: 1},
		{Netns: n1, Proto: inspect.ProtoUDP, Addr: netip.MustParseAddr("0.0.0.0"), Port: 1},
		{Netns: n1, Proto: inspect.ProtoTCP, Addr: netip.MustParseAddr("127.0.0.1"), Port: 1},
		{Netns: n1, Proto: inspect.ProtoTCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: 2},
		{Netns: n1, Proto: inspect.ProtoTCP, Addr: netip.MustParseAddr("0.0.0.0"), Port: 1},
	}
	SortListeners(ls)
	var got []string
	for _, l := range ls {
		got = append(got, netip.AddrPortFrom(l.Addr, l.Port).String()+" "+l.Proto.String())
	}
	want := []string{"0.0.0.0:1 tcp", "0.0.0.0:2 tcp", "127.0.0.1:1 tcp", "0.0.0.0:1 udp", "0.0.0.0:1 tcp"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SortListeners (-want +got):\n%s", diff)
	}
	if ls[4].Netns != n2 {
		t.Errorf("last row netns = %d, want 2", ls[4].NetnsInode())
	}
}
