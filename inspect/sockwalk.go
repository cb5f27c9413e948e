package inspect

import (
	"errors"
	"fmt"
	"os"
)

// SocketsEnv set to "diag" makes every namespace's sockets come from its own
// sock_diag dumps, not from the one in-kernel walk of the host's tables
// (benchmarks compare the two; also an escape hatch); "walk" uses the walk
// however few namespaces a pass reads (tests of the walk on small scenes).
const SocketsEnv = "KUBECTL_NETSTAT_SOCKETS"

// walkMin is the fewest namespaces a pass walks for: below it the dumps
// cost less than loading the walker. Measured on a 50-namespace fleet: the
// dumps of one namespace's listeners and UDP sockets cost about 0.2 ms of
// kernel time (each walks the host's shared tables), the walker about 5 ms
// to load and 2 ms to run.
const walkMin = 32

// SocketsMethod says where a pass's sockets came from.
type SocketsMethod string

const (
	// SocketsWalk: TCP and UDP sockets of every namespace that shares the
	// host's tables from one BPF walk of them; other tables dumped per namespace.
	SocketsWalk SocketsMethod = "one bpf walk of the host's socket tables"
	// SocketsDump: sock_diag dumps in each namespace.
	SocketsDump SocketsMethod = "sock_diag dumps per namespace"
)

// walkedNs is one namespace's part of a socket walk, by table, each in the
// order sock_diag dumps it. lite: the UDP-Lite tables were walked too;
// conns: the TCP tables hold every state, not only listeners.
type walkedNs struct {
	tcp, tcp6, udp, udp6, udplite, udplite6 []Socket
	lite, conns                             bool
}

// walkRefused says why a pass that would walk for n namespaces does not
// (SocketsEnv, walkMin), or nil when it walks.
func walkRefused(n int) error {
	switch os.Getenv(SocketsEnv) {
	case "walk":
		return nil
	case "diag":
		return fmt.Errorf("%s=diag", SocketsEnv)
	}
	if n < walkMin {
		return fmt.Errorf("%d namespaces: dumps cost less below %d", n, walkMin)
	}
	return nil
}

// Walkable reports whether q's TCP and UDP tables can come from the walk
// (DiscoverOptions.WalkFor).
func Walkable(q SocketQuery) bool { return walkable(q) }

// walkable reports whether q's TCP and UDP tables can come from a walk: the
// walk holds every hashed TCP socket and every UDP socket, with what
// sock_diag reports of them (not /proc text), but no TCP timers (-o; a
// listener has none running).
func walkable(q SocketQuery) bool {
	if q.ProcOnly || unwalkedTimers(q) {
		return false
	}
	for _, p := range q.Protos {
		if p.IsTCP() || p.IsUDP() {
			return true
		}
	}
	return false
}

// errWalkTimers is why -o's connections are dumped (WalkStatus).
var errWalkTimers = errors.New("-o: the walk reads no TCP timers")

// unwalkedTimers reports whether q is not walkable for its timers alone.
func unwalkedTimers(q SocketQuery) bool {
	return !q.ProcOnly && q.Timers && wantsConns(q)
}

// wantsConns reports whether q asks for TCP sockets that are not listening:
// the walk then walks the established hashes too.
func wantsConns(q SocketQuery) bool {
	for _, p := range q.Protos {
		if p.IsTCP() && q.TCPStates&^StatesListen != 0 {
			return true
		}
	}
	return false
}

// has reports whether the walk holds table p's sockets in states (for a
// walkable query).
func (w *walkedNs) has(p Proto, states uint32) bool {
	switch p {
	case ProtoTCP, ProtoTCP6:
		return w.conns || states&^StatesListen == 0
	case ProtoUDP, ProtoUDP6:
		return true
	case ProtoUDPLite, ProtoUDPLite6:
		return w.lite
	}
	return false
}

// tables are w's six tables, in no particular order.
func (w *walkedNs) tables() [6][]Socket {
	return [6][]Socket{w.tcp, w.tcp6, w.udp, w.udp6, w.udplite, w.udplite6}
}

// walkedCount is how many sockets the walk holds.
func walkedCount(got map[uint64]*walkedNs) int {
	n := 0
	for _, w := range got {
		for _, t := range w.tables() {
			n += len(t)
		}
	}
	return n
}

// walkedInodes is the set of the walk's n socket inodes (0, a socket no
// file holds, left out).
func walkedInodes(got map[uint64]*walkedNs, n int) map[uint64]bool {
	set := make(map[uint64]bool, n)
	for _, w := range got {
		for _, t := range w.tables() {
			for i := range t {
				if t[i].Inode != 0 {
					set[t[i].Inode] = true
				}
			}
		}
	}
	return set
}

// result is q's sockets when the walk holds every table q reads (no dump, no
// /proc file), so the namespace need not be opened at all; nil otherwise.
func (w *walkedNs) result(q SocketQuery) *SocketResult {
	if w == nil || !walkable(q) {
		return nil
	}
	for _, p := range q.Protos {
		if p == ProtoUnix {
			return nil
		}
		if states := q.statesOf(p); states != 0 && !w.has(p, states) {
			return nil
		}
	}
	res := &SocketResult{}
	for _, p := range q.Protos {
		if states := q.statesOf(p); states != 0 {
			res.Sockets = w.appendRows(res.Sockets, p, states)
		}
	}
	return res
}

// statesOf is the state mask q asks of table p.
func (q SocketQuery) statesOf(p Proto) uint32 {
	if p.IsTCP() {
		return q.TCPStates
	}
	return q.UDPStates
}

// appendRows appends the rows of table p in states (a mask, as for
// sock_diag; a request sock, shown as SYN_RECV, is kept by the SYN_RECV bit,
// not TCP_NEW_SYN_RECV's: every mask netstat's modes use has both or neither).
func (w *walkedNs) appendRows(out []Socket, p Proto, states uint32) []Socket {
	var rows []Socket
	switch p {
	case ProtoTCP:
		rows = w.tcp
	case ProtoTCP6:
		rows = w.tcp6
	case ProtoUDP:
		rows = w.udp
	case ProtoUDP6:
		rows = w.udp6
	case ProtoUDPLite:
		rows = w.udplite
	case ProtoUDPLite6:
		rows = w.udplite6
	}
	for i := range rows {
		if states&(uint32(1)<<rows[i].State) != 0 {
			out = append(out, rows[i])
		}
	}
	return out
}

// WalkStatus says how the last pass read sockets, and why not the walk.
func (m *MultiReader) WalkStatus() (SocketsMethod, string) {
	if m.walkErr != nil {
		return SocketsDump, m.walkErr.Error()
	}
	if m.walked {
		if m.walkConns {
			return SocketsWalk, fmt.Sprintf("%d of %d namespaces, connections too", m.walkCovered, m.walkWanted)
		}
		return SocketsWalk, fmt.Sprintf("%d of %d namespaces", m.walkCovered, m.walkWanted)
	}
	return SocketsDump, ""
}
