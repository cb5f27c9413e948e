package kube

import (
	"context"
	"time"

	"github.com/kubectl-netstat/kubectl-netstat/kube/peers"
)

// peerTimeout bounds each list for peer names unless --request-timeout is
// set: naming is a nicety, so a dead API server must not hold up the table
// for the full request timeout.
const peerTimeout = 5 * time.Second

// PeerResolver lists the cluster's pods, Services and nodes for naming the
// ends of connections. ErrNoKubeconfig means there is no cluster to ask.
func (o *Options) PeerResolver(ctx context.Context) (*peers.Resolver, error) {
	if err := o.Complete(); err != nil {
		return nil, err
	}
	ns, _, err := o.namespace()
	if err != nil {
		return nil, err
	}
	timeout := peerTimeout
	if o.ConfigFlags != nil && o.ConfigFlags.Timeout != nil && *o.ConfigFlags.Timeout != "0" && *o.ConfigFlags.Timeout != "" {
		timeout = o.requestTimeout()
	}
	r, err := peers.New(ctx, o.Client, ns, timeout)
	if err != nil {
		return nil, o.apiError(err, "list pods, services and nodes for peer names", "list", "pods", "")
	}
	return r, nil
}
