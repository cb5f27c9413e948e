package inspect

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// withTask starts a process in the scene's namespace (the walk learns a
// namespace from its tasks) and returns the namespace's inode.
func (s *diagScene) withTask(t *testing.T, name string) uint64 {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", name, "sleep", "3600")
	if err := cmd.Start(); err != nil {
		t.Fatalf("ip netns exec: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var st unix.Stat_t
	if err := unix.Stat("/run/netns/"+name, &st); err != nil {
		t.Fatal(err)
	}
	// The task is in the namespace once its /proc link says so.
	for i := 0; ; i++ {
		var pst unix.Stat_t
		if err := unix.Stat("/proc/"+strconv.Itoa(cmd.Process.Pid)+"/ns/net", &pst); err == nil && pst.Ino == st.Ino {
			break
		}
		if i > 10000 {
			t.Fatal("the process never entered the namespace")
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 1e6}, nil)
	}
	return st.Ino
}

// openWalkSockets opens every kind of socket the walk reports, with queues
// that are not empty, in the scene.
func openWalkSockets(t *testing.T, s *diagScene) {
	s.open(t, func(add func(int)) error {
		lo := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
		l, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		add(l)
		if err := unix.Bind(l, lo); err != nil {
			return err
		}
		if err := unix.Listen(l, 8); err != nil {
			return err
		}
		// One client left in the accept queue: Recv-Q 1.
		c, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		add(c)
		if err := unix.Connect(c, sockName(l)); err != nil {
			return err
		}
		// Dual-stack and v6-only listeners, and three sharing a port.
		l6, _ := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
		add(l6)
		if err := unix.Bind(l6, &unix.SockaddrInet6{}); err != nil {
			return err
		}
		if err := unix.Listen(l6, 8); err != nil {
			return err
		}
		port := 0
		for i := 0; i < 3; i++ {
			r, _ := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
			add(r)
			unix.SetsockoptInt(r, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			unix.SetsockoptInt(r, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
			if err := unix.Bind(r, &unix.SockaddrInet6{Port: port, Addr: [16]byte{15: 1}}); err != nil {
				return err
			}
			if err := unix.Listen(r, 4); err != nil {
				return err
			}
			port = sockName(r).(*unix.SockaddrInet6).Port
		}
		// UDP: bound with unread datagrams (Recv-Q), connected v4 and v6.
		u, _ := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		add(u)
		if err := unix.Bind(u, lo); err != nil {
			return err
		}
		uc, _ := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		add(uc)
		if err := unix.Connect(uc, sockName(u)); err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			if _, err := unix.Write(uc, []byte("queued datagram")); err != nil {
				return err
			}
		}
		u6, _ := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
		add(u6)
		if err := unix.Connect(u6, &unix.SockaddrInet6{Port: 53, Addr: [16]byte{15: 1}}); err != nil {
			return err
		}
		u6b, _ := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
		add(u6b)
		if err := unix.Bind(u6b, &unix.SockaddrInet6{}); err != nil {
			return err
		}
		// UDP-Lite, bound v4 with a queued datagram and bound v6.
		ul, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_UDPLITE)
		if err != nil {
			return err
		}
		add(ul)
		if err := unix.Bind(ul, lo); err != nil {
			return err
		}
		if err := unix.Sendto(ul, []byte("lite"), 0, sockName(ul)); err != nil {
			return err
		}
		ul6, _ := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_UDPLITE)
		add(ul6)
		return unix.Bind(ul6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}})
	})
}

// TestSocketWalkMatchesDump: for a namespace a task is in, the walk's rows
// are sock_diag's, field for field and in the same order; a namespace no
// task is in is left to its dumps.
func TestSocketWalkMatchesDump(t *testing.T) {
	s := newDiagScene(t)
	ino := s.withTask(t, s.name)
	openWalkSockets(t, s)
	bare := newDiagScene(t) // held by its bind mount only
	openWalkSockets(t, bare)
	var bst unix.Stat_t
	if err := unix.Stat("/run/netns/"+bare.name, &bst); err != nil {
		t.Fatal(err)
	}

	fs, err := NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.walkSockets(map[uint64]bool{ino: true, bst.Ino: true})
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	if got[ino] == nil {
		t.Fatalf("namespace %d (with a task) not covered by the walk", ino)
	}
	if got[bst.Ino] != nil {
		t.Errorf("namespace %d (no task) reported as walked", bst.Ino)
	}
	if !got[ino].lite || len(got[ino].udplite) != 1 || len(got[ino].udplite6) != 1 {
		t.Errorf("UDP-Lite: walked %v, %d v4 and %d v6 sockets, want 1 and 1", got[ino].lite, len(got[ino].udplite), len(got[ino].udplite6))
	}
	r := fs.NewNetReader(s.h)
	defer r.Close()
	for _, c := range []struct {
		q    SocketQuery
		rows int
	}{
		{SocketQuery{Protos: []Proto{ProtoTCP, ProtoTCP6, ProtoUDP, ProtoUDP6}, TCPStates: StatesListen, UDPStates: StatesAll}, 9},
		{SocketQuery{Protos: []Proto{ProtoTCP, ProtoTCP6, ProtoUDP, ProtoUDP6}, TCPStates: StatesListen, UDPStates: StatesUDPUnconnected}, 7},
		{SocketQuery{Protos: []Proto{ProtoUDP6, ProtoTCP}, UDPStates: StatesAll, TCPStates: StatesListen}, 3},
		{SocketQuery{Protos: []Proto{ProtoTCP, ProtoTCP6, ProtoUDP, ProtoUDP6, ProtoUDPLite, ProtoUDPLite6}, TCPStates: StatesListen, UDPStates: StatesUDPUnconnected}, 9},
	} {
		q := c.q
		r.walked = nil
		dump, err := r.Sockets(q)
		if err != nil {
			t.Fatal(err)
		}
		r.walked = got[ino]
		walk, err := r.Sockets(q)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(rowStrings(dump.Sockets), rowStrings(walk.Sockets)); d != "" {
			t.Errorf("query %+v: walk differs from sock_diag (-dump +walk):\n%s", q, d)
		}
		if len(walk.Sockets) != c.rows {
			t.Errorf("query %+v: %d rows, want %d (the scene's sockets)", q, len(walk.Sockets), c.rows)
		}
	}
	// The queues are read, not zero: one client waits in the accept queue
	// and three datagrams in a UDP socket.
	var backlog, rq bool
	for _, sk := range got[ino].tcp {
		backlog = backlog || sk.RecvQ == 1
	}
	for _, sk := range append(got[ino].udp, got[ino].udplite...) {
		rq = rq || sk.RecvQ > 0
	}
	if !backlog || !rq {
		t.Errorf("queues not seen: accept backlog %v, UDP receive queue %v", backlog, rq)
	}

	// Through a MultiReader, the bare namespace is dumped and both agree
	// with a pass made without the walk.
	nss := []*Netns{{Inode: ino, Path: "/run/netns/" + s.name}, {Inode: bst.Ino, Path: "/run/netns/" + bare.name}}
	q := SocketQuery{Protos: []Proto{ProtoTCP, ProtoTCP6, ProtoUDP, ProtoUDP6, ProtoUDPLite, ProtoUDPLite6}, TCPStates: StatesListen, UDPStates: StatesAll}
	read := func() [][]Socket {
		m := fs.NewMultiReader(context.Background())
		defer m.Close()
		var out [][]Socket
		err := m.ReadAll(nil, nss, q, false, func(ns *Netns, res *SocketResult, err error) error {
			if err != nil {
				return err
			}
			out = append(out, res.Sockets)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		method, detail := m.WalkStatus()
		t.Logf("%s (%s)", method, detail)
		if want := os.Getenv(SocketsEnv) == "walk"; want != (method == SocketsWalk) || want && detail != "1 of 2 namespaces" {
			t.Errorf("%s=%s: %s (%s)", SocketsEnv, os.Getenv(SocketsEnv), method, detail)
		}
		return out
	}
	t.Setenv(SocketsEnv, "walk") // two namespaces: below walkMin
	walked := read()
	t.Setenv(SocketsEnv, "diag")
	dumped := read()
	if len(walked) != 2 || len(dumped) != 2 {
		t.Fatalf("%d and %d namespaces read, want 2", len(walked), len(dumped))
	}
	if d := cmp.Diff(append(rowStrings(dumped[0]), rowStrings(dumped[1])...), append(rowStrings(walked[0]), rowStrings(walked[1])...)); d != "" {
		t.Errorf("MultiReader with the walk differs from dumps (-dump +walk):\n%s", d)
	}
}

// rowStrings shows every field of each row, in order.
func rowStrings(ss []Socket) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%+v", s)
	}
	return out
}

func TestWalkable(t *testing.T) {
	tcp, udp := []Proto{ProtoTCP, ProtoTCP6}, []Proto{ProtoUDP, ProtoUDP6}
	for _, c := range []struct {
		q    SocketQuery
		want bool
	}{
		{SocketQuery{Protos: append(tcp, udp...), TCPStates: StatesListen, UDPStates: StatesUDPUnconnected}, true}, // -tuln
		{SocketQuery{Protos: tcp, TCPStates: StatesAll}, false},                                                    // -tan: connections
		{SocketQuery{Protos: udp, TCPStates: StatesAll, UDPStates: StatesAll}, true},                               // -uan: no TCP table asked
		{SocketQuery{Protos: append(tcp, udp...), TCPStates: StatesListen, ProcOnly: true}, false},                 // /proc text
		{SocketQuery{Protos: []Proto{ProtoRaw, ProtoUnix}, UDPStates: StatesAll}, false},                           // nothing walked
	} {
		if got := walkable(c.q); got != c.want {
			t.Errorf("walkable(%+v) = %v, want %v", c.q, got, c.want)
		}
	}
}
