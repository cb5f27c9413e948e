// Command fdswap is the unprivileged attacker of the fault suite: it is
// given a network namespace as fd 3, keeps a copy at fd 100 (so the
// namespace stays alive), and keeps swapping fd 3 between that namespace and
// a FIFO that has no writer. A root scan walks fds in order, so when it saw
// fd 3 as net:[N] it opens /proc/PID/fd/3 later, and may find the FIFO: a
// plain blocking open would wait forever for a writer.
//
//	fdswap FIFO
//
// It prints "ready" and swaps until killed.
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fdswap FIFO (netns as fd 3)")
		os.Exit(2)
	}
	// A reader only, opened non-blocking: the FIFO then has no writer.
	fifo, err := syscall.Open(os.Args[1], syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fdswap:", err)
		os.Exit(1)
	}
	if err := syscall.Dup2(3, 100); err != nil {
		fmt.Fprintln(os.Stderr, "fdswap:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for i := 0; ; i++ {
		src := 100
		if i%2 == 0 {
			src = fifo
		}
		if err := syscall.Dup2(src, 3); err != nil {
			fmt.Fprintln(os.Stderr, "fdswap:", err)
			os.Exit(1)
		}
		time.Sleep(200 * time.Microsecond)
	}
}
