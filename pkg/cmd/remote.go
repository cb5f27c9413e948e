package cmd

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/inspect/names"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// nodeLocalSupported: only a Linux build can read this machine's own
// namespaces; elsewhere (a macOS or Windows laptop) pods go through the API.
const nodeLocalSupported = runtime.GOOS == "linux"

// nodeLocalHint names the alternatives to a node-local request on a client
// that is not Linux.
func nodeLocalHint() string {
	return fmt.Sprintf("is node-local and works on Linux only (this is %s/%s); for a pod use 'kubectl netstat POD' (read through the Kubernetes API by --method agent or exec), or run kubectl-netstat on the node", runtime.GOOS, runtime.GOARCH)
}

// nodeLocalError is a node-local request on a client that is not Linux
// (exit 1): what was asked, the hint, and extra advice.
type nodeLocalError struct{ what, extra string }

func (e *nodeLocalError) Error() string { return e.what + " " + nodeLocalHint() + e.extra }
func (e *nodeLocalError) Unwrap() error { return inspect.ErrNodeLocal }

func nodeLocal(what, extra string) error {
	return &exitError{code: exitProblem, err: &nodeLocalError{what: what, extra: extra}}
}

// checkPlatform refuses, on a non-Linux client, every request that needs
// this machine's /proc or namespaces: no target, --all-containers,
// container/…, pid/…, netns/… and --method local.
func (o *netstatOptions) checkPlatform() error {
	if o.nodeLocal || o.mode == modeHelp || o.mode == modeVersion {
		return nil
	}
	_, local := splitTargets(o.targets)
	switch {
	case o.allContainers:
		return nodeLocal("--all-containers", "")
	case len(local) > 0:
		return nodeLocal(fmt.Sprintf("target %q", local[0]), "")
	case len(o.targets) == 0 && !o.ko.Listing():
		return nodeLocal("reading this machine's own sockets", "")
	case o.ko.Method == kube.MethodLocal:
		return nodeLocal("--method local", "")
	}
	return nil
}

// platformError rewrites the bare inspect.ErrNodeLocal of a node-local
// reader (a subcommand on a non-Linux client) into the one-line hint.
func platformError(err error) error {
	var nl *nodeLocalError
	if err == nil || !errors.Is(err, inspect.ErrNodeLocal) || errors.As(err, &nl) {
		return err
	}
	return nodeLocal("this command", "")
}

// newRemoteViewSet is newViewSet for a client that cannot read its own node:
// every pod goes through the API server, by agent pod or by exec.
func (o *netstatOptions) newRemoteViewSet(ctx context.Context) (*viewSet, error) {
	sc := &viewSet{names: output.NoNames{}, ctx: ctx, remoteOnly: true, mr: o.fs.NewMultiReader(ctx)}
	if !(o.flags.NumericHosts && o.flags.NumericPorts && o.flags.NumericUsers) && o.format == output.FormatText {
		sc.names = names.New("/", nameLookupTimeout)
	}
	kubeTargets, _ := splitTargets(o.targets)
	refs, haveCluster, err := o.resolvePods(ctx, kubeTargets)
	if err != nil {
		return nil, err
	}
	if !haveCluster {
		return nil, problemf("pods are read through the Kubernetes API on this platform, but no kubeconfig was found (set KUBECONFIG or --kubeconfig); or run kubectl-netstat on the node")
	}
	for _, ref := range refs {
		rp := remotePod{ref: ref, method: o.ko.Method}
		if rp.method == kube.MethodAuto {
			rp.method = kube.MethodAgent
		}
		if rp.method == kube.MethodExec {
			v, err := o.execView(ctx, rp)
			if err != nil {
				sc.close()
				return nil, err
			}
			sc.views = append(sc.views, v)
			continue
		}
		sc.remote = append(sc.remote, rp)
	}
	if len(sc.remote) > 0 && o.continuous > 0 {
		sc.close()
		return nil, usagef("-c is not supported for pods read by an agent; use --method exec, or run kubectl-netstat on the node")
	}
	sc.shown = map[uint64]bool{}
	return sc, nil
}
