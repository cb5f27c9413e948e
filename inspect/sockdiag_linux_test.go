package inspect

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// diagScene is a fresh network namespace with sockets opened inside it.
type diagScene struct {
	name string // under /run/netns
	h    nsenter.Handle
	fds  []int
}

func newDiagScene(t *testing.T) *diagScene {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	name := fmt.Sprintf("kns-diag-%d-%d", os.Getpid(), rand.Int31())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	h, err := nsenter.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := &diagScene{name: name, h: h}
	t.Cleanup(func() {
		for _, fd := range s.fds {
			unix.Close(fd)
		}
		h.Close()
	})
	return s
}

// open runs socket syscalls inside the namespace; the fds stay there.
func (s *diagScene) open(t *testing.T, fn func(add func(int)) error) {
	t.Helper()
	err := nsenter.Do(s.h, func() error {
		return fn(func(fd int) { s.fds = append(s.fds, fd) })
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listenLo opens a TCP listener on 127.0.0.1, port chosen by the kernel
// (inside diagScene.open's function: the scene's namespace).
func listenLo(add func(int), backlog int) (int, error) {
	l, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	add(l)
	if err := unix.Bind(l, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return -1, err
	}
	return l, unix.Listen(l, backlog)
}

// loPair connects to listener l and accepts: both ends of one connection,
// not added to the scene's fds.
func loPair(l int) (c, a int, err error) {
	c, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, -1, err
	}
	if err := unix.Connect(c, sockName(l)); err != nil {
		unix.Close(c)
		return -1, -1, err
	}
	a, _, err = unix.Accept(l)
	return c, a, err
}

func sockName(fd int) unix.Sockaddr {
	sa, _ := unix.Getsockname(fd)
	return sa
}

func TestDiagMatchesProc(t *testing.T) {
	s := newDiagScene(t)
	s.open(t, func(add func(int)) error {
		lo := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
		l, err := listenLo(add, 8)
		if err != nil {
			return err
		}
		// Two clients, one accepted and one left in the accept queue.
		for i := 0; i < 2; i++ {
			c, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
			add(c)
			if err := unix.Connect(c, sockName(l)); err != nil {
				return err
			}
			if _, err := unix.Write(c, []byte("unread data")); err != nil {
				return err
			}
		}
		a, _, err := unix.Accept(l)
		if err != nil {
			return err
		}
		add(a)
		// Bound, never listened: in no /proc/net table (sock_diag has
		// it only for TCPF_BOUND_INACTIVE).
		b, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		add(b)
		if err := unix.Bind(b, lo); err != nil {
			return err
		}
		l6, _ := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
		add(l6)
		if err := unix.Bind(l6, &unix.SockaddrInet6{}); err != nil {
			return err
		}
		if err := unix.Listen(l6, 8); err != nil {
			return err
		}
		u, _ := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		add(u)
		if err := unix.Bind(u, lo); err != nil {
			return err
		}
		uc, _ := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
		add(uc)
		if err := unix.Connect(uc, &unix.SockaddrInet6{Port: 53, Addr: [16]byte{15: 1}}); err != nil {
			return err
		}
		r, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
		if err != nil {
			return err
		}
		add(r)
		return nil
	})
	fs, err := NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	r := fs.NewNetReader(s.h)
	defer r.Close()
	all := []Proto{ProtoTCP, ProtoTCP6, ProtoUDP, ProtoUDP6, ProtoRaw, ProtoRaw6}
	q := SocketQuery{Protos: all, TCPStates: StatesAll, UDPStates: StatesAll}
	diag, err := r.Sockets(q)
	if err != nil {
		t.Fatal(err)
	}
	q.ProcOnly = true
	proc, err := r.Sockets(q)
	if err != nil {
		t.Fatal(err)
	}
	key := func(ss []Socket) []string {
		var out []string
		for _, s := range ss {
			// Timer expiry moves between the two reads; everything else must agree.
			out = append(out, fmt.Sprintf("%s %s %s %s q=%d/%d uid=%d ino=%d tr=%d",
				s.Proto, s.Local, s.Remote, s.State, s.RecvQ, s.SendQ, s.UID, s.Inode, s.Timer))
		}
		sort.Strings(out)
		return out
	}
	if d := cmp.Diff(key(proc.Sockets), key(diag.Sockets)); d != "" {
		t.Errorf("sock_diag differs from /proc/net (-proc +diag):\n%s", d)
	}
	if len(diag.Sockets) < 9 {
		t.Errorf("only %d sockets seen:\n%v", len(diag.Sockets), key(diag.Sockets))
	}

	// The listening query is filtered by the kernel: only LISTEN rows come back.
	listen, err := r.Sockets(SocketQuery{Protos: []Proto{ProtoTCP, ProtoTCP6}, TCPStates: StatesListen})
	if err != nil {
		t.Fatal(err)
	}
	if len(listen.Sockets) != 2 {
		t.Errorf("listening query returned %d rows, want 2: %v", len(listen.Sockets), key(listen.Sockets))
	}
	for _, s := range listen.Sockets {
		if s.State != TCPListen {
			t.Errorf("listening query returned %s", s.State)
		}
		if s.Local.Addr().Is4() && s.RecvQ != 1 {
			t.Errorf("accept queue = %d, want 1 (one un-accepted client)", s.RecvQ)
		}
		if s.SendQ != 0 {
			t.Errorf("LISTEN Send-Q = %d, want 0 as /proc shows", s.SendQ)
		}
	}
}

func BenchmarkDiagDumpListen(b *testing.B) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		b.Skip(err)
	}
	defer unix.Close(fd)
	out := make([]Socket, 0, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if out, err = DiagDump(fd, ProtoTCP, StatesAll, out[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
