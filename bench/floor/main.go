// Command floor measures the kernel's floor for bench/fleet.sh: the least
// work any tool must do to list every TCP socket of a set of network
// namespaces. For each namespace it opens the namespace file, joins it on one
// locked OS thread, opens a NETLINK_SOCK_DIAG socket there and issues one
// dump of all TCP states for AF_INET and one for AF_INET6.
//
//	floor [-decode] PID|PATH...
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
	flag.Parse()
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
		n, err := one(path, *decode, buf, &rows)
		if err != nil {
			fmt.Fprintf(os.Stderr, "floor: %s: %v\n", path, err)
			os.Exit(1)
		}
		total += n
	}
	fmt.Fprintf(os.Stderr, "floor: %d namespaces, %d sockets\n", flag.NArg(), total)
}

// one dumps the TCP sockets of one namespace and returns how many there were.
func one(path string, decode bool, buf []byte, rows *[]inspect.Socket) (int, error) {
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
	for _, p := range []inspect.Proto{inspect.ProtoTCP, inspect.ProtoTCP6} {
		if decode {
			*rows, err = inspect.DiagDump(fd, p, inspect.StatesAll, (*rows)[:0])
			n += len(*rows)
		} else {
			var c int
			c, err = countDump(fd, p == inspect.ProtoTCP6, buf)
			n += c
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// countDump sends one inet_diag request for all TCP states and counts the
// reply messages without decoding them.
func countDump(fd int, v6 bool, buf []byte) (int, error) {
	// struct nlmsghdr (16) + struct inet_diag_req_v2 (56).
	var req [16 + 56]byte
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], 20) // SOCK_DIAG_BY_FAMILY
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(req[8:], 1)
	req[16] = unix.AF_INET
	if v6 {
		req[16] = unix.AF_INET6
	}
	req[17] = unix.IPPROTO_TCP
	ne.PutUint32(req[20:], ^uint32(0)) // idiag_states: all
	if err := unix.Sendto(fd, req[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
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
