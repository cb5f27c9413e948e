package cmd

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// signals cancels the command's context on SIGINT or SIGTERM, so every pass
// (discovery, the /proc walk, namespace reads, -c, --watch, agent pods) ends
// promptly with its output so far flushed, and the exit status says which
// signal came: 128+signo, 130 or 143, as a shell reports a killed netstat. A
// second signal exits at once.
type signals struct {
	ch     chan os.Signal
	got    atomic.Int32
	cancel context.CancelFunc
	done   chan struct{}
}

func notifySignals(parent context.Context) (context.Context, *signals) {
	ctx, cancel := context.WithCancel(parent)
	s := &signals{ch: make(chan os.Signal, 2), cancel: cancel, done: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for {
			select {
			case sig := <-s.ch:
				n := int32(sig.(syscall.Signal))
				if !s.got.CompareAndSwap(0, n) {
					os.Exit(128 + int(s.got.Load()))
				}
				cancel()
			case <-s.done:
				return
			}
		}
	}()
	return ctx, s
}

// exitCode is 128+signo once a signal came, else 0.
func (s *signals) exitCode() int {
	if n := s.got.Load(); n != 0 {
		return 128 + int(n)
	}
	return 0
}

func (s *signals) stop() {
	signal.Stop(s.ch)
	close(s.done)
	s.cancel()
}
