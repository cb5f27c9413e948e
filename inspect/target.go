package inspect

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-netstat/kubectl-netstat/inspect/runtime"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// notFoundError is a target that names nothing on this host. Its text
// says what is missing; errors.Is matches ErrNotFound without the text
// ending in the sentinel's words.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return ErrNotFound }

func notFoundf(format string, a ...any) error { return &notFoundError{msg: fmt.Sprintf(format, a...)} }

// ErrAmbiguous is returned when a target names several containers.
var ErrAmbiguous = errors.New("ambiguous target")

// Resolve turns one positional target into the namespaces it selects:
// container/NAME-OR-ID (an ID prefix is enough), pid/PID, netns/PATH-OR-INODE,
// and POD or pod/NAME or pod/NAMESPACE/NAME resolved from local runtime state.
func (inv *Inventory) Resolve(target string) ([]*Netns, error) {
	kind, arg, ok := strings.Cut(target, "/")
	if !ok {
		kind, arg = "pod", target
	}
	if arg == "" {
		return nil, notFoundf("target %q: empty name", target)
	}
	switch kind {
	case "container", "ctr":
		cs, err := inv.findContainers(arg)
		if err != nil {
			return nil, err
		}
		return inv.netnsOfContainers(target, cs)
	case "pid":
		pid, err := strconv.Atoi(arg)
		if err != nil || pid <= 0 {
			return nil, notFoundf("target %q: %q is not a process ID", target, arg)
		}
		e := inv.Procs.Entry(pid)
		if e == nil {
			return nil, notFoundf("target %q: no process %d (gone, or not visible in this /proc)", target, pid)
		}
		ns := inv.byIno[e.NetnsIno]
		if e.NetnsIno == 0 || ns == nil {
			// Its ns/net link was denied (ptrace rules; PID 1 of some hosts even to root).
			return nil, fmt.Errorf("target %q: cannot read /proc/%d/ns/net: %w", target, pid, ErrPermission)
		}
		return []*Netns{ns}, nil
	case "netns":
		return inv.resolveNetns(target, arg)
	case "pod", "po", "pods":
		return inv.resolvePod(target, arg)
	}
	return nil, notFoundf("target %q: unknown kind %q (use container/, pid/, netns/ or pod/)", target, kind)
}

// findContainers matches a full ID, else an exact name, else (only when no
// name matches) a prefix of a hex ID. Free-text IDs (LXC, nspawn, runc) are
// names, and a name prefix never matches: "web" must not select "web-2".
func (inv *Inventory) findContainers(arg string) ([]*Container, error) {
	if c := inv.byID[arg]; c != nil {
		return []*Container{c}, nil
	}
	var byName, byPrefix []*Container
	for _, c := range inv.Containers {
		if c.Name == arg {
			byName = append(byName, c)
		}
		if runtime.IsHex64(c.ID) && strings.HasPrefix(c.ID, arg) {
			byPrefix = append(byPrefix, c)
		}
	}
	for _, set := range [][]*Container{byName, byPrefix} {
		switch {
		case len(set) == 1:
			return set, nil
		case len(set) > 1:
			// Several containers of one name in one namespace (e.g. a pod's
			// name reused) are only fine when they share the namespace.
			same := true
			for _, c := range set[1:] {
				if c.NetnsInode != set[0].NetnsInode {
					same = false
				}
			}
			if same && set[0].NetnsInode != 0 {
				return set[:1], nil
			}
			return nil, fmt.Errorf("container/%s matches %s: %w", arg, describeContainers(set), ErrAmbiguous)
		}
	}
	return nil, notFoundf("container/%s: no container with that name, ID or ID prefix on this host (see --all-containers)", arg)
}

func describeContainers(cs []*Container) string {
	var parts []string
	for _, c := range cs {
		id := c.ID
		if len(id) > 12 {
			id = id[:12]
		}
		s := id
		if c.Name != "" {
			s += " (" + c.Name
			if c.Pod != nil && c.Pod.Name != "" {
				s += " in " + c.Pod.Namespace + "/" + c.Pod.Name
			}
			s += ")"
		}
		parts = append(parts, s)
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func (inv *Inventory) netnsOfContainers(target string, cs []*Container) ([]*Netns, error) {
	var out []*Netns
	seen := map[uint64]bool{}
	for _, c := range cs {
		ns := inv.byIno[c.NetnsInode]
		if ns == nil {
			return nil, notFoundf("target %q: container %s has no known network namespace (not running?)", target, c.ID)
		}
		if !seen[ns.Inode] {
			seen[ns.Inode] = true
			out = append(out, ns)
		}
	}
	return out, nil
}

func (inv *Inventory) resolveNetns(target, arg string) ([]*Netns, error) {
	if ino, err := strconv.ParseUint(arg, 10, 64); err == nil {
		if ns := inv.byIno[ino]; ns != nil {
			return []*Netns{ns}, nil
		}
		return nil, notFoundf("target %q: no network namespace with inode %d", target, ino)
	}
	p := arg
	if !strings.HasPrefix(p, "/") {
		// A bare name is an `ip netns` name.
		p = "/run/netns/" + p
	}
	want := hostRunPath(filepath.Clean(p))
	for _, ns := range inv.Netns {
		for _, n := range ns.Names {
			if hostRunPath(n) == want {
				return []*Netns{ns}, nil
			}
		}
	}
	// Any path that opens a network namespace (/proc/PID/ns/net, a bind
	// mount elsewhere); nsenter.Open checks it is one without blocking.
	if h, err := nsenter.Open(arg); err == nil {
		_, ino, err := nsenter.ID(h)
		h.Close()
		if ns := inv.byIno[ino]; err == nil && ns != nil {
			return []*Netns{ns}, nil
		}
	}
	return nil, notFoundf("target %q: no network namespace at %s", target, arg)
}

// resolvePod finds a pod by name (optionally NAMESPACE/NAME) in the local
// runtime state. The Kubernetes API is the caller's business.
func (inv *Inventory) resolvePod(target, arg string) ([]*Netns, error) {
	ns, name, hasNS := strings.Cut(arg, "/")
	if !hasNS {
		name, ns = arg, ""
	}
	var cs []*Container
	pods := map[string]bool{}
	for _, c := range inv.Containers {
		if c.Pod == nil || c.Pod.Name != name || (hasNS && c.Pod.Namespace != ns) {
			continue
		}
		cs = append(cs, c)
		pods[c.Pod.Namespace+"/"+c.Pod.Name] = true
	}
	if len(cs) == 0 {
		return nil, notFoundf("target %q: no pod %q in this host's runtime state (try pod/NAMESPACE/NAME, container/NAME, or --all-containers to list)", target, arg)
	}
	if len(pods) > 1 {
		var ps []string
		for p := range pods {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		return nil, fmt.Errorf("target %q: pods %s share that name; use pod/NAMESPACE/NAME: %w", target, strings.Join(ps, ", "), ErrAmbiguous)
	}
	// All containers of a pod share one netns, except hostNetwork pods (host).
	var out []*Netns
	seen := map[uint64]bool{}
	for _, c := range cs {
		n := inv.byIno[c.NetnsInode]
		if n != nil && !seen[n.Inode] {
			seen[n.Inode] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, notFoundf("target %q: pod found but none of its containers has a known network namespace", target)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Inode < out[j].Inode })
	return out, nil
}
