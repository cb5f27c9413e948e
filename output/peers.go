package output

import (
	"net/netip"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/wire"
)

// NewPeerRecord returns the peer object, nil (null) when p is nil.
func NewPeerRecord(p *inspect.Peer) *wire.PeerRecord {
	if p == nil {
		return nil
	}
	r := &wire.PeerRecord{Kind: p.Kind.String(), Name: p.Name}
	if p.Namespace != "" {
		r.Namespace = ptr(p.Namespace)
	}
	if p.PortName != "" {
		r.PortName = ptr(p.PortName)
	}
	return r
}

// PeerNames answers host lookups with cluster names (NAMESPACE/NAME,
// svc/NAMESPACE/NAME, node/NAME) where the table knows the address, so the
// Address columns cut them as netstat cuts host names; other addresses get
// the base Names' host name when HostFallback is set, else stay numeric.
// Table is read at each lookup: a -c refresh may replace it.
type PeerNames struct {
	Names
	Table        func() *inspect.PeerTable
	HostFallback bool
}

// Host is the cluster name of a, else (HostFallback) the base lookup's answer.
func (n PeerNames) Host(a netip.Addr) string {
	if n.Table != nil {
		if p := n.Table().Lookup(netip.AddrPortFrom(a, 0), 0); p != nil {
			return p.Text()
		}
	}
	if !n.HostFallback {
		return ""
	}
	return n.Names.Host(a)
}

// PeerText is the wide table's FOREIGN cell: the peer's name, with
// ":PORTNAME" when its port is named; "-" when unknown.
func PeerText(p *inspect.Peer) string {
	if p == nil {
		return "-"
	}
	if p.PortName != "" {
		return p.Text() + ":" + p.PortName
	}
	return p.Text()
}
