package cmd

import (
	"context"

	"github.com/kubectl-netstat/kubectl-netstat/audit"
	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

// auditPeers counts, per listener, the peers connected to it (audit
// --output wide|json), named like the main command's foreign_peer.
type auditPeers struct {
	on, wide bool
	ctx      context.Context
	src      *peerSource
	counts   map[audit.PeerKey][]audit.PeerCount
}

// start opens the peer source once per run and takes its table.
func (p *auditPeers) start(o *auditOptions, inv *inspect.Inventory) {
	if p.src == nil {
		ctx := p.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		p.src = o.root.newPeerSource(ctx)
	}
	if err := p.src.refresh(o.root, inv); err != nil {
		p.src.table = nil
	}
	p.counts = map[audit.PeerKey][]audit.PeerCount{}
}

// count adds the connections of one namespace's sockets to its listeners ls.
func (p *auditPeers) count(ls []audit.Listener, socks []inspect.Socket) {
	if !p.on {
		return
	}
	for k, v := range audit.CountPeers(ls, socks, func(s *inspect.Socket) *inspect.Peer { return p.src.lookup(s, false) }) {
		p.counts[k] = v
	}
}

// of returns a listener's counts and whether peers were counted at all.
func (p *auditPeers) of(l *audit.Listener) ([]audit.PeerCount, bool) {
	if !p.on {
		return nil, false
	}
	return p.counts[audit.KeyOf(l)], true
}

func (p *auditPeers) close() { p.src.close() }
