//go:build linux

package inspect

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// Benchmarks of the per-namespace readers and the fd walk, on the fleet
// issue's namespace shape: 20 TCP listeners (v4 and v6), 490 established
// loopback pairs, 10 UDP sockets. Run with
//
//	go test -run '^$' -bench . -benchmem ./inspect/

// The process's main thread never runs nsenter.Do: a locked goroutine that
// exits ends its thread, except on the main thread, which Go parks instead,
// and /proc/self/ns/net (the main thread's) would then stay in a test's
// namespace and confuse tests that compare it with the scan's self entry.
func init() { runtime.LockOSThread() }

// benchFleetNetns creates a namespace with that socket mix (held by this
// process) and returns its handle and the listeners' inodes.
func benchFleetNetns(b testing.TB) (nsenter.Handle, []uint64) {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root to create network namespaces")
	}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) == nil && rl.Cur < 2000 {
		b.Skipf("RLIMIT_NOFILE %d too low for 1000 sockets", rl.Cur)
	}
	name := fmt.Sprintf("kns-bench-%d-%d", os.Getpid(), rand.Int31())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		b.Skipf("ip netns add: %v: %s", err, out)
	}
	b.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		b.Fatalf("lo up: %v: %s", err, out)
	}
	h, err := nsenter.Open("/run/netns/" + name)
	if err != nil {
		b.Fatal(err)
	}
	var fds []int
	b.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
		h.Close()
	})
	var listeners []int
	err = nsenter.Do(h, func() error {
		sock := func(domain, typ int, sa unix.Sockaddr) (int, error) {
			fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return -1, err
			}
			fds = append(fds, fd)
			if domain == unix.AF_INET6 {
				unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
			}
			return fd, unix.Bind(fd, sa)
		}
		for i := 0; i < 20; i++ {
			var fd int
			var err error
			if i%2 == 0 {
				fd, err = sock(unix.AF_INET, unix.SOCK_STREAM, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
			} else {
				fd, err = sock(unix.AF_INET6, unix.SOCK_STREAM, &unix.SockaddrInet6{Addr: [16]byte{15: 1}})
			}
			if err != nil {
				return err
			}
			if err := unix.Listen(fd, 1024); err != nil {
				return err
			}
			listeners = append(listeners, fd)
		}
		for i := 0; i < 10; i++ {
			if _, err := sock(unix.AF_INET, unix.SOCK_DGRAM, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
				return err
			}
		}
		for i := 0; i < 490; i++ {
			l := listeners[i%len(listeners)]
			to, _ := unix.Getsockname(l)
			domain := unix.AF_INET
			if _, ok := to.(*unix.SockaddrInet6); ok {
				domain = unix.AF_INET6
			}
			c, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			fds = append(fds, c)
			if err := unix.Connect(c, to); err != nil {
				return err
			}
			a, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
			if err != nil {
				return err
			}
			fds = append(fds, a)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var inodes []uint64
	for _, fd := range listeners {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			b.Fatal(err)
		}
		inodes = append(inodes, st.Ino)
	}
	return h, inodes
}

var benchInetProtos = []Proto{ProtoTCP, ProtoTCP6, ProtoUDP, ProtoUDP6}

// BenchmarkNetReaderListen is one namespace's share of `-tuln`: the kernel
// returns only listeners and unconnected UDP sockets.
func BenchmarkNetReaderListen(b *testing.B) {
	benchNetReader(b, SocketQuery{Protos: benchInetProtos, TCPStates: StatesListen, UDPStates: StatesUDPUnconnected}, 30)
}

// BenchmarkNetReaderAll is one namespace's share of `-tuan`.
func BenchmarkNetReaderAll(b *testing.B) {
	benchNetReader(b, SocketQuery{Protos: benchInetProtos, TCPStates: StatesAll, UDPStates: StatesAll}, 1010)
}

// BenchmarkNetReaderAllProc reads the same tables from /proc/net text (the
// fallback path), for comparison.
func BenchmarkNetReaderAllProc(b *testing.B) {
	benchNetReader(b, SocketQuery{Protos: benchInetProtos, TCPStates: StatesAll, UDPStates: StatesAll, ProcOnly: true}, 1010)
}

func benchNetReader(b *testing.B, q SocketQuery, want int) {
	h, _ := benchFleetNetns(b)
	fs, _ := NewFS("/proc", "/")
	r := fs.NewNetReader(h)
	defer r.Close()
	b.ReportAllocs()
	for b.Loop() {
		res, err := r.Sockets(q)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Sockets) != want {
			b.Fatalf("%d sockets, want %d", len(res.Sockets), want)
		}
	}
}

// BenchmarkDecodeInetDiagMsg is the per-socket decoding cost, without the kernel.
func BenchmarkDecodeInetDiagMsg(b *testing.B) {
	m := make([]byte, sizeofInetDiagMsg)
	m[0], m[1] = unix.AF_INET6, byte(TCPEstablished)
	binary.BigEndian.PutUint16(m[4:], 20000)
	binary.BigEndian.PutUint16(m[6:], 41000)
	m[23], m[39] = 1, 1
	binary.NativeEndian.PutUint32(m[68:], 123456)
	var sk Socket
	b.ReportAllocs()
	for b.Loop() {
		decodeInetDiagMsg(m, ProtoTCP6, &sk)
	}
	if sk.Inode != 123456 || sk.Local.Port() != 20000 {
		b.Fatalf("decoded %+v", sk)
	}
}

// BenchmarkResolveOwnersListeners is the -l owner shortcut: a table scanned
// without the fd walk, then the owners of the 20 listeners of a process
// holding 1000 sockets. Compare BenchmarkScanProcsSockets (full walk).
func BenchmarkResolveOwnersListeners(b *testing.B) {
	_, want := benchFleetNetns(b)
	fs, _ := NewFS("/proc", "/")
	self := os.Getpid()
	b.ReportAllocs()
	for b.Loop() {
		t, err := fs.ScanProcs(ScanOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if left := t.ResolveOwners(want, func(e *ProcEntry) bool { return e.Proc.PID == self }); left != 0 {
			b.Fatalf("%d listeners without owner", left)
		}
	}
}

// TestResolveOwnersListeners checks the -l shortcut against the full walk:
// the same owners, found without reading the whole fd table of the holder
// (the listeners are its first fds), and a process filter that excludes the
// holder finds nothing.
func TestResolveOwnersListeners(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1000 sockets")
	}
	_, want := benchFleetNetns(t)
	fs, _ := NewFS("/proc", "/")
	full, err := fs.ScanProcs(ScanOptions{Sockets: true})
	if err != nil {
		t.Fatal(err)
	}
	lazy, err := fs.ScanProcs(ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	if left := lazy.ResolveOwners(want, func(e *ProcEntry) bool { return e.Proc.PID != self }); left != len(want) {
		t.Errorf("without the holder: %d of %d left, want all", left, len(want))
	}
	if left := lazy.ResolveOwners(want, func(e *ProcEntry) bool { return e.Proc.PID == self }); left != 0 {
		t.Fatalf("%d listeners without owner", left)
	}
	for _, ino := range want {
		f, l := full.Owner(ino), lazy.Owner(ino)
		if f == nil || l == nil || f.PID != l.PID || l.PID != self {
			t.Errorf("inode %d: full walk owner %+v, ResolveOwners %+v, want pid %d", ino, f, l, self)
		}
	}
	if e := lazy.Entry(self); e == nil || e.fdsWalked {
		t.Errorf("holder's fds were walked to the end (entry %+v); the walk should stop at the last listener", e)
	}
	// A table from a full walk answers at once.
	if left := full.ResolveOwners([]uint64{1}, func(*ProcEntry) bool { return true }); left != 0 {
		t.Errorf("full table: ResolveOwners left %d", left)
	}
}

// BenchmarkScanProcsFull is the same process table with the full fd walk
// that -a/-p needs, on the same scene.
func BenchmarkScanProcsFull(b *testing.B) {
	_, want := benchFleetNetns(b)
	fs, _ := NewFS("/proc", "/")
	b.ReportAllocs()
	for b.Loop() {
		t, err := fs.ScanProcs(ScanOptions{Sockets: true})
		if err != nil {
			b.Fatal(err)
		}
		if t.Owner(want[0]) == nil {
			b.Fatal("listener without owner")
		}
	}
}

// TestDiagDumpTCPMatchesPerFamily checks the one-pass TCP dump against one
// dump per family: the same rows, and per family the same order, for every
// state mask the readers use.
func TestDiagDumpTCPMatchesPerFamily(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1000 sockets")
	}
	h, _ := benchFleetNetns(t)
	fd, err := nsenter.SocketAt(h, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	type row struct {
		Proto         Proto
		Local, Remote string
		State         TCPState
		Inode         uint64
	}
	rows := func(s []Socket) []row {
		var out []row
		for _, sk := range s {
			out = append(out, row{sk.Proto, sk.Local.String(), sk.Remote.String(), sk.State, sk.Inode})
		}
		return out
	}
	for _, states := range []uint32{StatesAll, StatesListen, StatesNotListen} {
		var want []Socket
		for _, p := range []Proto{ProtoTCP, ProtoTCP6} {
			if want, err = DiagDump(fd, p, states, want); err != nil {
				t.Fatal(err)
			}
		}
		got, err := DiagDumpTCP(fd, states, nil)
		if err != nil {
			t.Fatal(err)
		}
		sortByProto(got)
		if len(want) < 20 {
			t.Fatalf("states %#x: only %d rows", states, len(want))
		}
		if diff := cmp.Diff(rows(want), rows(got)); diff != "" {
			t.Errorf("states %#x: one-pass dump differs (-per family +one pass)\n%s", states, diff)
		}
	}
}
