package inspect

import (
	"context"
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/runtime"
)

// DiscoverOptions selects what Discover collects.
type DiscoverOptions struct {
	// Sockets walks every process's fds so ProcTable.Owner works (needed for -p
	// and per-socket container attribution).
	Sockets bool
	// LazyFallback is ScanOptions.LazyFallback.
	LazyFallback bool
	// WalkFor is ScanOptions.WalkFor.
	WalkFor *SocketQuery
}

// Inventory is every network namespace and container on the host, from one scan.
type Inventory struct {
	// Netns lists every network namespace found: with processes, bind-mount
	// only, or held only by an fd. Host first, then by inode.
	Netns      []*Netns
	Containers []*Container
	Procs      *ProcTable
	// Host is the host's network namespace (nil only if it could not be determined).
	Host     *Netns
	Warnings []Warning

	byIno  map[uint64]*Netns
	byID   map[string]*Container
	extras map[*Container]*containerExtra
	// hostIno is the host netns inode (0 when unknown).
	hostIno uint64
}

// WarningKind says what a discovery warning is about, so a caller can tell
// whether it concerns what was asked for.
type WarningKind uint8

const (
	// WarnState: a runtime state file or mount table could not be used;
	// containers may be missing or unnamed.
	WarnState WarningKind = iota
	// WarnPermission: processes or files this user may not read, routine
	// without root (and in sandboxes even with it).
	WarnPermission
	// WarnHost: the scanner itself is placed oddly (not in the host
	// network or cgroup namespace).
	WarnHost
	// WarnDangling: a netns directory entry (Path) that is no longer a
	// mounted namespace.
	WarnDangling
)

// Warning is a problem with one file or process that discovery went past.
type Warning struct {
	Kind WarningKind
	// Path is the entry a WarnDangling warning is about.
	Path string
	Err  error
}

func (w Warning) Error() string { return w.Err.Error() }
func (w Warning) Unwrap() error { return w.Err }

// warn adds a warning; one whose cause is a permission refusal is routine.
func (inv *Inventory) warn(kind WarningKind, errs ...error) {
	for _, err := range errs {
		k := kind
		if errors.Is(err, iofs.ErrPermission) {
			k = WarnPermission
		}
		inv.Warnings = append(inv.Warnings, Warning{Kind: k, Err: err})
	}
}

// containerExtra holds per-container facts the model has no field for.
type containerExtra struct {
	match    *runtime.CgroupMatch
	sandbox  string // sandbox/infra container ID of the pod
	joins    string // Docker NetworkMode container:<id>
	netnsRef string // netns path named by state
	initPID  int
}

// NetnsOf returns the namespace with the inode, or nil.
func (inv *Inventory) NetnsOf(inode uint64) *Netns { return inv.byIno[inode] }

// Container returns the container with the exact full ID, or nil.
func (inv *Inventory) Container(id string) *Container { return inv.byID[id] }

// CgroupOf returns what the cgroup path said about a container (nil when state only).
func (inv *Inventory) CgroupOf(c *Container) *runtime.CgroupMatch {
	if x := inv.extras[c]; x != nil {
		return x.match
	}
	return nil
}

// ContainerOf attributes a process: its own container, else the container its
// network namespace is attributed to (nil in the host netns or when nothing is known).
func (inv *Inventory) ContainerOf(p *Process) *Container {
	if p == nil {
		return nil
	}
	if p.Container != nil {
		return p.Container
	}
	if e := inv.Procs.Entry(p.PID); e != nil {
		if ns := inv.byIno[e.NetnsIno]; ns != nil && ns.Kind != NetnsHost {
			return ns.Attributed
		}
	}
	return nil
}

// SocketContainer attributes a socket found in ns with owner process p (nil
// when unknown): the owning process's container, else the container the netns is
// attributed to.
func (inv *Inventory) SocketContainer(ns *Netns, p *Process) *Container {
	if c := inv.ContainerOf(p); c != nil {
		return c
	}
	if ns != nil && ns.Kind != NetnsHost {
		return ns.Attributed
	}
	return nil
}

// Discover scans /proc, the netns mounts and the runtimes' on-disk state and
// attributes each network namespace to a container (see resolveAttribution). Problems
// with single files or processes become Warnings; only a failed /proc scan is an error.
func (fs FS) Discover(opt DiscoverOptions) (*Inventory, error) {
	return fs.DiscoverContext(context.Background(), opt)
}

// DiscoverContext is Discover that stops, with ctx's error, soon after ctx
// is done (a signal): between processes, mount namespaces and state sources.
func (fs FS) DiscoverContext(ctx context.Context, opt DiscoverOptions) (*Inventory, error) {
	// Bind mounts: every mount namespace's mountinfo, read while the BPF
	// program loads and makes its pass, which needs neither.
	var mounts []NsfsMount
	var mountWarns []error
	readMounts := func(t *ProcTable) { mounts, mountWarns = fs.nsfsMounts(ctx, t) }
	t, err := fs.ScanProcsContext(ctx, ScanOptions{Sockets: opt.Sockets, NetnsFds: true, LazyFallback: opt.LazyFallback, WalkFor: opt.WalkFor, Alongside: readMounts})
	if err != nil {
		return nil, err
	}
	inv := &Inventory{Procs: t, byIno: map[uint64]*Netns{}, byID: map[string]*Container{}, extras: map[*Container]*containerExtra{}}
	// Processes that exited during the scan are counted in t.Gone; the
	// caller reports them with namespaces that vanished before it read them.
	if len(t.Unreadable) > 0 {
		inv.warn(WarnPermission, fmt.Errorf("%d processes only partly readable (permission denied), e.g. pid %d: their namespaces or containers may be missing",
			len(t.Unreadable), t.Unreadable[0]))
	}

	// Host reference: kthreadd never leaves init_net; the scanner's own netns
	// is the fallback (/proc/1/ns may be unreadable even for root).
	hostIno, hostDev := t.SelfNetnsIno, t.SelfNetnsDev
	// Unreadable (not root) it is no reference at all: keep the scanner's own.
	if k := t.Entry(2); k != nil && k.Comm() == "kthreadd" && k.Kthread() && k.NetnsIno != 0 {
		if k.NetnsIno != hostIno && hostIno != 0 {
			inv.warn(WarnHost, fmt.Errorf("this process is not in the host network namespace (self %d, host %d)", hostIno, k.NetnsIno))
		}
		hostIno, hostDev = k.NetnsIno, k.NetnsDev
	}

	// Cgroup paths are relative to the reader's cgroup namespace; in a
	// private one, host processes read "/../…" and nothing classifies.
	selfCg, hostCg := fs.selfNamespaces()["cgroup"].Inode, uint32(0)
	if pfs, err := fs.procfs(); err == nil {
		if kthreadd, err := pfs.Proc(2); err == nil {
			if ns, err := kthreadd.Namespaces(); err == nil {
				hostCg = ns["cgroup"].Inode
			}
		}
	}
	if selfCg != 0 && hostCg != 0 && selfCg != hostCg {
		inv.warn(WarnHost, errors.New("this process is in a private cgroup namespace: cgroup paths are relative to it and containers may not be recognised (run with the host cgroup namespace)"))
	}

	get := func(ino uint64) *Netns {
		ns := inv.byIno[ino]
		if ns == nil {
			ns = &Netns{Dev: hostDev, Inode: ino}
			inv.byIno[ino] = ns
		}
		return ns
	}
	inv.hostIno = hostIno
	if hostIno != 0 {
		inv.Host = get(hostIno)
		inv.Host.Kind = NetnsHost
	}

	// Processes and their containers.
	for _, e := range t.Procs {
		if e.NetnsIno == 0 {
			continue
		}
		ns := get(e.NetnsIno)
		ns.Dev = e.NetnsDev
		if e.Kthread() {
			if ns.Path == "" {
				ns.Path = fs.Proc(strconv.Itoa(e.Proc.PID), "ns", "net")
			}
			continue
		}
		ns.PIDs = append(ns.PIDs, e.Proc.PID)
		if ns.Path == "" || strings.HasSuffix(ns.Path, "/2/ns/net") {
			ns.Path = fs.Proc(strconv.Itoa(e.Proc.PID), "ns", "net")
		}
		m, ok := runtime.ClassifyCgroupLines(e.Cgroup)
		if !ok {
			continue
		}
		c := inv.byID[m.ID]
		if c == nil {
			c = &Container{Runtime: m.Runtime, ID: m.ID, Confidence: ConfidenceCgroupOnly}
			switch {
			case m.PodUID != "":
				c.Pod = &Pod{UID: m.PodUID}
			case m.PodmanPod != "":
				c.Pod = &Pod{UID: m.PodmanPod}
			}
			if m.Runtime == RuntimeNspawn {
				c.Name = m.ID // the machine name (-M)
			}
			inv.addContainer(c)
			mm := m
			inv.extras[c].match = &mm
		}
		inv.attach(c, e)
		if e.Proc.Comm == "pause" && c.Pod != nil {
			c.Sandbox = true
		}
		e.Proc.Container = c
	}

	inv.standaloneContainerd(fs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Bind mounts found in the mountinfo files, then the well-known dirs.
	inv.warn(WarnState, mountWarns...)
	visible := map[string]bool{}
	for _, m := range mounts {
		ns := get(m.Inode)
		name := fs.HostRel(m.MountPoint)
		ns.Names = appendUnique(ns.Names, name)
		visible[name] = true
		if ns.Path == "" {
			ns.Path = m.Path
		}
	}
	for _, m := range fs.NetnsDirEntries() {
		name := fs.HostRel(m.MountPoint)
		if m.Inode == 0 {
			// Docker unmounts a removed container's netns file at once but
			// deletes the file only in a later garbage collection: not a problem.
			if !visible[name] && !visible[hostRunPath(name)] && filepath.Dir(hostRunPath(name)) != "/run/docker/netns" {
				inv.Warnings = append(inv.Warnings, Warning{Kind: WarnDangling, Path: name, Err: fmt.Errorf("%s: not a mounted network namespace (dangling bind mount?)", name)})
			}
			continue
		}
		ns := get(m.Inode)
		ns.Names = appendUnique(ns.Names, name)
		if ns.Path == "" {
			ns.Path = m.Path
		}
	}
	// Namespaces held only by an open fd. The scanner's own fds are left
	// out: they are the handles of a -c run, and would keep a dead
	// namespace on the list forever.
	self := -1
	if pfs, err := fs.procfs(); err == nil {
		if p, err := pfs.Self(); err == nil {
			self = p.PID
		}
	}
	for _, e := range t.Procs {
		if e.Proc.PID == self {
			continue
		}
		for _, f := range e.NetnsFds {
			ns := get(f.Inode)
			if ns.Path == "" {
				ns.Path = fs.Proc(strconv.Itoa(e.Proc.PID), "fd", strconv.Itoa(f.FD))
			}
		}
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inv.applyState(fs)
	inv.resolveAttribution()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	inv.Netns = make([]*Netns, 0, len(inv.byIno))
	for _, ns := range inv.byIno {
		sort.Strings(ns.Names)
		inv.Netns = append(inv.Netns, ns)
	}
	sort.Slice(inv.Netns, func(i, j int) bool {
		a, b := inv.Netns[i], inv.Netns[j]
		if (a.Kind == NetnsHost) != (b.Kind == NetnsHost) {
			return a.Kind == NetnsHost
		}
		return a.Inode < b.Inode
	})
	sort.Slice(inv.Containers, func(i, j int) bool { return inv.Containers[i].ID < inv.Containers[j].ID })
	return inv, nil
}

// attach makes e one of c's processes. The container's netns is the first
// one seen that is not the host's: a host-netns process (a supervisor, monitor
// or shim the cgroup rules missed) never decides it while the container has
// a process in a namespace of its own.
func (inv *Inventory) attach(c *Container, e *ProcEntry) {
	c.PIDs = append(c.PIDs, e.Proc.PID)
	if c.NetnsInode == 0 || (c.NetnsInode == inv.hostIno && e.NetnsIno != inv.hostIno && e.NetnsIno != 0) {
		c.NetnsInode = e.NetnsIno
	}
	e.Proc.Container = c
}

// Comm is the process's comm (short name).
func (e *ProcEntry) Comm() string { return e.Proc.Comm }

func (inv *Inventory) addContainer(c *Container) {
	inv.Containers = append(inv.Containers, c)
	inv.byID[c.ID] = c
	inv.extras[c] = &containerExtra{}
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// hostRunPath folds /var/run into /run, which are the same directory on every
// modern host but spelled both ways by runtimes.
func hostRunPath(p string) string {
	if r, ok := strings.CutPrefix(p, "/var/run/"); ok {
		return "/run/" + r
	}
	return p
}

// applyState merges the runtimes' on-disk state into the containers, adding
// process-less containers only when they are still alive (a live netns or init pid).
func (inv *Inventory) applyState(fs FS) {
	conmons := conmonPIDs(inv.Procs)
	roots := runtime.StorageRoots(fs, conmons)
	userdata := func(p runtime.Paths) ([]runtime.StateRecord, []error) { return runtime.UserdataState(p, roots) }
	var recs []runtime.StateRecord
	// Managers first: their names and pods win over what a bare runtime's
	// state or a CNI cache says about the same ID.
	for _, load := range []func(runtime.Paths) ([]runtime.StateRecord, []error){runtime.ContainerdState, runtime.DockerState, userdata, runtime.LXCState, runtime.OCIRuntimeState, runtime.CNIState} {
		r, w := load(fs)
		recs = append(recs, r...)
		inv.warn(WarnState, w...)
	}
	names, w := runtime.StorageNames(fs, roots)
	inv.warn(WarnState, w...)
	pods, w := runtime.PodmanPods(fs, roots)
	inv.warn(WarnState, w...)
	logs := runtime.LogLinks(fs)
	monitored := runtime.ConmonIDs(fs, conmons)

	// Podman: pod membership and the infra container. The database names the
	// pod; without it the members' annotation still names the infra container.
	podman := map[string]bool{}
	infraRef := map[string]bool{}
	for i := range recs {
		if r := &recs[i]; r.Runtime == RuntimePodman && !r.Enrich {
			podman[r.ID] = true
			if r.SandboxID != "" {
				infraRef[r.SandboxID] = true
			}
		}
	}
	for i := range recs {
		r := &recs[i]
		if r.Runtime != RuntimePodman || r.Enrich {
			continue
		}
		if p, ok := pods[r.ID]; ok {
			r.Pod = &Pod{Name: p.PodName, UID: p.PodID}
			if p.Infra {
				r.Sandbox, r.SandboxID = true, r.ID
			}
		}
		if infraRef[r.ID] {
			r.Sandbox, r.SandboxID = true, r.ID
		}
	}

	for i := range recs {
		r := &recs[i]
		if sc, ok := names[r.ID]; ok {
			runtime.ApplyStorageName(r, sc)
		}
		// Podman writes CNI results too (K8S_POD_NAME = the container's name):
		// they are not Kubernetes pod sandboxes.
		if r.CNI && podman[r.ID] {
			continue
		}
		ino := inv.netnsOfPath(fs, r.NetnsPath)
		c := inv.byID[r.ID]
		init := inv.liveInit(r, monitored)
		if c == nil {
			alive := ino != 0 || init != nil
			if !alive || r.Enrich || r.Runtime == RuntimeUnknown && !r.Sandbox {
				continue
			}
			c = &Container{Runtime: r.Runtime, ID: r.ID}
			inv.addContainer(c)
		}
		// A container with no cgroup of its own (rootless Podman on cgroup
		// v1, bare runc/crun with a free-text ID): its init and descendants.
		if init != nil && init.Proc.Container == nil {
			inv.attachTree(c, init)
		}
		if c.Runtime == RuntimeUnknown {
			c.Runtime = r.Runtime
		}
		if r.Name != "" && c.Name == "" {
			c.Name = r.Name
		}
		if r.Image != "" && c.Image == "" {
			c.Image = r.Image
		}
		if r.Pod != nil {
			if c.Pod == nil {
				c.Pod = &Pod{}
			}
			fillPod(c.Pod, r.Pod)
		}
		c.Sandbox = c.Sandbox || r.Sandbox
		c.HostNetwork = c.HostNetwork || r.HostNetwork
		if c.Confidence < ConfidenceStateFile {
			c.Confidence = ConfidenceStateFile
		}
		x := inv.extras[c]
		if r.SandboxID != "" {
			x.sandbox = r.SandboxID
		}
		if r.JoinsContainer != "" {
			x.joins = r.JoinsContainer
		}
		if r.NetnsPath != "" {
			x.netnsRef = r.NetnsPath
		}
		if r.InitPID > 0 {
			x.initPID = r.InitPID
		}
		if c.NetnsInode == 0 && ino != 0 {
			c.NetnsInode = ino
		}
	}
	for _, c := range inv.Containers {
		if l, ok := logs[c.ID]; ok {
			if c.Name == "" {
				c.Name = l.Container
			}
			if c.Pod == nil {
				c.Pod = &Pod{}
			}
			fillPod(c.Pod, &Pod{Namespace: l.Namespace, Name: l.Pod})
			if c.Confidence < ConfidenceStateFile {
				c.Confidence = ConfidenceStateFile
			}
		}
	}
	// Pod identity known for a sandbox is shared by its containers and back.
	for _, c := range inv.Containers {
		sb := inv.byID[inv.extras[c].sandbox]
		if sb == nil || sb == c {
			continue
		}
		if sb.Pod != nil {
			if c.Pod == nil {
				c.Pod = &Pod{}
			}
			fillPod(c.Pod, sb.Pod)
		}
		if c.Pod != nil && sb.Pod != nil {
			fillPod(sb.Pod, c.Pod)
		}
		if sb.HostNetwork {
			c.HostNetwork = true
		}
	}
}

// liveInit returns the record's init process when it is alive and really the
// one the state means: its start time matches where the state records one,
// else a live conmon monitors that container, else its cgroup named it.
// A stale pidfile whose pid was reused never pulls a stranger in.
func (inv *Inventory) liveInit(r *runtime.StateRecord, monitored map[string]bool) *ProcEntry {
	if r.InitPID <= 0 {
		return nil
	}
	e := inv.Procs.Entry(r.InitPID)
	if e == nil || e.Kthread() {
		return nil
	}
	switch {
	case r.InitStart != 0:
		if e.StartTime != r.InitStart {
			return nil
		}
	case monitored[r.ID]:
	case e.Proc.Container != nil && e.Proc.Container.ID == r.ID:
	default:
		return nil
	}
	return e
}

// attachTree attaches init and every process descended from it that has no
// container yet.
func (inv *Inventory) attachTree(c *Container, init *ProcEntry) {
	children := map[int][]*ProcEntry{}
	for _, e := range inv.Procs.Procs {
		children[e.PPID] = append(children[e.PPID], e)
	}
	stack := []*ProcEntry{init}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e.Proc.Container != nil || e.Kthread() {
			continue
		}
		inv.attach(c, e)
		stack = append(stack, children[e.Proc.PID]...)
	}
	sort.Ints(c.PIDs)
}

// conmonPIDs are the PIDs of the table's conmon processes (none for a nil table).
func conmonPIDs(t *ProcTable) []int {
	if t == nil {
		return nil
	}
	var pids []int
	for _, e := range t.Procs {
		if e.Proc.Comm == "conmon" {
			pids = append(pids, e.Proc.PID)
		}
	}
	return pids
}

func fillPod(dst, src *Pod) {
	if dst.Namespace == "" {
		dst.Namespace = src.Namespace
	}
	if dst.Name == "" {
		dst.Name = src.Name
	}
	if dst.UID == "" {
		dst.UID = src.UID
	}
}

// netnsOfPath maps a netns path written in runtime state to a known namespace inode.
func (inv *Inventory) netnsOfPath(fs FS, p string) uint64 {
	if p == "" {
		return 0
	}
	// /proc/PID/ns/net of a (host-pidns) process.
	if rest, ok := strings.CutPrefix(p, "/proc/"); ok {
		if pid, tail, ok := strings.Cut(rest, "/"); ok && tail == "ns/net" {
			if n, err := strconv.Atoi(pid); err == nil {
				if e := inv.Procs.Entry(n); e != nil {
					return e.NetnsIno
				}
			}
		}
		return 0
	}
	want := hostRunPath(filepath.Clean(p))
	for ino, ns := range inv.byIno {
		for _, n := range ns.Names {
			if hostRunPath(n) == want {
				return ino
			}
		}
	}
	return 0
}

// resolveAttribution sets each namespace's Containers, Attributed and Kind: the host
// reference is host; a path runtime state names belongs to that container;
// otherwise the containers whose processes are in it decide (one pod, one
// container, a NetworkMode=container: target), then bind-mount names, then
// the fd that holds it.
func (inv *Inventory) resolveAttribution() {
	for _, c := range inv.Containers {
		if c.NetnsInode == 0 {
			continue
		}
		ns := inv.byIno[c.NetnsInode]
		if ns == nil {
			continue
		}
		ns.Containers = append(ns.Containers, c)
		if ns.Kind == NetnsHost && c.Pod != nil {
			// A pod container in the host netns is a hostNetwork pod.
			c.HostNetwork = true
		}
	}
	for _, ns := range inv.byIno {
		sort.Slice(ns.Containers, func(i, j int) bool {
			a, b := ns.Containers[i], ns.Containers[j]
			if a.Sandbox != b.Sandbox {
				return a.Sandbox
			}
			return a.ID < b.ID
		})
		if ns.Kind == NetnsHost {
			continue
		}
		ns.Attributed = inv.attributionOf(ns)
		switch {
		case ns.Attributed != nil && ns.Attributed.Pod != nil:
			ns.Kind = NetnsPod
		case ns.Attributed != nil:
			ns.Kind = NetnsContainer
		case len(ns.Containers) > 0 && ns.Containers[0].Pod != nil:
			ns.Kind = NetnsPod
		case len(ns.Names) > 0:
			ns.Kind = NetnsNamed
		default:
			ns.Kind = NetnsUnknown
		}
	}
}

func (inv *Inventory) attributionOf(ns *Netns) *Container {
	cs := ns.Containers
	if len(cs) == 0 {
		return nil
	}
	// A pod's namespace is attributed to its sandbox.
	for _, c := range cs {
		if c.Sandbox {
			return c
		}
	}
	// All of one pod but no sandbox known (CRI-O drop_infra): the pod's sandbox
	// record may still name it.
	if p := cs[0].Pod; p != nil {
		same := true
		for _, c := range cs[1:] {
			if c.Pod == nil || c.Pod.UID != p.UID || c.Pod.Name != p.Name {
				same = false
			}
		}
		if same {
			if sb := inv.byID[inv.extras[cs[0]].sandbox]; sb != nil {
				return sb
			}
		}
	}
	// One container that the others joined (--net=container:X).
	var joined *Container
	for _, c := range cs {
		if j := inv.byID[inv.extras[c].joins]; j != nil && j.NetnsInode == ns.Inode {
			joined = j
		}
	}
	if joined != nil {
		return joined
	}
	if len(cs) == 1 {
		return cs[0]
	}
	// Several unrelated containers: the one whose state names this netns, else none.
	for _, c := range cs {
		if inv.extras[c].netnsRef != "" && !strings.HasPrefix(inv.extras[c].netnsRef, "/proc/") {
			return c
		}
	}
	return nil
}

// standaloneContainerd recognises ctr-style containers, whose cgroup is
// "/<containerd namespace>/<id>" with a free-text ID (the last, weakest
// cgroup pattern): only
// when a task bundle of that namespace and ID exists on disk.
func (inv *Inventory) standaloneContainerd(fs FS) {
	tasks := runtime.ContainerdTasks(fs)
	if len(tasks) == 0 {
		return
	}
	for _, e := range inv.Procs.Procs {
		if e.Proc.Container != nil || e.Kthread() {
			continue
		}
		for _, l := range e.Cgroup {
			comps := strings.Split(strings.Trim(l.Path, "/"), "/")
			if len(comps) < 2 {
				continue
			}
			ns, id := comps[len(comps)-2], comps[len(comps)-1]
			if ns == "k8s.io" || !tasks[ns+"/"+id] {
				continue
			}
			c := inv.byID[id]
			if c == nil {
				c = &Container{Runtime: RuntimeContainerd, ID: id, Confidence: ConfidenceStateFile}
				inv.addContainer(c)
			}
			c.PIDs = append(c.PIDs, e.Proc.PID)
			if c.NetnsInode == 0 {
				c.NetnsInode = e.NetnsIno
			}
			e.Proc.Container = c
			break
		}
	}
}
