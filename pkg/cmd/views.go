package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/inspect/names"
	"github.com/kubectl-netstat/kubectl-netstat/internal/safefile"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
	"github.com/kubectl-netstat/kubectl-netstat/output"
)

// viewSet is what one run prints: its views (the namespaces to print), with
// the process table and host inventory they are attributed from. Namespaces
// are opened once per run; the process table is rebuilt each refresh, as
// netstat rebuilds its -p map.
type viewSet struct {
	views []*nsView
	// mr opens the local views' namespaces once and reads them ahead.
	mr    *inspect.MultiReader
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
	// owners are resolved per namespace for the rows shown (see resolveOwners);
	// lazyWanted: that is the fallback when the BPF iterator cannot serve.
	lazyOwners, lazyWanted bool
	noted                  bool                 // -v told how owners are found
	notedSockets           bool                 // -v told where sockets come from
	sockets                bool                 // discovery attributes sockets to processes
	walkFor                *inspect.SocketQuery // read from every namespace (DiscoverOptions.WalkFor)
	// remoteOnly: every view comes through the API (a non-Linux client);
	// there is no local process table to refresh.
	remoteOnly bool
	// shown holds the inodes of the namespaces in views.
	shown map[uint64]bool
	want  []uint64

	// What selectNetns needs again on each -c refresh.
	refs         []kube.PodRef
	haveCluster  bool
	localTargets []string
	execViews    []*nsView
	// deniedNoticed: the one non-root notice was printed.
	deniedNoticed bool
	// peers names the ends of connections (peers.go), nil when not wanted.
	peers *peerSource
}

func (o *netstatOptions) newViewSet(ctx context.Context) (*viewSet, error) {
	if !o.nodeLocal {
		return o.newRemoteViewSet(ctx)
	}
	sc := &viewSet{names: output.NoNames{}, ctx: ctx, mr: o.fs.NewMultiReader(ctx)}
	if !(o.flags.NumericHosts && o.flags.NumericPorts && o.flags.NumericUsers) && o.format == output.FormatText {
		n := names.New("/", nameLookupTimeout)
		n.Ctx = ctx
		sc.names = n
	}
	if o.wantPeers() {
		sc.peers = o.newPeerSource(ctx)
		if o.format == output.FormatText {
			sc.names = output.PeerNames{Names: sc.names, Table: sc.peers.currentTable, HostFallback: o.peer.dns}
		}
	}
	sc.needDiscovery = len(o.targets) > 0 || o.allContainers || o.format != output.FormatText || o.ko.Listing()
	if !sc.needDiscovery {
		r, _ := sc.mr.Reader(nil, nil) // the caller's own namespace: nothing to open
		sc.views = []*nsView{{r: r}}
		return sc, nil
	}
	sc.lazyWanted = o.lazyOwners()
	sc.sockets = o.flags.Programs || o.format != output.FormatText || o.ko.Container != ""
	// Route, interface and statistics views read no sockets: no walk for them.
	if q := o.socketQuery(); o.mode == modeSockets && o.allContainers && inspect.Walkable(q) {
		sc.walkFor = &q
	}
	inv, err := o.fs.DiscoverContext(ctx, inspect.DiscoverOptions{Sockets: sc.sockets, LazyFallback: sc.lazyWanted, WalkFor: sc.walkFor})
	if err != nil {
		return nil, err
	}
	sc.lazyOwners = inv.Procs.Owners == inspect.OwnersLazy
	sc.noteOwners(o, inv.Procs)
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
	sc.refs, sc.haveCluster, sc.localTargets = refs, haveCluster, localTargets
	selected, err := o.selectNetns(sc, inv, fromPods, true)
	if err != nil {
		return nil, err
	}
	if err := sc.setViews(o, inv, selected, notes); err != nil {
		sc.close()
		return nil, err
	}
	for _, rp := range execPods {
		v, err := o.execView(ctx, rp)
		if err != nil {
			sc.close()
			return nil, err
		}
		sc.execViews = append(sc.execViews, v)
		sc.views = append(sc.views, v)
	}
	sc.markShown()
	return sc, nil
}

// selectNetns picks the namespaces to print from an inventory: all of them
// (--all-containers), the targets', or the scanner's own. On a -c refresh
// (first false) a target that no longer resolves is a warning, not the end.
func (o *netstatOptions) selectNetns(sc *viewSet, inv *inspect.Inventory, fromPods []*inspect.Netns, first bool) ([]*inspect.Netns, error) {
	if o.allContainers {
		return inv.Netns, nil
	}
	if len(o.targets) == 0 && len(sc.refs) == 0 {
		if ns := inv.NetnsOf(inv.Procs.SelfNetnsIno); ns != nil {
			return []*inspect.Netns{ns}, nil
		}
		return nil, nil
	}
	var selected []*inspect.Netns
	// Each namespace is printed once, however many targets name it.
	seen := map[uint64]bool{}
	add := func(nss []*inspect.Netns) {
		for _, ns := range nss {
			if ns != nil && !seen[ns.Inode] {
				seen[ns.Inode] = true
				selected = append(selected, ns)
			}
		}
	}
	if !first && sc.haveCluster && len(sc.refs) > 0 {
		// Pods placed on this host are found again by container ID.
		fromPods, _, _ = o.placePods(inv, sc.refs)
	}
	add(fromPods)
	for _, t := range sc.localTargets {
		nss, err := inv.Resolve(t)
		if err != nil {
			if first {
				return nil, o.targetError(t, err)
			}
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: warning: %v\n", o.targetError(t, err))
			continue
		}
		add(nss)
	}
	if o.ko.Container != "" && len(selected) > 0 {
		c, err := findContainer(selected, o.ko.Container)
		switch {
		case err == nil:
			sc.container = c
		case first:
			return nil, err
		default:
			// Gone on a refresh: show none of its rows, never all rows.
			fmt.Fprintf(o.ErrOut, "kubectl-netstat: warning: %v\n", err)
			selected = nil
		}
	}
	return selected, nil
}

// setViews makes the local views match selected: a namespace already open
// keeps its handle and reader (entered once however often -c refreshes), a
// new one is opened, and one no longer selected (it died) is closed, so a
// refresh never prints, or holds open, a dead namespace. Namespaces this
// user may not enter are counted for one notice (--all-containers) instead
// of failing the run; one asked for by name is an error.
func (sc *viewSet) setViews(o *netstatOptions, inv *inspect.Inventory, selected []*inspect.Netns, notes *notes) error {
	var denied error
	sc.mr.Retain(selected)
	views := make([]*nsView, 0, len(selected)+len(sc.execViews))
	for _, ns := range selected {
		r, err := sc.mr.Reader(inv, ns)
		if err != nil && !o.allContainers && isPermission(err) && denied == nil {
			// A namespace asked for by name that this user may not enter.
			denied = problem(&rootAdvice{err: err})
		}
		if err != nil {
			// Vanished mid-run (process exited, mount removed, fd swapped) or
			// not ours to enter: noted, and the run goes on.
			notes.openFailed(err, !o.allContainers)
			continue
		}
		views = append(views, &nsView{r: r, netns: ns})
	}
	sc.views = append(views, sc.execViews...)
	if !sc.deniedNoticed && o.allContainers {
		sc.deniedNoticed = deniedNotice(o.ErrOut, o.fs, inv, notes.denied, len(selected))
	}
	return denied
}

// markShown records the inodes of the namespaces in views.
func (sc *viewSet) markShown() {
	sc.shown = make(map[uint64]bool, len(sc.views))
	for _, v := range sc.views {
		sc.shown[sc.netnsIno(v)] = true
	}
}

// isPermission reports whether err is the kernel refusing this user
// (EPERM from setns, EACCES opening another user's /proc/PID/ns/net).
func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, inspect.ErrPermission)
}

// deniedNotice prints the one line a multi-namespace command run without
// root gives about what root would add: namespaces found but not enterable,
// and processes whose namespace could not even be seen. It reports whether
// it printed.
func deniedNotice(w io.Writer, fs inspect.FS, inv *inspect.Inventory, denied, total int) bool {
	hidden := 0
	if inv != nil && inv.Procs != nil {
		hidden = len(inv.Procs.Unreadable)
	}
	root := os.Geteuid() == 0
	hidepid := !root && procHidesPIDs(fs.ProcRoot)
	if denied == 0 && (hidden == 0 || root) && !hidepid {
		return false
	}
	var parts []string
	if hidepid {
		parts = append(parts, "other users' processes are hidden by this procfs (hidepid)")
	}
	if denied > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d network namespaces found could not be entered", denied, total))
	}
	if hidden > 0 {
		parts = append(parts, fmt.Sprintf("the namespaces of %d processes could not be seen", hidden))
	}
	fmt.Fprintf(w, "kubectl-netstat: not all namespaces shown: %s; run as root to see them all\n", strings.Join(parts, ", and "))
	return true
}

// lazyOwners reports whether -p owners, when the BPF iterator cannot find
// them all in one pass, are resolved per namespace for the rows shown instead
// of by one walk of every fd on the host: for a listening
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
func (sc *viewSet) netnsIno(v *nsView) uint64 {
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
func (sc *viewSet) resolveOwners(v *nsView, socks []inspect.Socket, f output.Flags) {
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
func (sc *viewSet) refresh(o *netstatOptions) error {
	if sc.remoteOnly {
		return nil
	}
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
		inv, err := o.fs.DiscoverContext(sc.ctx, inspect.DiscoverOptions{Sockets: sc.sockets, LazyFallback: sc.lazyWanted, WalkFor: sc.walkFor})
		if err != nil {
			return err
		}
		sc.inv, sc.procs = inv, inv.Procs
		sc.lazyOwners = inv.Procs.Owners == inspect.OwnersLazy
		if sc.lazyOwners {
			sc.procs.ProbeFdDirs()
		}
		notes := newNotes(o.ErrOut, o.verbose, o.allContainers, o.targets)
		notes.discovery(inv)
		defer notes.done()
		// Namespaces that appeared since are shown, dead ones dropped and closed.
		selected, err := o.selectNetns(sc, inv, nil, false)
		if err != nil {
			return err
		}
		if err := sc.setViews(o, inv, selected, notes); err != nil {
			return err
		}
		sc.markShown()
		return nil
	}
	t, err := o.fs.ScanProcsContext(sc.ctx, inspect.ScanOptions{Sockets: true})
	if err != nil {
		return err
	}
	sc.procs = t
	sc.noteOwners(o, t)
	return nil
}

// noteOwners tells -v how -p owners were found, once per run.
func (sc *viewSet) noteOwners(o *netstatOptions, t *inspect.ProcTable) {
	if sc.noted || !o.verbose || !o.flags.Programs || t == nil || t.Owners == inspect.OwnersNone {
		return
	}
	sc.noted = true
	if t.OwnersFallback != "" {
		fmt.Fprintf(o.ErrOut, "kubectl-netstat: owners: %s (BPF iterator not used: %s)\n", t.Owners, t.OwnersFallback)
	} else {
		fmt.Fprintf(o.ErrOut, "kubectl-netstat: owners: %s\n", t.Owners)
	}
}

// noteSockets tells -v, once per run, whether the first pass's sockets came
// from the one walk of the host's tables or from dumps per namespace.
func (sc *viewSet) noteSockets(o *netstatOptions) {
	if sc.notedSockets || !o.verbose || sc.mr == nil {
		return
	}
	sc.notedSockets = true
	noteSocketsMethod(o.ErrOut, sc.mr)
}

func noteSocketsMethod(w io.Writer, mr *inspect.MultiReader) {
	method, detail := mr.WalkStatus()
	switch {
	case method == inspect.SocketsWalk:
		fmt.Fprintf(w, "kubectl-netstat: sockets: %s (%s; the others dumped)\n", method, detail)
	case detail != "":
		fmt.Fprintf(w, "kubectl-netstat: sockets: %s (BPF walk not used: %s)\n", method, detail)
	}
}

func (sc *viewSet) close() {
	sc.peers.close()
	for _, v := range sc.views {
		v.close()
	}
	if sc.mr != nil {
		sc.mr.Close()
	}
}

// close releases what an exec view owns; the MultiReader closes the rest.
func (v *nsView) close() {
	if !v.exec {
		return
	}
	if v.r != nil {
		v.r.Close()
		v.r = nil
	}
	if v.tmpDir != "" {
		os.RemoveAll(v.tmpDir)
	}
}

// containerOf is the container a socket row is tagged with: the owning
// process's container, else the container the namespace is attributed to.
func (sc *viewSet) containerOf(v *nsView, s *inspect.Socket) *inspect.Container {
	if v.container != nil {
		return v.container
	}
	if sc.inv != nil {
		return sc.inv.SocketContainer(v.netns, s.Owner)
	}
	return nil
}

// keepContainerRow applies --container: rows owned by that container's processes.
func (o *netstatOptions) keepContainerRow(sc *viewSet, v *nsView, s *inspect.Socket) bool {
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
	return nil, problemf("container %q not found in the target (containers: %s)", name, strings.Join(names, ", "))
}

// targetError turns a resolution failure into the one-line error, with the
// kubectl-habit hint when the command line shows one.
func (o *netstatOptions) targetError(t string, err error) error {
	err = kube.WithHint(err, o.ko.RawArgs, t)
	if errors.Is(err, inspect.ErrAmbiguous) {
		return usage(err)
	}
	return problem(err)
}

// netnsLine is the "# netns …" line that precedes each namespace's block.
func netnsLine(ns *inspect.Netns) string {
	if ns == nil {
		return "# netns current"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# netns %d %s", ns.Inode, ns.Kind)
	if o := ns.Attributed; o != nil {
		if o.Pod != nil {
			fmt.Fprintf(&b, " %s", output.ContainerPodText(o))
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

// procHidesPIDs reports whether the procfs at procRoot is mounted with
// hidepid (other users' processes invisible), from /proc/self/mountinfo.
func procHidesPIDs(procRoot string) bool {
	b, err := safefile.ReadFile(filepath.Join(procRoot, "self", "mountinfo"), 16<<20)
	if err != nil {
		return false
	}
	hides := false
	for _, l := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(l, " - ")
		f, pf := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(pf) < 3 || f[4] != procRoot || pf[0] != "proc" {
			continue
		}
		// The last mount at that point is the one on top.
		hides = false
		for _, opt := range strings.Split(pf[2], ",") {
			if v, ok := strings.CutPrefix(opt, "hidepid="); ok && v != "0" && v != "off" {
				hides = true
			}
		}
	}
	return hides
}
