package audit

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// PeerCount is how many connections one peer has open to a listener.
type PeerCount struct {
	// Peer is the peer's workload ("shop/deployment/web"), else its cluster
	// name ("svc/shop/redis", "node/worker-1"), else its address as netstat
	// -n prints it, for peers no cluster name is known of.
	Peer string
	// Kind is "pod", "service" or "node", "" for a bare address.
	Kind  string
	Count int
}

// PeerKey identifies a listener within one scan: netns, table, address and port.
type PeerKey struct {
	Netns uint64
	Proto inspect.Proto
	Addr  netip.Addr
	Port  uint16
}

// KeyOf is the PeerKey of a listener.
func KeyOf(l *Listener) PeerKey {
	return PeerKey{Netns: l.NetnsInode(), Proto: l.Proto, Addr: l.Addr, Port: l.Port}
}

// CountPeers counts, per TCP listener of ls, the ESTABLISHED sockets of socks
// (read from the same network namespace) that it accepted: same table, same
// local port, and the listener's address or a wildcard listener. name gives a
// socket's remote end its cluster name (nil when unknown). Each listener's
// counts are sorted by count (highest first), then peer.
func CountPeers(ls []Listener, socks []inspect.Socket, name func(*inspect.Socket) *inspect.Peer) map[PeerKey][]PeerCount {
	out := map[PeerKey][]PeerCount{}
	for i := range ls {
		l := &ls[i]
		if !l.Proto.IsTCP() {
			continue
		}
		byPeer := map[string]*PeerCount{}
		for j := range socks {
			s := &socks[j]
			if s.Proto != l.Proto || s.State != inspect.TCPEstablished || s.Local.Port() != l.Port {
				continue
			}
			if !l.Addr.IsUnspecified() && s.Local.Addr() != l.Addr {
				continue
			}
			pc := PeerCount{Peer: addrText(s.Remote.Addr())}
			if p := name(s); p != nil {
				pc.Peer, pc.Kind = p.WorkloadText(), p.Kind.String()
			}
			if c := byPeer[pc.Peer]; c != nil {
				c.Count++
				continue
			}
			pc.Count = 1
			byPeer[pc.Peer] = &pc
		}
		counts := make([]PeerCount, 0, len(byPeer))
		for _, c := range byPeer {
			counts = append(counts, *c)
		}
		slices.SortFunc(counts, func(a, b PeerCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Peer, b.Peer))
		})
		out[KeyOf(l)] = counts
	}
	return out
}

// addrText is an address as netstat -n prints it, v4-mapped as IPv4.
func addrText(a netip.Addr) string {
	return a.Unmap().String()
}
