// Command sockd opens a described set of sockets in the current network
// namespace, prints "ready" and then holds them until its stdin is closed.
// The end-to-end tests run it inside a throw-away namespace (ip netns exec)
// so that netstat and kubectl-netstat have a known scene to look at.
//
// Usage:
//
//	sockd [-argv0 NAME] DIRECTIVE...
//
// Each DIRECTIVE is one argument: words separated by spaces, options as
// key=value. Addresses are ADDR:PORT with IPv6 in brackets.
//
//	listen ADDR [v6only] [backlog=N]        TCP listener
//	pair LADDR [to=CADDR] [c2s=N] [s2c=N]   listener + one accepted connection;
//	                                        N bytes written and left unread each way
//	backlog LADDR n=N                       listener with N connections never accepted
//	timewait LADDR                          one connection, client closes first
//	                                        (TIME_WAIT on the client side), listener closed
//	udp ADDR [v6only] [connect=ADDR] [recv=N]   bound UDP socket; recv=N queues N
//	                                        bytes sent to it from a throw-away socket
//	                                        (over IPv4 for a dual-stack [::] socket)
//	raw4 [connect=ADDR]                     raw ICMP socket
//	raw6 [connect=ADDR]                     raw ICMPv6 socket
//	unix-listen stream|seqpacket PATH [conns=N] [accept]
//	                                        PATH "@x" = abstract; "%20" = space
//	unix-pair stream|dgram|seqpacket        unnamed socketpair
//	unix-dgram [PATH]                       bound or (without PATH) unbound dgram
//	spawn NAME                              start a child (argv[0] NAME) that
//	                                        inherits every socket opened so far
//
// -argv0 re-executes the program with another argv[0] before doing anything,
// so a test can choose the name netstat -p prints. With -hold the program
// only keeps its inherited descriptors open (used by spawn).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// scene holds every descriptor the program opened; they stay open for its
// whole life (that is the point of the program).
type scene struct {
	fds      []int
	children []*exec.Cmd
}

func main() {
	argv0 := flag.String("argv0", "", "re-exec with this argv[0]")
	hold := flag.Bool("hold", false, "only hold inherited descriptors")
	flag.Parse()

	if *argv0 != "" && os.Getenv("SOCKD_REEXEC") == "" {
		self, err := os.Executable()
		if err == nil {
			args := append([]string{*argv0}, os.Args[1:]...)
			env := append(os.Environ(), "SOCKD_REEXEC=1")
			err = syscall.Exec(self, args, env)
		}
		fmt.Fprintf(os.Stderr, "sockd: re-exec: %v\n", err)
		os.Exit(1)
	}
	if *hold {
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		return
	}

	var s scene
	for _, d := range flag.Args() {
		if err := s.run(d); err != nil {
			fmt.Fprintf(os.Stderr, "sockd: %q: %v\n", d, err)
			os.Exit(1)
		}
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range s.children {
		_ = c.Process.Kill()
		_ = c.Wait()
	}
}

// opts splits "k=v" words into a map and returns the positional words.
func opts(words []string) ([]string, map[string]string) {
	pos := []string{}
	kv := map[string]string{}
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok {
			kv[k] = v
		} else {
			pos = append(pos, w)
		}
	}
	return pos, kv
}

func has(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

func atoi(kv map[string]string, k string, def int) (int, error) {
	v, ok := kv[k]
	if !ok {
		return def, nil
	}
	return strconv.Atoi(v)
}

func (s *scene) run(d string) error {
	words := strings.Fields(d)
	if len(words) == 0 {
		return errors.New("empty directive")
	}
	pos, kv := opts(words[1:])
	arg := func(i int) (string, error) {
		if i >= len(pos) {
			return "", fmt.Errorf("missing argument %d", i+1)
		}
		return pos[i], nil
	}
	switch words[0] {
	case "listen":
		a, err := arg(0)
		if err != nil {
			return err
		}
		bl, err := atoi(kv, "backlog", 128)
		if err != nil {
			return err
		}
		_, err = s.listen(a, has(pos, "v6only"), bl)
		return err
	case "pair":
		a, err := arg(0)
		if err != nil {
			return err
		}
		to := kv["to"]
		if to == "" {
			to = a
		}
		c2s, err := atoi(kv, "c2s", 0)
		if err != nil {
			return err
		}
		s2c, err := atoi(kv, "s2c", 0)
		if err != nil {
			return err
		}
		return s.pair(a, to, c2s, s2c)
	case "backlog":
		a, err := arg(0)
		if err != nil {
			return err
		}
		n, err := atoi(kv, "n", 1)
		if err != nil {
			return err
		}
		return s.backlog(a, n)
	case "timewait":
		a, err := arg(0)
		if err != nil {
			return err
		}
		return s.timewait(a)
	case "udp":
		a, err := arg(0)
		if err != nil {
			return err
		}
		n, err := atoi(kv, "recv", 0)
		if err != nil {
			return err
		}
		return s.udp(a, has(pos, "v6only"), kv["connect"], n)
	case "raw4":
		return s.raw(unix.AF_INET, unix.IPPROTO_ICMP, kv["connect"])
	case "raw6":
		return s.raw(unix.AF_INET6, unix.IPPROTO_ICMPV6, kv["connect"])
	case "unix-listen":
		typ, err := arg(0)
		if err != nil {
			return err
		}
		p, err := arg(1)
		if err != nil {
			return err
		}
		n, err := atoi(kv, "conns", 0)
		if err != nil {
			return err
		}
		return s.unixListen(typ, p, n, has(pos, "accept"))
	case "unix-pair":
		typ, err := arg(0)
		if err != nil {
			return err
		}
		st, err := unixType(typ)
		if err != nil {
			return err
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, st, 0)
		if err != nil {
			return err
		}
		s.fds = append(s.fds, fds[0], fds[1])
		return nil
	case "unix-dgram":
		fd, err := s.socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return unix.Bind(fd, unixAddr(pos[0]))
		}
		return nil
	case "spawn":
		name, err := arg(0)
		if err != nil {
			return err
		}
		return s.spawn(name)
	}
	return fmt.Errorf("unknown directive %q", words[0])
}

func (s *scene) socket(family, typ, proto int) (int, error) {
	fd, err := unix.Socket(family, typ|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, err
	}
	s.fds = append(s.fds, fd)
	return fd, nil
}

// sockaddr turns "ADDR:PORT" into a family and a unix.Sockaddr.
func sockaddr(a string) (int, unix.Sockaddr, error) {
	ap, err := netip.ParseAddrPort(a)
	if err != nil {
		return 0, nil, err
	}
	if ap.Addr().Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}, nil
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}, nil
}

func (s *scene) listen(a string, v6only bool, backlog int) (int, error) {
	fam, sa, err := sockaddr(a)
	if err != nil {
		return -1, err
	}
	fd, err := s.socket(fam, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return -1, err
	}
	if fam == unix.AF_INET6 {
		v := 0
		if v6only {
			v = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v); err != nil {
			return -1, err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return -1, err
	}
	return fd, unix.Listen(fd, backlog)
}

// dial connects a new TCP socket to a; a client of family AF_INET may reach a
// dual-stack IPv6 listener (the accepted side is then v4-mapped).
func (s *scene) dial(a string) (int, error) {
	fam, sa, err := sockaddr(a)
	if err != nil {
		return -1, err
	}
	fd, err := s.socket(fam, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	return fd, unix.Connect(fd, sa)
}

func (s *scene) accept(lfd int) (int, error) {
	fd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, err
	}
	s.fds = append(s.fds, fd)
	return fd, nil
}

func writeN(fd, n int) error {
	if n == 0 {
		return nil
	}
	_, err := unix.Write(fd, []byte(strings.Repeat("x", n)))
	return err
}

func (s *scene) pair(la, ca string, c2s, s2c int) error {
	lfd, err := s.listen(la, false, 16)
	if err != nil {
		return err
	}
	cfd, err := s.dial(ca)
	if err != nil {
		return err
	}
	sfd, err := s.accept(lfd)
	if err != nil {
		return err
	}
	if err := writeN(cfd, c2s); err != nil {
		return err
	}
	return writeN(sfd, s2c)
}

func (s *scene) backlog(la string, n int) error {
	if _, err := s.listen(la, false, n+4); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := s.dial(la); err != nil {
			return err
		}
	}
	return nil
}

func (s *scene) timewait(la string) error {
	lfd, err := s.listen(la, false, 4)
	if err != nil {
		return err
	}
	cfd, err := s.dial(la)
	if err != nil {
		return err
	}
	sfd, err := s.accept(lfd)
	if err != nil {
		return err
	}
	// The client closes first, so the client end goes FIN_WAIT2 -> TIME_WAIT
	// once the server has seen EOF and closed too.
	if err := s.close(cfd); err != nil {
		return err
	}
	buf := make([]byte, 16)
	for {
		n, err := unix.Read(sfd, buf)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	if err := s.close(sfd); err != nil {
		return err
	}
	return s.close(lfd)
}

func (s *scene) close(fd int) error {
	for i, x := range s.fds {
		if x == fd {
			s.fds = append(s.fds[:i], s.fds[i+1:]...)
			break
		}
	}
	return unix.Close(fd)
}

func (s *scene) udp(a string, v6only bool, conn string, recv int) error {
	fam, sa, err := sockaddr(a)
	if err != nil {
		return err
	}
	fd, err := s.socket(fam, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	if fam == unix.AF_INET6 {
		v := 0
		if v6only {
			v = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v); err != nil {
			return err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return err
	}
	if recv > 0 {
		// Send from a throw-away socket to the bound address; a connected
		// socket only accepts from its peer, so this happens before connect.
		local, err := unix.Getsockname(fd)
		if err != nil {
			return err
		}
		dst := local
		if v4, ok := local.(*unix.SockaddrInet4); ok && v4.Addr == [4]byte{} {
			dst = &unix.SockaddrInet4{Port: v4.Port, Addr: [4]byte{127, 0, 0, 1}}
		}
		if v6, ok := local.(*unix.SockaddrInet6); ok && v6.Addr == [16]byte{} {
			dst = &unix.SockaddrInet6{Port: v6.Port, Addr: [16]byte{15: 1}}
			if !v6only {
				// A dual-stack socket gets v4-mapped traffic instead.
				dst = &unix.SockaddrInet4{Port: v6.Port, Addr: [4]byte{127, 0, 0, 1}}
			}
		}
		sfam := unix.AF_INET
		if _, ok := dst.(*unix.SockaddrInet6); ok {
			sfam = unix.AF_INET6
		}
		tmp, err := unix.Socket(sfam, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		err = unix.Sendto(tmp, []byte(strings.Repeat("u", recv)), 0, dst)
		unix.Close(tmp)
		if err != nil {
			return err
		}
	}
	if conn != "" {
		_, csa, err := sockaddr(conn)
		if err != nil {
			return err
		}
		if v4, ok := csa.(*unix.SockaddrInet4); ok && fam == unix.AF_INET6 {
			m := netip.AddrFrom16(netip.AddrFrom4(v4.Addr).As16()).As16()
			csa = &unix.SockaddrInet6{Port: v4.Port, Addr: m}
		}
		return unix.Connect(fd, csa)
	}
	return nil
}

func (s *scene) raw(fam, proto int, conn string) error {
	fd, err := s.socket(fam, unix.SOCK_RAW, proto)
	if err != nil {
		return err
	}
	if conn == "" {
		return nil
	}
	_, sa, err := sockaddr(conn)
	if err != nil {
		return err
	}
	return unix.Connect(fd, sa)
}

func unixType(t string) (int, error) {
	switch t {
	case "stream":
		return unix.SOCK_STREAM, nil
	case "dgram":
		return unix.SOCK_DGRAM, nil
	case "seqpacket":
		return unix.SOCK_SEQPACKET, nil
	}
	return 0, fmt.Errorf("unknown unix type %q", t)
}

// unixAddr decodes the directive spelling of a unix address: a leading "@"
// is the abstract namespace, "%20" is a space (directives are split on spaces).
func unixAddr(p string) *unix.SockaddrUnix {
	// x/sys/unix also spells the abstract namespace with a leading "@".
	return &unix.SockaddrUnix{Name: strings.ReplaceAll(p, "%20", " ")}
}

func (s *scene) unixListen(typ, p string, conns int, acc bool) error {
	st, err := unixType(typ)
	if err != nil {
		return err
	}
	lfd, err := s.socket(unix.AF_UNIX, st, 0)
	if err != nil {
		return err
	}
	sa := unixAddr(p)
	if !strings.HasPrefix(p, "@") {
		_ = os.Remove(sa.Name)
	}
	if err := unix.Bind(lfd, sa); err != nil {
		return err
	}
	if err := unix.Listen(lfd, conns+4); err != nil {
		return err
	}
	for i := 0; i < conns; i++ {
		cfd, err := s.socket(unix.AF_UNIX, st, 0)
		if err != nil {
			return err
		}
		if err := unix.Connect(cfd, sa); err != nil {
			return err
		}
		if acc {
			if _, err := s.accept(lfd); err != nil {
				return err
			}
		}
	}
	return nil
}

// spawn starts a child that inherits every socket opened so far and waits
// until it says "ready", so the sockets are shared by two processes.
func (s *scene) spawn(name string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	c := exec.Command(self, "-hold")
	c.Args[0] = name
	for _, fd := range s.fds {
		c.ExtraFiles = append(c.ExtraFiles, os.NewFile(uintptr(fd), "sock"))
	}
	c.Stderr = os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := c.StdinPipe()
	if err != nil {
		return err
	}
	out, err := c.StdoutPipe()
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	_ = in // kept open: the child holds until this process exits
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		_ = c.Process.Kill()
		return fmt.Errorf("child not ready: %q %v", line, err)
	}
	s.children = append(s.children, c)
	return nil
}
