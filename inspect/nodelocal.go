package inspect

import "errors"

// ErrNodeLocal is returned on a client platform other than Linux by every
// reader that needs the node itself (/proc, network namespaces, sock_diag):
// there, pods are read through the Kubernetes API instead.
var ErrNodeLocal = errors.New("node-local, Linux only")
