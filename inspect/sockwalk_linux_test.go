package inspect

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
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
		l, err := listenLo(add, 8)
		if err != nil {
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
	got, err := fs.walkSockets(map[uint64]bool{ino: true, bst.Ino: true}, false)
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
		dump, walk := dumpAndWalk(t, r, q, got[ino])
		if d := cmp.Diff(rowStrings(dump), rowStrings(walk)); d != "" {
			t.Errorf("query %+v: walk differs from sock_diag (-dump +walk):\n%s", q, d)
		}
		if len(walk) != c.rows {
			t.Errorf("query %+v: %d rows, want %d (the scene's sockets)", q, len(walk), c.rows)
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

// dumpAndWalk reads q with r's own dumps, then from walked.
func dumpAndWalk(t *testing.T, r *NetReader, q SocketQuery, walked *walkedNs) (dump, walk []Socket) {
	t.Helper()
	defer func() { r.walked = nil }()
	for i, w := range []*walkedNs{nil, walked} {
		r.walked = w
		res, err := r.Sockets(q)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			dump = res.Sockets
		} else {
			walk = res.Sockets
		}
	}
	return dump, walk
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
		{SocketQuery{Protos: tcp, TCPStates: StatesAll}, true},                                                     // -tan: connections too
		{SocketQuery{Protos: udp, TCPStates: StatesAll, UDPStates: StatesAll}, true},                               // -uan: no TCP table asked
		{SocketQuery{Protos: append(tcp, udp...), TCPStates: StatesListen, ProcOnly: true}, false},                 // /proc text
		{SocketQuery{Protos: []Proto{ProtoRaw, ProtoUnix}, UDPStates: StatesAll}, false},                           // nothing walked
	} {
		if got := walkable(c.q); got != c.want {
			t.Errorf("walkable(%+v) = %v, want %v", c.q, got, c.want)
		}
	}
}

// openConnSockets opens TCP sockets in every hashed state but LISTEN: a
// connection with unread data, one half closed each way, a timewait sock of
// each substate, a request sock and a SYN that is never answered.
func openConnSockets(t *testing.T, s *diagScene) {
	t.Helper()
	if out, err := exec.Command("sh", "-c", fmt.Sprintf(
		"ip -n %[1]s link add kw0 type veth peer name kw1 && ip -n %[1]s addr add 192.0.2.1/24 dev kw0 && ip -n %[1]s link set kw0 up && ip -n %[1]s link set kw1 up",
		s.name)).CombinedOutput(); err != nil {
		t.Fatalf("veth: %v: %s", err, out)
	}
	s.open(t, func(add func(int)) error {
		l, err := listenLo(add, 16)
		if err != nil {
			return err
		}
		// ESTABLISHED both ways, data unread on one side (Recv-Q).
		c, a, err := loPair(l)
		if err != nil {
			return err
		}
		add(c)
		add(a)
		if _, err := unix.Write(c, []byte("unread data")); err != nil {
			return err
		}
		// FIN_WAIT2 (a full socket) and CLOSE_WAIT.
		if c, a, err = loPair(l); err != nil {
			return err
		}
		add(c)
		add(a)
		if err := unix.Shutdown(c, unix.SHUT_WR); err != nil {
			return err
		}
		// An orphan in FIN_WAIT2 (a timewait sock, substate FIN_WAIT2)
		// and CLOSE_WAIT.
		if c, a, err = loPair(l); err != nil {
			return err
		}
		add(a)
		unix.Close(c)
		// TIME_WAIT: both closed, the client first.
		if c, a, err = loPair(l); err != nil {
			return err
		}
		unix.Close(c)
		unix.Close(a)
		// SYN_RECV: a TCP_DEFER_ACCEPT listener keeps the request sock
		// until data comes.
		d, _ := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
		add(d)
		unix.SetsockoptInt(d, unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 600)
		if err := unix.Bind(d, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}); err != nil {
			return err
		}
		if err := unix.Listen(d, 4); err != nil {
			return err
		}
		dc, _ := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
		add(dc)
		if err := unix.Connect(dc, sockName(d)); err != nil {
			return err
		}
		// SYN_SENT: nothing answers on the veth (192.0.2.0/24, in the scene).
		ss, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
		add(ss)
		if err := unix.Connect(ss, &unix.SockaddrInet4{Port: 9, Addr: [4]byte{192, 0, 2, 2}}); err != unix.EINPROGRESS {
			return fmt.Errorf("connect 192.0.2.2: %v", err)
		}
		return nil
	})
}

// tcpStates counts rows by state name.
func tcpStates(ss []Socket) map[string]int {
	n := map[string]int{}
	for _, s := range ss {
		if s.Proto.IsTCP() {
			n[s.State.String()]++
		}
	}
	return n
}

// withoutTimers clears what the walk does not read (-o's columns).
func withoutTimers(ss []Socket) []Socket {
	out := append([]Socket(nil), ss...)
	for i := range out {
		out[i].Timer, out[i].TimerTicks, out[i].Retrans, out[i].Probes = 0, 0, 0, 0
	}
	return out
}

// TestSocketWalkConnsMatchesDump: with connections asked for, the walk's
// rows are sock_diag's but for timers, in every hashed TCP state, field for
// field and in the same order.
func TestSocketWalkConnsMatchesDump(t *testing.T) {
	s := newDiagScene(t)
	ino := s.withTask(t, s.name)
	openWalkSockets(t, s)
	openConnSockets(t, s)
	fs, err := NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	r := fs.NewNetReader(s.h)
	defer r.Close()
	all := SocketQuery{Protos: []Proto{ProtoTCP, ProtoTCP6, ProtoUDP, ProtoUDP6}, TCPStates: StatesAll, UDPStates: StatesAll}
	// The closes finish in softirq: wait for the two timewait socks.
	want := map[string]int{"ESTABLISHED": 4, "FIN_WAIT2": 2, "CLOSE_WAIT": 2, "TIME_WAIT": 1, "SYN_RECV": 1, "SYN_SENT": 1}
	var dump *SocketResult
	for i := 0; ; i++ {
		if dump, err = r.Sockets(all); err != nil {
			t.Fatal(err)
		}
		n := tcpStates(dump.Sockets)
		ok := true
		for st, k := range want {
			ok = ok && n[st] >= k
		}
		if ok {
			break
		}
		if i > 10000 {
			t.Fatalf("scene's states never all seen: %v, want at least %v", n, want)
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 1e6}, nil)
	}
	got, err := fs.walkSockets(map[uint64]bool{ino: true}, true)
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	if got[ino] == nil || !got[ino].conns {
		t.Fatalf("namespace %d: not walked with connections (%+v)", ino, got[ino])
	}
	for _, q := range []SocketQuery{
		all, // -tuan
		{Protos: []Proto{ProtoTCP, ProtoTCP6}, TCPStates: StatesNotListen},                 // -tn
		{Protos: []Proto{ProtoTCP6, ProtoTCP}, TCPStates: StatesAll, UDPStates: StatesAll}, // odd order
		{Protos: []Proto{ProtoTCP}, TCPStates: StatesListen},                               // -tln
	} {
		dump, walk := dumpAndWalk(t, r, q, got[ino])
		if d := cmp.Diff(rowStrings(withoutTimers(dump)), rowStrings(walk)); d != "" {
			t.Errorf("query %+v: walk differs from sock_diag but for timers (-dump +walk):\n%s", q, d)
		}
	}
	n := tcpStates(append(got[ino].tcp, got[ino].tcp6...))
	for st, k := range want {
		if n[st] < k {
			t.Errorf("walk: %d %s rows, want at least %d (all: %v)", n[st], st, k, n)
		}
	}
	var rq, uid0ino0 bool
	for _, sk := range append(got[ino].tcp, got[ino].tcp6...) {
		rq = rq || sk.State == TCPEstablished && sk.RecvQ == uint64(len("unread data"))
		uid0ino0 = uid0ino0 || sk.State == TCPTimeWait && sk.Inode == 0
	}
	if !rq || !uid0ino0 {
		t.Errorf("connection fields not read: unread data %v, timewait without inode %v", rq, uid0ino0)
	}

	// Connections are walked only without -o; listeners with it too.
	for _, c := range []struct {
		q    SocketQuery
		want bool
	}{
		{SocketQuery{Protos: []Proto{ProtoTCP}, TCPStates: StatesAll, Timers: true}, false},
		{SocketQuery{Protos: []Proto{ProtoTCP}, TCPStates: StatesListen, Timers: true}, true},
	} {
		if walkable(c.q) != c.want {
			t.Errorf("walkable(%+v) = %v", c.q, !c.want)
		}
	}
	// and -v says why.
	m := fs.NewMultiReader(context.Background())
	defer m.Close()
	q := SocketQuery{Protos: []Proto{ProtoTCP}, TCPStates: StatesAll, Timers: true}
	if err := m.ReadAll(nil, []*Netns{{Inode: ino, Path: "/run/netns/" + s.name}}, q, false,
		func(*Netns, *SocketResult, error) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if method, detail := m.WalkStatus(); method != SocketsDump || detail != errWalkTimers.Error() {
		t.Errorf("-o: %s (%s), want dumps (%v)", method, detail, errWalkTimers)
	}
}

// TestSocketWalkUnderChurn: while connections are opened and closed in the
// namespace (freed sockets are reused at once, SLAB_TYPESAFE_BY_RCU), every
// pass still hands over each long-lived connection exactly once.
func TestSocketWalkUnderChurn(t *testing.T) {
	s := newDiagScene(t)
	ino := s.withTask(t, s.name)
	var l int
	stable := map[uint64]bool{}
	s.open(t, func(add func(int)) error {
		var err error
		if l, err = listenLo(add, 64); err != nil {
			return err
		}
		for i := 0; i < 200; i++ {
			c, a, err := loPair(l)
			if err != nil {
				return err
			}
			add(c)
			add(a)
			for _, fd := range []int{c, a} {
				var st unix.Stat_t
				if err := unix.Fstat(fd, &st); err != nil {
					return err
				}
				stable[st.Ino] = true
			}
		}
		return nil
	})
	stop := make(chan struct{})
	churned := make(chan int)
	go func() {
		n := 0
		err := nsenter.Do(s.h, func() error {
			for {
				select {
				case <-stop:
					return nil
				default:
				}
				c, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
				if err := unix.Connect(c, sockName(l)); err != nil {
					unix.Close(c)
					return err
				}
				if a, _, err := unix.Accept(l); err == nil {
					// Reset, not TIME_WAIT: the slab is reused at once.
					unix.SetsockoptLinger(a, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1})
					unix.Close(a)
				}
				unix.SetsockoptLinger(c, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1})
				unix.Close(c)
				n++
			}
		})
		if err != nil {
			t.Error(err)
		}
		churned <- n
	}()
	fs, err := NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	for pass := 0; pass < 50; pass++ {
		got, err := fs.walkSockets(map[uint64]bool{ino: true}, true)
		if err != nil {
			close(stop)
			<-churned
			t.Fatalf("pass %d: %v", pass, err)
		}
		seen := map[uint64]int{}
		for _, sk := range got[ino].tcp {
			if stable[sk.Inode] {
				seen[sk.Inode]++
			}
		}
		for ino := range stable {
			if seen[ino] != 1 {
				t.Errorf("pass %d: connection (inode %d) seen %d times", pass, ino, seen[ino])
			}
		}
	}
	close(stop)
	t.Logf("%d connections opened and reset during 50 passes", <-churned)
}

// A walk made during discovery (WalkFor) serves the pass that follows, once:
// its rows and owners equal those of a pass that dumps, and every socket of
// the scene is this process's.
func TestPrewalkServesReadAll(t *testing.T) {
	s := newDiagScene(t)
	ino := s.withTask(t, s.name)
	openWalkSockets(t, s)
	if os.Getenv(OwnersEnv) == "proc" {
		t.Skipf("%s=proc: no BPF owner pass, so no walk during discovery", OwnersEnv)
	}
	fs, err := NewFS("/proc", "/")
	if err != nil {
		t.Fatal(err)
	}
	q := SocketQuery{Protos: []Proto{ProtoTCP, ProtoTCP6, ProtoUDP, ProtoUDP6, ProtoUDPLite, ProtoUDPLite6}, TCPStates: StatesListen, UDPStates: StatesUDPUnconnected}
	read := func(env string, walkFor *SocketQuery) []string {
		t.Setenv(SocketsEnv, env)
		inv, err := fs.Discover(DiscoverOptions{Sockets: true, WalkFor: walkFor})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Procs.Owners != OwnersBPF {
			t.Fatalf("owners from %s (%s), want the BPF pass", inv.Procs.Owners, inv.Procs.OwnersFallback)
		}
		if (inv.Procs.prewalk != nil) != (walkFor != nil) {
			t.Fatalf("WalkFor %v: walk made during discovery %v", walkFor != nil, inv.Procs.prewalk != nil)
		}
		ns := inv.NetnsOf(ino)
		if ns == nil {
			t.Fatalf("namespace %d not discovered", ino)
		}
		m := fs.NewMultiReader(context.Background())
		defer m.Close()
		var rows []string
		err = m.ReadAll(inv, []*Netns{ns}, q, true, func(_ *Netns, res *SocketResult, err error) error {
			if err != nil {
				return err
			}
			for _, sk := range res.Sockets {
				pid := 0
				if sk.Owner != nil {
					pid = sk.Owner.PID
				}
				sk.Owner = nil
				rows = append(rows, fmt.Sprintf("%+v pid %d", sk, pid))
				if pid != os.Getpid() {
					t.Errorf("%s=%s: %v %v owned by pid %d, want this process (%d)", SocketsEnv, env, sk.Proto, sk.Local, pid, os.Getpid())
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if method, detail := m.WalkStatus(); (method == SocketsWalk) != (env == "walk") {
			t.Errorf("%s=%s: sockets from %s (%s)", SocketsEnv, env, method, detail)
		}
		if inv.Procs.prewalk != nil {
			t.Error("the walk made during discovery was not taken")
		}
		return rows
	}
	walked := read("walk", &q)
	dumped := read("diag", nil)
	if len(walked) != 9 {
		t.Errorf("%d rows from the walk, want the scene's 9", len(walked))
	}
	if d := cmp.Diff(dumped, walked); d != "" {
		t.Errorf("the discovery's walk differs from dumps (-dump +walk):\n%s", d)
	}
}
