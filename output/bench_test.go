package output

import (
	"bytes"
	"io"
	"net/netip"
	"testing"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// Renderer benchmarks on one namespace of the fleet issue: 20 TCP listeners
// (v4 and v6), 490 established loopback pairs, 10 UDP sockets, 1 UNIX
// listener, all owned by one process. Each op renders the whole namespace.
//
//	go test -run '^$' -bench . -benchmem ./output/

func benchFleetSockets() []inspect.Socket {
	owner := &inspect.Process{PID: 4242, Name: "holder"}
	lo4 := netip.MustParseAddr("127.0.0.1")
	lo6 := netip.MustParseAddr("::1")
	var out []inspect.Socket
	ino := uint64(100000)
	add := func(s inspect.Socket) {
		ino++
		s.Inode, s.Owner = ino, owner
		out = append(out, s)
	}
	for i := 0; i < 20; i++ {
		p, a := inspect.ProtoTCP, lo4
		if i%2 == 1 {
			p, a = inspect.ProtoTCP6, lo6
		}
		add(inspect.Socket{Proto: p, Local: netip.AddrPortFrom(a, uint16(20000+i)), Remote: netip.AddrPortFrom(a.Unmap(), 0), State: inspect.TCPListen})
	}
	for i := 0; i < 490; i++ {
		p, a := inspect.ProtoTCP, lo4
		if i%2 == 1 {
			p, a = inspect.ProtoTCP6, lo6
		}
		srv := netip.AddrPortFrom(a, uint16(20000+i%20))
		cli := netip.AddrPortFrom(a, uint16(40000+i))
		add(inspect.Socket{Proto: p, Local: cli, Remote: srv, State: inspect.TCPEstablished})
		add(inspect.Socket{Proto: p, Local: srv, Remote: cli, State: inspect.TCPEstablished})
	}
	for i := 0; i < 10; i++ {
		p, a := inspect.ProtoUDP, netip.IPv4Unspecified()
		if i%2 == 1 {
			p, a = inspect.ProtoUDP6, netip.IPv6Unspecified()
		}
		add(inspect.Socket{Proto: p, Local: netip.AddrPortFrom(a, uint16(20000+i)), Remote: netip.AddrPortFrom(a, 0), State: inspect.TCPClose})
	}
	add(inspect.Socket{Proto: inspect.ProtoUnix, Unix: &inspect.UnixInfo{RefCnt: 2, Flags: inspect.UnixFlags(1 << 16), Type: 1, State: inspect.UnixUnconnected, Path: "@kns-bench-4242-0"}})
	return out
}

var (
	benchTanp  = Flags{All: true, NumericHosts: true, NumericPorts: true, NumericUsers: true, Programs: true}
	benchTulpn = Flags{Listening: true, NumericHosts: true, NumericPorts: true, NumericUsers: true, Programs: true}
)

// benchText renders what the text view shows, the way cmd does: header,
// selection, one reused RowWriter.
func benchText(b *testing.B, f Flags, rows func(w io.Writer, s []inspect.Socket)) {
	socks := benchFleetSockets()
	var out bytes.Buffer
	out.Grow(256 << 10)
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		InetHeader(&out, f)
		rows(&out, socks)
	}
	b.SetBytes(int64(out.Len()))
}

// BenchmarkRenderTextTanp is one namespace of `-tanp` through a RowWriter.
func BenchmarkRenderTextTanp(b *testing.B) {
	benchText(b, benchTanp, func(w io.Writer, socks []inspect.Socket) {
		rw := NewRowWriter(w, benchTanp, NoNames{})
		for i := range socks {
			if s := &socks[i]; s.Proto != inspect.ProtoUnix && InetSelected(s, benchTanp) {
				rw.Inet(s)
			}
		}
	})
}

// BenchmarkRenderTextTanpWriteInetRow is the same through WriteInetRow,
// which allocates its row buffer each time.
func BenchmarkRenderTextTanpWriteInetRow(b *testing.B) {
	benchText(b, benchTanp, func(w io.Writer, socks []inspect.Socket) {
		for i := range socks {
			if s := &socks[i]; s.Proto != inspect.ProtoUnix && InetSelected(s, benchTanp) {
				WriteInetRow(w, s, benchTanp, NoNames{})
			}
		}
	})
}

// BenchmarkRenderTextTulpn is one namespace of `-tulpn` (30 rows shown of 1011).
func BenchmarkRenderTextTulpn(b *testing.B) {
	benchText(b, benchTulpn, func(w io.Writer, socks []inspect.Socket) {
		rw := NewRowWriter(w, benchTulpn, NoNames{})
		for i := range socks {
			if s := &socks[i]; s.Proto != inspect.ProtoUnix && InetSelected(s, benchTulpn) {
				rw.Inet(s)
			}
		}
	})
}

// BenchmarkRenderUnixRow is one UNIX row (-xap).
func BenchmarkRenderUnixRow(b *testing.B) {
	socks := benchFleetSockets()
	s := &socks[len(socks)-1]
	f := Flags{All: true, Programs: true}
	rw := NewRowWriter(io.Discard, f, nil)
	b.ReportAllocs()
	for b.Loop() {
		rw.Unix(s)
	}
}

// BenchmarkRenderJSON is one namespace as --output json (records built and encoded).
func BenchmarkRenderJSON(b *testing.B) {
	socks := benchFleetSockets()
	ns := &inspect.Netns{Inode: 4026532000, Kind: inspect.NetnsNamed, Names: []string{"/run/netns/bench"}}
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		recs := make([]wire.SocketRecord, 0, len(socks))
		for i := range socks {
			recs = append(recs, NewSocketRecord(&socks[i], ns, nil))
		}
		if err := wire.WriteJSON(&out, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(out.Len()))
}

// BenchmarkRenderNDJSON is one namespace as --output ndjson.
func BenchmarkRenderNDJSON(b *testing.B) {
	socks := benchFleetSockets()
	ns := &inspect.Netns{Inode: 4026532000, Kind: inspect.NetnsNamed, Names: []string{"/run/netns/bench"}}
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		for i := range socks {
			if err := wire.WriteNDJSON(&out, NewSocketRecord(&socks[i], ns, nil)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.SetBytes(int64(out.Len()))
}

// BenchmarkRenderWide is one namespace as --output wide.
func BenchmarkRenderWide(b *testing.B) {
	socks := benchFleetSockets()
	ns := &inspect.Netns{Inode: 4026532000, Kind: inspect.NetnsNamed, Names: []string{"/run/netns/bench"}}
	rows := make([]WideRow, len(socks))
	for i := range socks {
		rows[i] = WideRow{Socket: &socks[i], Netns: ns}
	}
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := WriteWide(&out, rows, benchTanp, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(out.Len()))
}
