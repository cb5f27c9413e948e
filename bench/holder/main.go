// Command holder is the per-namespace workload of bench/fleet.sh: run inside
// a fresh network namespace (loopback up), it opens a fixed mix of sockets and
// holds them until SIGTERM or SIGINT.
//
//	holder [-sockets M] [-listeners L] [-udp U] [-unix X] [-port P] [-late]
//
// The mix follows the fleet issue: L TCP listeners split over 0.0.0.0,
// 127.0.0.1, [::] and [::1]; (M-L-U-X)/2 established loopback pairs (both
// ends); U UDP sockets (v4 and v6); X abstract UNIX listeners. It prints
// With -late, the UDP and UNIX sockets and a quarter of the listeners are
// opened after the pairs, at the end of the fd table, as a service that adds
// a metrics or DNS socket after hundreds of connections. It prints
// "ready N" (N = sockets held) on stdout once everything is open, so the
// script knows when to measure. Only loopback addresses are used.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

func main() {
	total := flag.Int("sockets", 1000, "total sockets to hold (approximate: pairs fill what the other kinds leave)")
	listeners := flag.Int("listeners", 20, "TCP listeners (v4 and v6)")
	udps := flag.Int("udp", 10, "UDP sockets (v4 and v6)")
	unixes := flag.Int("unix", 1, "abstract UNIX stream listeners")
	port := flag.Int("port", 20000, "first port")
	late := flag.Bool("late", false, "open UDP, UNIX and a quarter of the listeners after the pairs")
	flag.Parse()
	keep, err := hold(*total, *listeners, *udps, *unixes, *port, *late)
	if err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		os.Exit(1)
	}
	fmt.Printf("ready %d\n", len(keep))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	runtime.KeepAlive(keep)
}

// hold opens the sockets and returns them; the caller keeps them alive.
func hold(total, listeners, udps, unixes, port int, late bool) ([]any, error) {
	var keep []any
	if listeners < 1 {
		listeners = 1
	}
	pairs := (total - listeners - udps - unixes) / 2
	early := listeners
	if late {
		early = max(1, listeners-listeners/4)
	}
	// 0.0.0.0 and [::] are wildcard listeners; Go sets IPV6_V6ONLY on a "tcp6"
	// wildcard, so both families can share a port number.
	hosts := []struct{ net, host string }{{"tcp4", "0.0.0.0"}, {"tcp4", "127.0.0.1"}, {"tcp6", "::"}, {"tcp6", "::1"}}
	var lns []*net.TCPListener
	var dial []string // a loopback address of each listener, to connect to
	listen := func(i int) error {
		h := hosts[i%len(hosts)]
		a := &net.TCPAddr{IP: net.ParseIP(h.host), Port: port + i}
		ln, err := net.ListenTCP(h.net, a)
		if err != nil {
			return fmt.Errorf("listen %s: %w", a, err)
		}
		lns = append(lns, ln)
		keep = append(keep, ln)
		to := "127.0.0.1"
		if h.net == "tcp6" {
			to = "::1"
		}
		dial = append(dial, net.JoinHostPort(to, fmt.Sprint(port+i)))
		return nil
	}
	for i := 0; i < early; i++ {
		if err := listen(i); err != nil {
			return nil, err
		}
	}
	dialers := len(lns)
	// No TCP keepalive on either end (Go enables it by default, 15 s): the
	// pairs are made in a burst, so their probes fire together, tens of
	// thousands per round across the fleet, overflow the per-CPU backlog of
	// loopback (net.core.netdev_max_backlog, shared by every namespace) and go
	// unanswered until the kernel aborts the connections
	// (TCPAbortOnTimeout): that is how earlier runs lost up to half the pairs.
	d := net.Dialer{KeepAlive: -1}
	connect := func() error {
		for i := 0; i < pairs; i++ {
			j := i % dialers
			c, err := d.Dial("tcp", dial[j])
			if err != nil {
				return fmt.Errorf("dial %s: %w", dial[j], err)
			}
			s, err := lns[j].AcceptTCP()
			if err != nil {
				return fmt.Errorf("accept %s: %w", dial[j], err)
			}
			if err := s.SetKeepAlive(false); err != nil {
				return fmt.Errorf("accept %s: keepalive off: %w", dial[j], err)
			}
			keep = append(keep, c, s)
		}
		return nil
	}
	if late {
		if err := connect(); err != nil {
			return nil, err
		}
		for i := early; i < listeners; i++ {
			if err := listen(i); err != nil {
				return nil, err
			}
		}
	}
	for i := 0; i < udps; i++ {
		nw, host := "udp4", "0.0.0.0"
		if i%2 == 1 {
			nw, host = "udp6", "::"
		}
		c, err := net.ListenUDP(nw, &net.UDPAddr{IP: net.ParseIP(host), Port: port + i})
		if err != nil {
			return nil, fmt.Errorf("udp %s %d: %w", host, port+i, err)
		}
		keep = append(keep, c)
	}
	for i := 0; i < unixes; i++ {
		// Abstract names belong to the network namespace: nothing to clean up.
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: fmt.Sprintf("@kns-bench-%d-%d", os.Getpid(), i), Net: "unix"})
		if err != nil {
			return nil, fmt.Errorf("unix: %w", err)
		}
		keep = append(keep, ln)
	}
	if !late {
		if err := connect(); err != nil {
			return nil, err
		}
	}
	return keep, nil
}
