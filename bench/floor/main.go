//go:build linux

// Command floor measures the kernel's floor for bench/fleet.sh: the least
// work any tool must do to list every TCP socket of a set of network
// namespaces. For each namespace it opens the namespace file, joins it on one
// locked OS thread, opens a NETLINK_SOCK_DIAG socket there and issues one
// dump of all TCP states for AF_INET and one for AF_INET6.
//
//	floor [-decode] [-ask tcp|tcp1|listen] PID|PATH...
//
// -ask chooses the dumps: tcp (the default) is the floor above;
// tcp1 is one dump of all TCP states for both families (TCPDIAG_GETSOCK),
// what "-tan" asks the kernel for; listen is one TCP LISTEN dump for both
// families and one UDP dump of unconnected sockets per family, what "-tuln"
// and audit ask for. tcp1 and listen only count.
//
// A numeric argument means /proc/PID/ns/net. By default the replies are only
// walked and counted (the true floor); -decode turns every message into an
// inspect.Socket through inspect.DiagDump, as the product does. It prints
// "floor: N namespaces, S sockets" on stderr.
//
// This is a measuring tool outside the product, so it calls setns itself
// rather than going through package nsenter.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"golang.org/x/sys/unix"
)

func main() {
	decode := flag.Bool("decode", false, "decode replies with inspect.DiagDump instead of only counting them")
	ask := flag.String("ask", "tcp", "dumps per namespace: tcp, tcp1 or listen")
	flag.Parse()
	var reqs []dumpReq
	switch *ask {
	case "tcp":
		reqs = []dumpReq{{false, unix.AF_INET, unix.IPPROTO_TCP, inspect.StatesAll}, {false, unix.AF_INET6, unix.IPPROTO_TCP, inspect.StatesAll}}
	case "tcp1":
		reqs = []dumpReq{{true, unix.AF_INET, unix.IPPROTO_TCP, inspect.StatesAll}}
	case "listen":
		reqs = []dumpReq{{true, unix.AF_INET, unix.IPPROTO_TCP, inspect.StatesListen},
			{false, unix.AF_INET, unix.IPPROTO_UDP, inspect.StatesUDPUnconnected},
			{false, unix.AF_INET6, unix.IPPROTO_UDP, inspect.StatesUDPUnconnected}}
	default:
		fmt.Fprintf(os.Stderr, "floor: -ask %q: want tcp, tcp1 or listen\n", *ask)
		os.Exit(2)
	}
	if *decode && *ask != "tcp" {
		fmt.Fprintln(os.Stderr, "floor: -decode goes with -ask tcp only")
		os.Exit(2)
	}
	// Setns is per thread: stay on this one for the whole run.
	runtime.LockOSThread()
	buf := make([]byte, 64<<10)
	var rows []inspect.Socket
	total := 0
	for _, a := range flag.Args() {
		path := a
		if _, err := strconv.Atoi(a); err == nil {
			path = "/proc/" + a + "/ns/net"
		}
		n, err := one(path, *decode, reqs, buf, &rows)
		if err != nil {
			fmt.Fprintf(os.Stderr, "floor: %s: %v\n", path, err)
			os.Exit(1)
		}
		total += n
	}
	fmt.Fprintf(os.Stderr, "floor: %d namespaces, %d sockets\n", flag.NArg(), total)
}

// one dumps the TCP sockets of one namespace and returns how many there were.
func one(path string, decode bool, reqs []dumpReq, buf []byte, rows *[]inspect.Socket) (int, error) {
	nsfd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	err = unix.Setns(nsfd, unix.CLONE_NEWNET)
	unix.Close(nsfd)
	if err != nil {
		return 0, fmt.Errorf("setns: %w", err)
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	n := 0
	if decode {
		for _, p := range []inspect.Proto{inspect.ProtoTCP, inspect.ProtoTCP6} {
			*rows, err = inspect.DiagDump(fd, p, inspect.StatesAll, (*rows)[:0])
			n += len(*rows)
			if err != nil {
				return n, err
			}
		}
		return n, nil
	}
	for _, r := range reqs {
		c, err := countDump(fd, r, buf)
		n += c
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// dumpReq is one sock_diag dump request: legacy is TCPDIAG_GETSOCK, which
// the kernel serves for both families in one walk of the TCP hashes.
type dumpReq struct {
	legacy   bool
	family   uint8
	protocol uint8
	states   uint32
}

// countDump sends one inet_diag request and counts the reply messages
// without decoding them.
func countDump(fd int, r dumpReq, buf []byte) (int, error) {
	// struct nlmsghdr (16), then struct inet_diag_req_v2 (56: family,
	// protocol, states at 4, the 48-byte sockid at 8, its cookie at 48) or
	// the original struct inet_diag_req (60: the sockid at 4, its cookie at
	// 44, the states at 52).
	var b [16 + 60]byte
	ne := binary.NativeEndian
	req := b[:16+56]
	ne.PutUint16(req[4:], 20) // SOCK_DIAG_BY_FAMILY
	req[16] = r.family
	req[17] = r.protocol
	ne.PutUint32(req[20:], r.states)
	ne.PutUint64(req[16+48:], ^uint64(0)) // cookie: none
	if r.legacy {
		req = b[:]
		clear(req)
		ne.PutUint16(req[4:], 18) // TCPDIAG_GETSOCK
		req[16] = r.family
		ne.PutUint64(req[16+44:], ^uint64(0))
		ne.PutUint32(req[16+52:], r.states)
	}
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, fmt.Errorf("send: %w", err)
	}
	n := 0
	for {
		m, _, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("recv: %w", err)
		}
		b := buf[:m]
		for len(b) >= 16 {
			l := int(ne.Uint32(b[0:]))
			typ := ne.Uint16(b[4:])
			if l < 16 || l > len(b) {
				return n, fmt.Errorf("bad netlink length %d", l)
			}
			switch typ {
			case unix.NLMSG_DONE:
				return n, nil
			case unix.NLMSG_ERROR:
				if e := int32(ne.Uint32(b[16:])); e < 0 {
					return n, unix.Errno(-e)
				}
			default:
				n++
			}
			adv := (l + 3) &^ 3
			if adv > len(b) {
				break
			}
			b = b[adv:]
		}
	}
}
