package cmd

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// StopSignals end a run: main passes them to signal.NotifyContext, whose
// context ends every pass (discovery, the /proc walk, namespace reads, -c,
// --watch, agent pods) promptly with the output so far flushed.
var StopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// Signals remembers which stop signal came, so the exit status says it
// (128+signo: 130 or 143, as a shell reports a killed netstat), and exits
// at once on a second one. NotifyContext's cause names the signal only in
// its text, so this small watcher sits next to it.
type Signals struct {
	ch    chan os.Signal
	once  sync.Once
	first chan struct{} // closed when the first signal is recorded
	sig   syscall.Signal
	done  chan struct{}
}

// WatchSignals starts the watcher; call it before signal.NotifyContext.
func WatchSignals() *Signals {
	s := &Signals{ch: make(chan os.Signal, 2), first: make(chan struct{}), done: make(chan struct{})}
	signal.Notify(s.ch, StopSignals...)
	go func() {
		for {
			select {
			case sig := <-s.ch:
				select {
				case <-s.first:
					os.Exit(128 + int(s.sig))
				default:
				}
				s.sig = sig.(syscall.Signal)
				close(s.first)
			case <-s.done:
				return
			}
		}
	}()
	return s
}

// Stop ends the watching.
func (s *Signals) Stop() {
	s.once.Do(func() {
		signal.Stop(s.ch)
		close(s.done)
	})
}

// ExitCode is the process exit status of a run that returned err with ctx,
// the context signal.NotifyContext gave: 128+signo when a stop signal ended
// it (what was printed so far is flushed; no error line), else ExitCode(err).
// Call it before NotifyContext's stop.
func (s *Signals) ExitCode(ctx context.Context, err error, errOut io.Writer) int {
	if ctx.Err() != nil {
		// NotifyContext cancels only after the signal was delivered to every
		// channel, s.ch among them: the watcher records it at once.
		select {
		case <-s.first:
			return 128 + int(s.sig)
		case <-s.done:
		}
	}
	return ExitCode(err, errOut)
}
