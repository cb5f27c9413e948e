// Command listen opens TCP (and with -udp, UDP) sockets and blocks: a tiny
// workload for fixtures and hack/demo.sh, which run it inside namespaces.
//
//	listen [-udp] [ADDR:]PORT...
//
// A bare PORT listens on all addresses. It exits on SIGTERM or SIGINT.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	udp := flag.Bool("udp", false, "also bind a UDP socket on each address")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: listen [-udp] [ADDR:]PORT...")
		os.Exit(2)
	}
	var keep []any
	for _, a := range flag.Args() {
		if !strings.Contains(a, ":") {
			a = ":" + a
		}
		// Go serves "0.0.0.0" from a dual-stack [::] socket under "tcp"; pin the
		// family so netstat shows what was asked for.
		fam := ""
		if host, _, err := net.SplitHostPort(a); err == nil && host != "" {
			if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
				fam = "4"
			} else if ip != nil {
				fam = "6"
			}
		}
		ln, err := net.Listen("tcp"+fam, a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		keep = append(keep, ln)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		if *udp {
			pc, err := net.ListenPacket("udp"+fam, a)
			if err != nil {
				fmt.Fprintln(os.Stderr, "listen:", err)
				os.Exit(1)
			}
			keep = append(keep, pc)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	_ = keep
}
