package inspect

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// procNetFile names the /proc/net file of each table.
var procNetFile = map[Proto]string{
	ProtoTCP: "tcp", ProtoTCP6: "tcp6", ProtoUDP: "udp", ProtoUDP6: "udp6",
	ProtoUDPLite: "udplite", ProtoUDPLite6: "udplite6", ProtoRaw: "raw", ProtoRaw6: "raw6",
	ProtoUnix: "unix",
}

// SocketQuery says which tables to read and which states the kernel should return.
type SocketQuery struct {
	// Protos lists the tables in the order to read them.
	Protos []Proto
	// TCPStates and UDPStates are TCP-state bit masks (StatesAll, StatesListen, …).
	// UDPStates also applies to UDP-Lite and raw sockets.
	TCPStates, UDPStates uint32
	// ProcOnly reads /proc/net text instead of asking sock_diag.
	ProcOnly bool
	// Timers: TCP timers are shown (-o), so connections are dumped, not
	// walked (the socket walk has no timers).
	Timers bool
}

// SocketResult is what one namespace gave for a query.
type SocketResult struct {
	Sockets []Socket
	// Missing lists requested tables the kernel has neither a diag handler nor a /proc file for.
	Missing []Proto
	// Bogus counts unparsable /proc lines per table (netstat warns "got bogus tcp line").
	Bogus map[Proto]int
}

// NetReader reads the kernel tables of one network namespace. Files and
// sockets are opened inside the namespace once and then used from any thread.
type NetReader struct {
	fs     FS
	h      nsenter.Handle
	ctx    context.Context
	diagFd int
	// noBoth is set once the kernel refused DiagDumpTCP; TCP is then
	// dumped per family.
	noBoth bool
	// scratch holds tcp6 rows while partitionTCP reorders (reused).
	scratch []Socket
	// ino is the namespace's inode where the MultiReader knows it (0:
	// not known), and walked its part of the pass's socket walk, if any:
	// its TCP and UDP sockets then come from there, undumped.
	ino    uint64
	walked *walkedNs
}

// NewNetReader reads the namespace h (nsenter.None() for the caller's own).
// The reader does not own h.
func (fs FS) NewNetReader(h nsenter.Handle) *NetReader {
	return fs.NewNetReaderContext(context.Background(), h)
}

// NewNetReaderContext is NewNetReader whose reads stop with ctx's error once
// ctx is done: before each table and each /proc/net file.
func (fs FS) NewNetReaderContext(ctx context.Context, h nsenter.Handle) *NetReader {
	return &NetReader{fs: fs, h: h, ctx: ctx, diagFd: -1}
}

// NewOwnNetReader reads the caller's own network namespace (or, with a
// --proc-root of copied files, those files) without entering any.
func (fs FS) NewOwnNetReader(ctx context.Context) *NetReader {
	return fs.NewNetReaderContext(ctx, nsenter.None())
}

// ErrNotNetns is nsenter's: a path or fd that is not a network namespace.
// Re-exported so callers above inspect match it without importing nsenter.
var ErrNotNetns = nsenter.ErrNotNetns

// Close releases the reader's sockets.
func (r *NetReader) Close() error {
	if r.diagFd >= 0 {
		err := closeFd(r.diagFd)
		r.diagFd = -1
		return err
	}
	return nil
}

// ProcNet opens files of the namespace's /proc/net; a missing file is nil.
func (r *NetReader) ProcNet(names ...string) ([]*os.File, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	return nsenter.OpenProcNet(r.h, r.fs.ProcRoot, names...)
}

// InetSocket opens an AF_INET datagram socket inside the namespace, for interface ioctls.
func (r *NetReader) InetSocket() (int, error) {
	return nsenter.SocketAt(r.h, afInet, sockDgram, 0)
}

// CloseSocket closes a socket InetSocket returned.
func CloseSocket(fd int) error { return closeFd(fd) }

func (r *NetReader) diag() (int, error) {
	if r.diagFd >= 0 {
		return r.diagFd, nil
	}
	fd, err := nsenter.SocketAt(r.h, afNetlink, sockRaw, netlinkSockDiag)
	if err != nil {
		return -1, fmt.Errorf("sock_diag socket: %w", err)
	}
	r.diagFd = fd
	return fd, nil
}

// Sockets reads the requested tables, through sock_diag where the kernel
// supports it and /proc/net/* otherwise. UNIX sockets always come from
// /proc/net/unix, the only source of netstat's RefCnt column.
func (r *NetReader) Sockets(q SocketQuery) (*SocketResult, error) {
	res := &SocketResult{}
	var fallback []Proto
	for i := 0; i < len(q.Protos); i++ {
		if err := r.ctx.Err(); err != nil {
			return res, err
		}
		p := q.Protos[i]
		if p == ProtoUnix || q.ProcOnly {
			fallback = append(fallback, p)
			continue
		}
		states := q.statesOf(p)
		if states == 0 {
			continue
		}
		if r.walked != nil && r.walked.has(p, states) && walkable(q) {
			res.Sockets = r.walked.appendRows(res.Sockets, p, states)
			continue
		}
		fd, err := r.diag()
		if err != nil {
			fallback = append(fallback, p)
			continue
		}
		// tcp followed by tcp6 (netstat's order) is one walk of the hashes.
		both := p == ProtoTCP && i+1 < len(q.Protos) && q.Protos[i+1] == ProtoTCP6 && !r.noBoth
		before := len(res.Sockets)
		for try := 0; ; try++ {
			if both {
				res.Sockets, err = DiagDumpTCP(fd, states, res.Sockets[:before])
			} else {
				res.Sockets, err = DiagDump(fd, p, states, res.Sockets[:before])
			}
			if errors.Is(err, ErrDumpInterrupted) && try < 3 {
				continue
			}
			break
		}
		if both && err != nil && !errors.Is(err, ErrDumpInterrupted) {
			// No TCPDIAG_GETSOCK here: dump each family instead.
			r.noBoth = true
			res.Sockets = res.Sockets[:before]
			i--
			continue
		}
		if both {
			r.partitionTCP(res.Sockets[before:])
			i++
		}
		switch {
		case err == nil, errors.Is(err, ErrDumpInterrupted):
		case errors.Is(err, ErrDiagUnsupported):
			res.Sockets = res.Sockets[:before]
			fallback = append(fallback, p)
		default:
			return res, err
		}
	}
	if len(fallback) == 0 {
		return res, nil
	}
	// Keep netstat's table order: read the fallback tables and merge by table.
	names := make([]string, len(fallback))
	for i, p := range fallback {
		names[i] = procNetFile[p]
	}
	files, err := r.ProcNet(names...)
	if err != nil {
		return res, fmt.Errorf("/proc/net: %w", err)
	}
	for i, p := range fallback {
		f := files[i]
		if err := r.ctx.Err(); err != nil {
			closeFiles(files[i:])
			return res, err
		}
		if f == nil {
			res.Missing = append(res.Missing, p)
			continue
		}
		var bad int
		if p == ProtoUnix {
			res.Sockets, bad, err = ParseNetUnix(f, res.Sockets)
		} else {
			res.Sockets, bad, err = ParseNetIPSocket(f, p, res.Sockets)
		}
		f.Close()
		if bad > 0 {
			if res.Bogus == nil {
				res.Bogus = map[Proto]int{}
			}
			res.Bogus[p] += bad
		}
		if err != nil {
			return res, err
		}
	}
	sortByProto(res.Sockets)
	return res, nil
}

// partitionTCP moves the tcp6 rows behind the tcp rows, each family in
// kernel order: one dump interleaves them, netstat shows tcp, then tcp6.
func (r *NetReader) partitionTCP(s []Socket) {
	v6 := r.scratch[:0]
	n := 0
	for i := range s {
		if s[i].Proto == ProtoTCP {
			s[n] = s[i]
			n++
		} else {
			v6 = append(v6, s[i])
		}
	}
	copy(s[n:], v6)
	r.scratch = v6[:0]
}

// sortByProto orders rows by table (stable, so each table keeps kernel order).
func sortByProto(s []Socket) {
	for i := 1; i < len(s); i++ {
		if s[i].Proto < s[i-1].Proto {
			sortStable(s)
			return
		}
	}
}

func sortStable(s []Socket) {
	var buckets [ProtoUnix + 1][]Socket
	for _, sk := range s {
		buckets[sk.Proto] = append(buckets[sk.Proto], sk)
	}
	s = s[:0]
	for _, b := range buckets {
		s = append(s, b...)
	}
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
