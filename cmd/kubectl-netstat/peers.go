package main

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

// Values of --resolve.
const (
	resolveDNS = "dns" // netstat's own lookups (the default)
	resolveK8s = "k8s" // cluster names first, then netstat's lookups
)

// peerOptions is --resolve.
type peerOptions struct {
	resolve string
}

func (p *peerOptions) addFlags(fs *pflag.FlagSet) {
	p.resolve = resolveDNS
	fs.StringVar(&p.resolve, "resolve", p.resolve, "name hosts in the text Address columns: dns (netstat's lookups) or k8s (pods, Services and nodes by their cluster names, then dns); -n turns both off")
}

func (p *peerOptions) validate() error {
	if p.resolve != resolveDNS && p.resolve != resolveK8s {
		return usagef("--resolve takes dns or k8s, not %q", p.resolve)
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
	return o.peer.resolve == resolveK8s && !o.flags.NumericHosts
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
	printWarnings(o.ErrOut, warns, o.verbose)
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
