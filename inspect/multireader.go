package inspect

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// MultiReaders bounds how many namespaces MultiReader reads at once: the
// sock_diag dumps are kernel work (each walks the whole established hash),
// so two cores read two namespaces while the caller renders in order.
const MultiReaders = 2

// MultiReader reads the sockets of several network namespaces of one host,
// for the netstat view, audit and the namespaces list. Each namespace is
// opened once and stays open while it is retained (a -c or --watch refresh
// does not enter it again); socket tables are read ahead of the caller by
// at most MultiReaders goroutines and handed over in order, on the caller's
// goroutine, so at most MultiReaders results are held at a time.
type MultiReader struct {
	fs  FS
	ctx context.Context
	// check enters a namespace once when it is opened: without
	// CAP_SYS_ADMIN setns fails, and that is better known before a
	// header is printed.
	check bool
	open  map[uint64]*netnsOpen
	self  *NetReader // the caller's own namespace, read without setns
	// inv is the inventory last read from: its scan may hold a walk made
	// for this pass (ScanOptions.WalkFor).
	inv *Inventory
	// What the last pass's socket walk did (WalkStatus).
	walked, walkConns       bool
	walkErr                 error
	walkCovered, walkWanted int
}

type netnsOpen struct {
	h nsenter.Handle
	r *NetReader
}

// OpenError is a namespace that could not be opened or entered: it vanished
// (its last process exited, its mount went away), or this user may not
// enter it. Err is the cause.
type OpenError struct {
	Netns *Netns
	Err   error
}

func (e *OpenError) Error() string { return fmt.Sprintf("netns %d: %v", e.Netns.Inode, e.Err) }
func (e *OpenError) Unwrap() error { return e.Err }

// NewMultiReader reads namespaces through fs until ctx ends.
func (fs FS) NewMultiReader(ctx context.Context) *MultiReader {
	if ctx == nil {
		ctx = context.Background()
	}
	return &MultiReader{fs: fs, ctx: ctx, check: os.Geteuid() != 0, open: map[uint64]*netnsOpen{}}
}

// Reader returns the reader of ns, a namespace of inv, opening it the first
// time. The scanner's own namespace (and ns nil) needs no handle. An error
// is an *OpenError.
func (m *MultiReader) Reader(inv *Inventory, ns *Netns) (*NetReader, error) {
	if inv != nil {
		m.inv = inv
	}
	if ns == nil || inv != nil && inv.Procs != nil && ns.Inode == inv.Procs.SelfNetnsIno {
		if m.self == nil {
			m.self = m.fs.NewOwnNetReader(m.ctx)
			if ns != nil {
				m.self.ino = ns.Inode
			}
		}
		return m.self, nil
	}
	if o := m.open[ns.Inode]; o != nil {
		return o.r, nil
	}
	o, err := m.openNetns(ns)
	if err != nil {
		return nil, err
	}
	m.open[ns.Inode] = o
	return o.r, nil
}

// openNetns opens ns and its reader; safe on any goroutine. An error is an
// *OpenError.
func (m *MultiReader) openNetns(ns *Netns) (*netnsOpen, error) {
	h, err := nsenter.Open(ns.Path)
	if err == nil && m.check {
		if err = nsenter.Do(h, func() error { return nil }); err != nil {
			h.Close()
		}
	}
	if err != nil {
		return nil, &OpenError{Netns: ns, Err: err}
	}
	r := m.fs.NewNetReaderContext(m.ctx, h)
	r.ino = ns.Inode
	return &netnsOpen{h: h, r: r}, nil
}

// Retain closes every open namespace not in nss: one that died or is no
// longer selected is never printed, or held open, again.
func (m *MultiReader) Retain(nss []*Netns) {
	keep := make(map[uint64]bool, len(nss))
	for _, ns := range nss {
		keep[ns.Inode] = true
	}
	for ino, o := range m.open {
		if !keep[ino] {
			o.close()
			delete(m.open, ino)
		}
	}
}

// Close closes every namespace and reader.
func (m *MultiReader) Close() {
	m.Retain(nil)
	if m.self != nil {
		m.self.Close()
		m.self = nil
	}
}

func (o *netnsOpen) close() {
	o.r.Close()
	o.h.Close()
}

// Sockets reads query(k) from each of rs (readers of m, or any other, e.g.
// a copied /proc/net), at most MultiReaders at once ahead of the caller,
// and calls fn(k, result, err) for k in order on the caller's goroutine. It
// stops at fn's first error, waits for the reads in flight and returns it.
func (m *MultiReader) Sockets(rs []*NetReader, query func(k int) SocketQuery, fn func(k int, res *SocketResult, err error) error) error {
	want := map[uint64]bool{}
	conns := false
	timers := false
	for k, r := range rs {
		q := query(k)
		switch {
		case r.ino != 0 && walkable(q):
			want[r.ino] = true
			conns = conns || wantsConns(q)
		case r.ino != 0:
			timers = timers || unwalkedTimers(q)
		}
	}
	if walked := m.walk(want, conns, timers); walked != nil {
		for _, r := range rs {
			r.walked = walked[r.ino]
		}
		defer func() {
			for _, r := range rs {
				r.walked = nil
			}
		}()
	}
	if len(rs) == 1 {
		res, err := rs[0].Sockets(query(0))
		return fn(0, res, err)
	}
	return readAhead(len(rs), func(k int) (*SocketResult, error) { return rs[k].Sockets(query(k)) }, fn)
}

// readAhead runs read(k) for k in 0..n-1, at most MultiReaders at once, and
// calls fn with each result in order; a slot is taken before a read and
// given back after fn has used its result, so at most MultiReaders results
// are held. It stops at fn's first error and waits for the reads in flight.
func readAhead(n int, read func(k int) (*SocketResult, error), fn func(k int, res *SocketResult, err error) error) error {
	type result struct {
		res *SocketResult
		err error
	}
	done := make([]chan result, n)
	for k := range done {
		done[k] = make(chan result, 1)
	}
	slots := make(chan struct{}, MultiReaders)
	quit := make(chan struct{})
	produced := make(chan struct{})
	var reads sync.WaitGroup
	go func() {
		defer close(produced)
		for k := range n {
			select {
			case slots <- struct{}{}:
			case <-quit:
				return
			}
			reads.Add(1)
			go func() {
				defer reads.Done()
				res, err := read(k)
				done[k] <- result{res, err}
			}()
		}
	}()
	// The readers may be reused or closed once this returns.
	defer func() {
		close(quit)
		<-produced
		reads.Wait()
	}()
	for k := range n {
		r := <-done[k]
		err := fn(k, r.res, r.err)
		<-slots
		if err != nil {
			return err
		}
	}
	return nil
}

// ReadAll reads q once from every namespace of nss (of inv) and calls fn
// for each in order with its result; with owners set each socket's Owner is
// its process from inv's table (-p). Each namespace is opened, read and
// closed on a worker (at most MultiReaders open at once, however many the
// host has), not kept: a one-shot pass. A namespace that could not be
// opened gives fn an *OpenError.
func (m *MultiReader) ReadAll(inv *Inventory, nss []*Netns, q SocketQuery, owners bool, fn func(ns *Netns, res *SocketResult, err error) error) error {
	if inv != nil {
		m.inv = inv
	}
	want := map[uint64]bool{}
	if walkable(q) {
		for _, ns := range nss {
			want[ns.Inode] = true
		}
	}
	walked := m.walk(want, wantsConns(q), unwalkedTimers(q))
	read := func(k int) (*SocketResult, error) {
		if err := m.ctx.Err(); err != nil {
			return nil, err
		}
		ns := nss[k]
		if res := walked[ns.Inode].result(q); res != nil {
			return res, nil // nothing left to read inside the namespace
		}
		if inv != nil && inv.Procs != nil && ns.Inode == inv.Procs.SelfNetnsIno {
			// The caller's own namespace: no handle, no setns.
			r := m.fs.NewOwnNetReader(m.ctx)
			defer r.Close()
			r.walked = walked[ns.Inode]
			return r.Sockets(q)
		}
		o, err := m.openNetns(ns)
		if err != nil {
			return nil, err
		}
		defer o.close()
		o.r.walked = walked[ns.Inode]
		return o.r.Sockets(q)
	}
	return readAhead(len(nss), read, func(k int, res *SocketResult, err error) error {
		if err == nil && owners && inv != nil && inv.Procs != nil {
			for i := range res.Sockets {
				s := &res.Sockets[i]
				s.Owner = inv.Procs.Owner(s.Inode)
			}
		}
		return fn(nss[k], res, err)
	})
}

// walk runs one socket walk for a pass over the namespaces in want (by
// inode), or takes the one made during the inventory's scan, and returns
// the part of each it covered; nil when it could not run, every namespace
// then being dumped. WalkStatus tells which. timers: some namespace's query
// was left out of want for -o alone (said by -v).
func (m *MultiReader) walk(want map[uint64]bool, conns, timers bool) map[uint64]*walkedNs {
	m.walked, m.walkErr, m.walkCovered, m.walkWanted, m.walkConns = false, nil, 0, len(want), false
	var pre *prewalk
	if m.inv != nil {
		pre = m.inv.Procs.takeWalk() // taken even when unused: it is this pass's
	}
	if len(want) == 0 {
		if timers {
			m.walkErr = errWalkTimers
		}
		return nil
	}
	if err := walkRefused(len(want)); err != nil {
		m.walkErr = err
		return nil
	}
	var got map[uint64]*walkedNs
	var err error
	if pre != nil && (pre.conns || !conns) {
		<-pre.done
		got, err = pre.ns, pre.err
		conns = pre.conns
		for ino := range got {
			if !want[ino] {
				delete(got, ino)
			}
		}
	} else {
		got, err = m.fs.walkSockets(want, conns)
	}
	if err != nil {
		m.walkErr = err
		return nil
	}
	m.walked, m.walkCovered, m.walkConns = true, len(got), conns
	if m.inv != nil {
		m.inv.Procs.primeOwners(got)
	}
	return got
}
