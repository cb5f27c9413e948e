package audit

import (
	"net/netip"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// listenerKey identifies a listener across passes. The socket inode is left
// out on purpose: a process that closes and reopens the same port between
// two passes has not changed what the audit is about. UnixPath is part of
// the key so that one process's several unix listeners stay apart.
type listenerKey struct {
	netns    uint64
	proto    inspect.Proto
	addr     netip.Addr
	port     uint16
	unixPath string
	pid      int
}

func keyOf(l *Listener) listenerKey {
	return listenerKey{
		netns:    l.NetnsInode(),
		proto:    l.Proto,
		addr:     l.Addr,
		port:     l.Port,
		unixPath: l.UnixPath,
		pid:      l.PID(),
	}
}

// Diff returns the listeners of cur that were not in prev (opened) and those
// of prev that are gone from cur (closed), keyed by (netns inode, proto,
// address, port, unix path, PID). Keys are counted, so when a process holds
// two identical listeners (SO_REUSEPORT) and closes one, that one is reported
// closed. Opened keeps cur's order and closed keeps prev's.
func Diff(prev, cur []Listener) (opened, closed []Listener) {
	count := make(map[listenerKey]int, len(prev))
	for i := range prev {
		count[keyOf(&prev[i])]++
	}
	for i := range cur {
		k := keyOf(&cur[i])
		if count[k] > 0 {
			count[k]--
			continue
		}
		opened = append(opened, cur[i])
	}
	// What is left in count is what cur did not match; walk prev from
	// the end so the last duplicates are the closed ones and prev's order
	// is kept.
	for i := len(prev) - 1; i >= 0; i-- {
		k := keyOf(&prev[i])
		if count[k] > 0 {
			count[k]--
			closed = append(closed, prev[i])
		}
	}
	for i, j := 0, len(closed)-1; i < j; i, j = i+1, j-1 {
		closed[i], closed[j] = closed[j], closed[i]
	}
	return opened, closed
}
