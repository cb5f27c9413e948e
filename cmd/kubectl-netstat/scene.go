package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// scene is what one run looks at: the namespaces to print, the process table
// and the host inventory. Handles are opened once per run; the process table
// is rebuilt each refresh, as netstat rebuilds its -p map.
type scene struct {
	views []*nsView
	inv   *inspect.Inventory
	procs *inspect.ProcTable
	names output.Names
	// needDiscovery is set when namespaces and containers must be named.
	needDiscovery bool
	// container narrows rows to one container of a pod (--container).
	container *inspect.Container
	scanned   bool
	// remote are pods on other nodes, read by agent pods after the local views.
	remote []remotePod
	ctx    context.Context
	// lazyOwners: the process table was scanned without its fd walk and
	// owners are resolved per namespace for the rows shown (see resolveOwners).
	lazyOwners bool
	// shown holds the inodes of the namespaces in views.
	shown map[uint64]bool
	want  []uint64
}

func (o *netstatOptions) newScene(ctx context.Context) (*scene, error) {
	sc := &scene{names: output.NoNames{}, ctx: ctx}
	if !(o.flags.NumericHosts && o.flags.NumericPorts && o.flags.NumericUsers) && o.format == output.FormatText {
		sc.names = inspect.NewNames("/", nameLookupTimeout)
	}
	sc.needDiscovery = len(o.targets) > 0 || o.allContainers || o.format != output.FormatText
	if !sc.needDiscovery {
		sc.views = []*nsView{{h: nsenter.None()}}
		return sc, nil
	}
	sc.lazyOwners = o.lazyOwners()
	inv, err := o.fs.Discover(inspect.DiscoverOptions{Sockets: (o.flags.Programs || o.format != output.FormatText || o.ko.Container != "") && !sc.lazyOwners})
	if err != nil {
		return nil, err
	}
	// Pods go to the API server first when a cluster is configured; without
	// one they are looked up in this host's runtime state.
	kubeTargets, localTargets := splitTargets(o.targets)
	refs, haveCluster, err := o.resolvePods(ctx, kubeTargets)
	if err != nil {
		return nil, err
	}
	var fromPods []*inspect.Netns
	var execPods []remotePod
	if haveCluster {
		var remote []remotePod
		if fromPods, remote, err = o.placePods(inv, refs); err != nil {
			return nil, err
		}
		for _, rp := range remote {
			if rp.method == kube.MethodExec {
				execPods = append(execPods, rp)
			} else {
				sc.remote = append(sc.remote, rp)
			}
		}
	} else {
		localTargets = o.targets
	}
	if len(sc.remote) > 0 && o.continuous > 0 {
		return nil, usagef("-c is not supported for pods on other nodes; run kubectl-netstat on the node, or drop -c")
	}
	sc.inv = inv
	sc.procs = inv.Procs
	if sc.lazyOwners {
		sc.procs.ProbeFdDirs()
	}
	notes := newNotes(o.ErrOut, o.verbose, o.allContainers, o.targets)
	if o.allContainers || len(o.targets) > 0 {
		notes.discovery(inv)
	}
	defer notes.done()
	var selected []*inspect.Netns
	switch {
	case o.allContainers:
		selected = inv.Netns
	case len(o.targets) > 0 || len(refs) > 0:
		// Each namespace is printed once, however many targets name it.
		seen := map[uint64]bool{}
		add := func(nss []*inspect.Netns) {
			for _, ns := range nss {
				if !seen[ns.Inode] {
					seen[ns.Inode] = true
					selected = append(selected, ns)
				}
			}
		}
		add(fromPods)
		for _, t := range localTargets {
			nss, err := inv.Resolve(t)
			if err != nil {
				return nil, o.targetError(t, err)
			}
			add(nss)
		}
		if o.ko.Container != "" && len(selected) > 0 {
			c, err := findContainer(selected, o.ko.Container)
			if err != nil {
				return nil, err
			}
			sc.container = c
		}
	default:
		selected = []*inspect.Netns{inv.NetnsOf(inv.Procs.SelfNetnsIno)}
	}
	for _, ns := range selected {
		h, err := openNetns(inv, ns)
		if err != nil {
			// A namespace that vanished mid-run (process exited, mount removed): note it and go on.
			notes.openFailed(ns, err, !o.allContainers)
			continue
		}
		sc.views = append(sc.views, &nsView{h: h, netns: ns})
	}
	for _, rp := range execPods {
		v, err := o.execView(ctx, rp)
		if err != nil {
			sc.close()
			return nil, err
		}
		sc.views = append(sc.views, v)
	}
	sc.shown = make(map[uint64]bool, len(sc.views))
	for _, v := range sc.views {
		sc.shown[sc.netnsIno(v)] = true
	}
	return sc, nil
}

// lazyOwners reports whether -p owners are resolved per namespace for the
// rows shown instead of by one walk of every fd on the host: for a listening
// audit (-l, text) of chosen or all namespaces, run as root. A listening
// socket's owner is looked for among the processes of its own namespace
// first (lowest PID, as netstat), then among processes of namespaces not
// shown; a socket held only by processes of another shown namespace prints
// "-". A plain run (no targets) keeps netstat's exact full walk.
func (o *netstatOptions) lazyOwners() bool {
	return o.flags.Programs && o.flags.Listening && !o.flags.All && o.format == output.FormatText &&
		(o.allContainers || len(o.targets) > 0) && o.ko.Container == "" && os.Geteuid() == 0
}

// netnsIno is the inode of a view's namespace (the scanner's own for the current one).
func (sc *scene) netnsIno(v *nsView) uint64 {
	if v.netns != nil {
		return v.netns.Inode
	}
	if sc.procs != nil {
		return sc.procs.SelfNetnsIno
	}
	return 0
}

// resolveOwners finds the owners of the rows of socks that will be shown,
// walking as few fds as it can (see lazyOwners).
func (sc *scene) resolveOwners(v *nsView, socks []inspect.Socket, f output.Flags) {
	want := sc.want[:0]
	for i := range socks {
		s := &socks[i]
		if s.Inode == 0 {
			continue
		}
		if s.Proto == inspect.ProtoUnix && output.UnixSelected(s, f) || s.Proto != inspect.ProtoUnix && output.InetSelected(s, f) {
			want = append(want, s.Inode)
		}
	}
	sc.want = want
	ino := sc.netnsIno(v)
	if sc.procs.ResolveOwners(want, func(e *inspect.ProcEntry) bool { return e.NetnsIno == ino }) > 0 {
		sc.procs.ResolveOwners(want, func(e *inspect.ProcEntry) bool { return !sc.shown[e.NetnsIno] })
	}
}

// refresh rebuilds per-iteration state: the -p process table.
func (sc *scene) refresh(o *netstatOptions) error {
	if !o.flags.Programs && !sc.needDiscovery {
		return nil
	}
	if !sc.scanned {
		// The first refresh reuses the discovery pass.
		sc.scanned = true
		if sc.procs != nil {
			return nil
		}
	}
	if sc.needDiscovery {
		// Later refreshes rediscover, so containers that started since are tagged.
		inv, err := o.fs.Discover(inspect.DiscoverOptions{Sockets: !sc.lazyOwners})
		if err != nil {
			return err
		}
		sc.inv, sc.procs = inv, inv.Procs
		if sc.lazyOwners {
			sc.procs.ProbeFdDirs()
		}
		return nil
	}
	t, err := o.fs.ScanProcs(inspect.ScanOptions{Sockets: true})
	if err != nil {
		return err
	}
	sc.procs = t
	return nil
}

func (sc *scene) close() {
	for _, v := range sc.views {
		if v.r != nil {
			v.r.Close()
		}
		v.h.Close()
		if v.tmpDir != "" {
			os.RemoveAll(v.tmpDir)
		}
	}
}

// containerOf is the container a socket row is tagged with: the owning
// process's container, else the namespace owner.
func (sc *scene) containerOf(v *nsView, s *inspect.Socket) *inspect.Container {
	if v.container != nil {
		return v.container
	}
	if sc.inv != nil {
		return sc.inv.SocketContainer(v.netns, s.Owner)
	}
	return nil
}

// openNetns opens a namespace of the inventory for reading; the scanner's
// own namespace needs no handle and no setns.
func openNetns(inv *inspect.Inventory, ns *inspect.Netns) (nsenter.Handle, error) {
	if ns == nil || ns.Inode == inv.Procs.SelfNetnsIno {
		return nsenter.None(), nil
	}
	return nsenter.Open(ns.Path)
}

// keepContainerRow applies --container: rows owned by that container's processes.
func (o *netstatOptions) keepContainerRow(sc *scene, v *nsView, s *inspect.Socket) bool {
	if sc.container == nil {
		return true
	}
	return s.Owner != nil && sc.inv != nil && sc.inv.ContainerOf(s.Owner) == sc.container
}

func findContainer(nss []*inspect.Netns, name string) (*inspect.Container, error) {
	var names []string
	for _, ns := range nss {
		for _, c := range ns.Containers {
			if c.Name == name || (len(name) >= 4 && strings.HasPrefix(c.ID, name)) {
				return c, nil
			}
			if !c.Sandbox {
				names = append(names, c.Name)
			}
		}
	}
	return nil, &exitError{code: exitProblem, msg: fmt.Sprintf("container %q not found in the target (containers: %s)", name, strings.Join(names, ", "))}
}

// targetError turns a resolution failure into the one-line error, with the
// kubectl-habit hint when the command line shows one.
func (o *netstatOptions) targetError(t string, err error) error {
	msg := kube.Hinted(trimSentinel(err), o.ko.RawArgs, t)
	if errors.Is(err, inspect.ErrAmbiguous) {
		return &usageError{msg: msg}
	}
	if errors.Is(err, inspect.ErrNotFound) {
		return &exitError{code: exitProblem, msg: msg}
	}
	return errors.New(msg)
}

// trimSentinel is err's text without a trailing ": not found": the sentinel
// picks the exit code, and the message before it already says what is missing.
func trimSentinel(err error) string {
	msg := err.Error()
	if errors.Is(err, inspect.ErrNotFound) {
		msg = strings.TrimSuffix(msg, ": "+inspect.ErrNotFound.Error())
	}
	return msg
}

// netnsLine is the "# netns …" line that precedes each namespace's block.
func netnsLine(ns *inspect.Netns) string {
	if ns == nil {
		return "# netns current"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# netns %d %s", ns.Inode, ns.Kind)
	if o := ns.Owner; o != nil {
		if o.Pod != nil {
			fmt.Fprintf(&b, " %s", output.PodText(o.Pod))
		} else if o.Name != "" {
			fmt.Fprintf(&b, " %s", o.Name)
		} else if o.ID != "" {
			// Found by cgroup without its state (e.g. --host-root elsewhere): the ID is what is known.
			fmt.Fprintf(&b, " %.12s", o.ID)
		}
		fmt.Fprintf(&b, " (%s)", o.Runtime)
	}
	var names []string
	for _, c := range ns.Containers {
		if !c.Sandbox && c.Name != "" {
			names = append(names, c.Name)
		}
	}
	if len(names) > 0 {
		sort.Strings(names)
		fmt.Fprintf(&b, " containers: %s", strings.Join(names, ", "))
	}
	if len(ns.Names) > 0 {
		fmt.Fprintf(&b, " names: %s", strings.Join(ns.Names, ", "))
	}
	return b.String()
}
