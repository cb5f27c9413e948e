package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/kube/peers"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// Sources of --resolve.
const (
	resolveDNS = "dns" // netstat's own lookups: /etc/hosts, then DNS (the default)
	resolveK8s = "k8s" // pods, Services and nodes by their cluster names
)

// peerOptions is --resolve: the host-name sources of the text Address
// columns, tried in the order given.
type peerOptions struct {
	resolve []string
	k8s     bool // k8s is one of the sources
	dns     bool // dns is one of the sources
}

func (p *peerOptions) addFlags(fs *pflag.FlagSet) {
	p.resolve = []string{resolveDNS}
	fs.StringSliceVar(&p.resolve, "resolve", p.resolve, "host names in the text Address columns from: dns (netstat's lookups), k8s (cluster names of pods, Services and nodes; others stay numeric) or k8s,dns (cluster names, then dns); -n turns every lookup off")
}

func (p *peerOptions) validate() error {
	p.k8s, p.dns = false, false
	for _, r := range p.resolve {
		switch r {
		case resolveK8s:
			p.k8s = true
		case resolveDNS:
			p.dns = true
		default:
			return usagef("--resolve takes dns, k8s or k8s,dns, not %q", r)
		}
	}
	if len(p.resolve) == 0 {
		return usagef("--resolve takes dns, k8s or k8s,dns")
	}
	return nil
}

// peerSource is where a run's peer names come from: the API server, or this
// node's CNI results when there is no cluster to ask.
type peerSource struct {
	api   *peers.Resolver
	local bool
	table *inspect.PeerTable
}

// wantPeers says whether this run names peers: always for wide and JSON
// socket output, for text only with --resolve=k8s and host names on.
func (o *netstatOptions) wantPeers() bool {
	if o.mode != modeSockets {
		return false
	}
	if o.format != output.FormatText {
		return true
	}
	return o.peer.k8s && !o.flags.NumericHosts
}

// newPeerSource asks the API server when a kubeconfig is there; without one,
// or when the server cannot be asked, this node's pods are named from local
// state, with one notice saying why.
func (o *netstatOptions) newPeerSource(ctx context.Context) *peerSource {
	r, err := o.ko.PeerResolver(ctx)
	switch {
	case err == nil:
		if n := r.Notice(); n != "" {
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: notice: %s\n", n)
		}
		if o.continuous > 0 {
			r.Watch()
		}
		return &peerSource{api: r}
	case errors.Is(err, kube.ErrNoKubeconfig):
	default:
		fmt.Fprintf(o.ErrOut, "kubectl-netstat: notice: peer names: %v; naming only this node's pods, from its CNI results\n", err)
	}
	return &peerSource{local: true}
}

// refresh takes the current table: the API's (from the informer cache under
// -c), or one rebuilt from the inventory's live sandboxes.
func (p *peerSource) refresh(o *netstatOptions, inv *inspect.Inventory) error {
	if p.api != nil {
		p.table = p.api.Table()
		return nil
	}
	if inv == nil {
		var err error
		if inv, err = o.fs.Discover(inspect.DiscoverOptions{}); err != nil {
			return err
		}
	}
	t, warns := o.fs.CNIPeers(inv)
	if o.verbose { // a bad result file is about the host, not about what was asked
		for _, w := range warns {
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: warning: %s\n", w)
		}
	}
	p.table = t
	return nil
}

func (p *peerSource) close() {
	if p != nil && p.api != nil {
		p.api.Close()
	}
}

// lookup names one end of an Internet socket, nil when unknown or off.
func (p *peerSource) lookup(s *inspect.Socket, local bool) *inspect.Peer {
	if p == nil || s.Proto == inspect.ProtoUnix {
		return nil
	}
	ap := s.Remote
	if local {
		ap = s.Local
	}
	return p.table.Lookup(ap, s.Proto)
}

// currentTable is the table for text lookups.
func (p *peerSource) currentTable() *inspect.PeerTable {
	if p == nil {
		return nil
	}
	return p.table
}
