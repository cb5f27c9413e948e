package runtime

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CgroupLine is one line of /proc/PID/cgroup: hierarchy-ID:controller-list:path.
type CgroupLine struct {
	Hierarchy   int
	Controllers []string
	// Path is relative to the reader's cgroup namespace root, " (deleted)" removed.
	Path string
	// Deleted is set when the kernel marked the cgroup " (deleted)" (an exiting process).
	Deleted bool
}

// Unified reports whether the line is the cgroup v2 hierarchy (0::).
func (l CgroupLine) Unified() bool { return l.Hierarchy == 0 && len(l.Controllers) == 0 }

// has reports whether the line's controller list contains c (e.g. "pids", "name=systemd").
func (l CgroupLine) has(c string) bool {
	for _, x := range l.Controllers {
		if x == c {
			return true
		}
	}
	return false
}

// maxCgroupFile bounds /proc/PID/cgroup reads; real files are a few KiB.
const maxCgroupFile = 1 << 20

// ParseCgroup parses /proc/PID/cgroup.
func ParseCgroup(r io.Reader) ([]CgroupLine, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCgroupFile))
	if err != nil {
		return nil, err
	}
	return ParseCgroupBytes(b)
}

// ParseCgroupBytes parses the bytes of a /proc/PID/cgroup already read.
func ParseCgroupBytes(b []byte) ([]CgroupLine, error) {
	var out []CgroupLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxCgroupFile)
	n := 0
	for sc.Scan() {
		n++
		if len(sc.Bytes()) == 0 {
			continue
		}
		l, err := parseCgroupLine(sc.Text())
		if err != nil {
			return out, fmt.Errorf("cgroup line %d: %w", n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

func parseCgroupLine(s string) (CgroupLine, error) {
	id, rest, ok := strings.Cut(s, ":")
	if !ok {
		return CgroupLine{}, fmt.Errorf("%q: no ':' separators: %w", s, ErrParse)
	}
	ctrl, path, ok := strings.Cut(rest, ":")
	if !ok {
		return CgroupLine{}, fmt.Errorf("%q: missing path field: %w", s, ErrParse)
	}
	h, err := strconv.Atoi(id)
	if err != nil || h < 0 {
		return CgroupLine{}, fmt.Errorf("hierarchy ID %q: %w", id, ErrParse)
	}
	if !strings.HasPrefix(path, "/") {
		return CgroupLine{}, fmt.Errorf("path %q is not absolute: %w", path, ErrParse)
	}
	l := CgroupLine{Hierarchy: h}
	if ctrl != "" {
		l.Controllers = strings.Split(ctrl, ",")
	}
	if p, ok := strings.CutSuffix(path, " (deleted)"); ok {
		path, l.Deleted = p, true
	}
	l.Path = path
	return l, nil
}

// OuterContainer is a container that another one runs inside (a kind or
// minikube node, Docker-in-Docker), by runtime and ID.
type OuterContainer struct {
	Runtime Runtime
	ID      string
}

// CgroupMatch is what a cgroup path says about a process.
type CgroupMatch struct {
	Runtime Runtime
	// Flavor refines Runtime where the model has no word: "nerdctl", "libvirt-lxc", "mesos".
	Flavor string
	// ID is the full container ID (64 hex for docker/containerd-CRI/CRI-O/podman, a name for LXC/nspawn).
	ID string
	// Ambiguous is set for a bare ID whose runtime only on-disk state can
	// tell (a cgroupfs /kubepods/<qos>/pod<uid>/<id> is containerd or cri-dockerd).
	Ambiguous bool
	// PodUID is the Kubernetes pod UID with dashes, or a static pod's 32-hex config hash.
	PodUID string
	// StaticPod is set when PodUID is a config hash rather than an API UID.
	StaticPod bool
	// QoS is "guaranteed", "burstable" or "besteffort" for Kubernetes pods.
	QoS string
	// PodmanPod is a Podman pod ID (machine-libpod_pod_<id>.slice).
	PodmanPod string
	// OwnerUID is the user of a rootless container's user.slice, -1 when none.
	OwnerUID int
	// NestedIn lists outer containers, outermost first (kind, minikube, DinD).
	NestedIn []OuterContainer
	// Path is the cgroup path that matched.
	Path string
}

// ClassifyCgroup classifies one cgroup path by its components. It does not
// anchor at "/": runtime shapes are recognised below any prefix. The innermost
// container match wins and outer ones become NestedIn.
func ClassifyCgroup(path string) (CgroupMatch, bool) {
	path = strings.TrimSuffix(path, " (deleted)")
	comps := strings.Split(strings.Trim(path, "/"), "/")
	m := CgroupMatch{OwnerUID: -1, Path: path}
	var found []CgroupMatch
	leafAfter := map[int]int{} // index in found → index of its component
	for i, c := range comps {
		if c == "" {
			continue
		}
		parent := ""
		if i > 0 {
			parent = comps[i-1]
		}
		if uid, hash, qos, ok := podComponent(c); ok {
			m.PodUID, m.StaticPod = uid, hash
			if qos != "" {
				m.QoS = qos
			}
		}
		if q, ok := qosComponent(c, parent); ok {
			m.QoS = q
		}
		if id, ok := strings.CutPrefix(c, "machine-libpod_pod_"); ok {
			m.PodmanPod = strings.TrimSuffix(id, ".slice")
		} else if id, ok := strings.CutPrefix(c, "user-libpod_pod_"); ok {
			m.PodmanPod = strings.TrimSuffix(id, ".slice")
		}
		if u, ok := strings.CutPrefix(c, "user-"); ok && strings.HasSuffix(u, ".slice") {
			if n, err := strconv.Atoi(strings.TrimSuffix(u, ".slice")); err == nil {
				m.OwnerUID = n
			}
		}
		// Podman's cgroupfs pod dir: /libpod_parent/<podid>/libpod-<id>, conmon
		// in /libpod_parent/<podid>/conmon. The pod ID is not a container.
		if parent == "libpod_parent" && IsHex64(c) {
			m.PodmanPod = c
			continue
		}
		if rt, flavor, id, amb, ok := containerComponent(c, parent); ok {
			found = append(found, CgroupMatch{Runtime: rt, Flavor: flavor, ID: id, Ambiguous: amb})
			leafAfter[len(found)-1] = i
		}
	}
	if len(found) == 0 {
		return CgroupMatch{}, false
	}
	in := found[len(found)-1]
	if j := leafAfter[len(found)-1] + 1; in.Runtime == RuntimeNspawn && j < len(comps) && nspawnSupervisor(comps[j]) {
		return CgroupMatch{}, false
	}
	m.Runtime, m.Flavor, m.ID, m.Ambiguous = in.Runtime, in.Flavor, in.ID, in.Ambiguous
	for _, o := range found[:len(found)-1] {
		m.NestedIn = append(m.NestedIn, OuterContainer{Runtime: o.Runtime, ID: o.ID})
	}
	if m.PodUID != "" && m.QoS == "" {
		m.QoS = "guaranteed"
	}
	return m, true
}

// ClassifyCgroupLines applies the hybrid rule: evaluate every line and take the
// first match, preferring the 0:: line, then name=systemd, pids, memory, others.
func ClassifyCgroupLines(lines []CgroupLine) (CgroupMatch, bool) {
	rank := func(l CgroupLine) int {
		switch {
		case l.Unified():
			return 0
		case l.has("name=systemd"):
			return 1
		case l.has("pids"):
			return 2
		case l.has("memory"):
			return 3
		}
		return 4
	}
	for r := 0; r <= 4; r++ {
		for _, l := range lines {
			if rank(l) != r {
				continue
			}
			if m, ok := ClassifyCgroup(l.Path); ok {
				return m, true
			}
		}
	}
	return CgroupMatch{}, false
}

// IsHex64 reports whether s is a 64-character lowercase hex container ID.
func IsHex64(s string) bool { return len(s) == 64 && isLowerHex(s) }

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// containerComponent matches one path component against the container
// patterns, in Falco's matcher order (podman, crio, cri-containerd, docker,
// nerdctl, lxc, libvirt, nspawn, mesos, then bare IDs).
func containerComponent(c, parent string) (rt Runtime, flavor, id string, ambiguous, ok bool) {
	// Monitors and unit cgroups are never containers.
	if strings.Contains(c, "-conmon-") || strings.HasPrefix(c, "lxc.monitor") || c == "conmon" {
		return
	}
	if id, ok := strings.CutPrefix(c, "libpod-payload-"); ok && IsHex64(id) {
		return RuntimePodman, "", id, false, true
	}
	if id, ok := scopeID(c, "libpod-"); ok {
		return RuntimePodman, "", id, false, true
	}
	// The cgroupfs manager's shape has no .scope: /libpod_parent/libpod-<id>.
	if id, ok := strings.CutPrefix(c, "libpod-"); ok && IsHex64(id) {
		return RuntimePodman, "", id, false, true
	}
	if id, ok := scopeID(c, "crio-"); ok {
		return RuntimeCRIO, "", id, false, true
	}
	if id, ok := strings.CutPrefix(c, "crio-"); ok && IsHex64(id) {
		return RuntimeCRIO, "", id, false, true
	}
	if id, ok := scopeID(c, "cri-containerd-"); ok {
		return RuntimeContainerd, "", id, false, true
	}
	if i := strings.LastIndex(c, ":cri-containerd:"); i >= 0 && IsHex64(c[i+len(":cri-containerd:"):]) {
		return RuntimeContainerd, "", c[i+len(":cri-containerd:"):], false, true
	}
	if id, ok := scopeID(c, "docker-"); ok {
		return RuntimeDocker, "", id, false, true
	}
	if parent == "docker" && IsHex64(c) {
		return RuntimeDocker, "", c, false, true
	}
	if id, ok := scopeID(c, "nerdctl-"); ok {
		return RuntimeContainerd, "nerdctl", id, false, true
	}
	if name, ok := strings.CutPrefix(c, "lxc.payload."); ok && name != "" {
		return RuntimeLXC, "", name, false, true
	}
	if (parent == "lxc.payload" || parent == "lxc") && c != "" && !strings.HasSuffix(c, ".slice") {
		return RuntimeLXC, "", c, false, true
	}
	if name, machine := machineScope(c); machine {
		switch {
		case strings.HasPrefix(name, "qemu-"):
			return // a VM, not a container
		case strings.HasPrefix(name, "lxc-"):
			return RuntimeLXC, "libvirt-lxc", name, false, true
		}
		return RuntimeNspawn, "", name, false, true
	}
	if name, ok := nspawnService(c); ok {
		return RuntimeNspawn, "", name, false, true
	}
	if parent == "mesos" && c != "" {
		return RuntimeUnknown, "mesos", c, false, true
	}
	if IsHex64(c) {
		// A bare ID under a cgroupfs pod dir is containerd or cri-dockerd; anywhere
		// else it can be any runtime. Either way only on-disk state can tell.
		return RuntimeUnknown, "", c, true, true
	}
	return
}

// scopeID matches "<prefix><64hex>.scope".
func scopeID(c, prefix string) (string, bool) {
	s, ok := strings.CutPrefix(c, prefix)
	if !ok {
		return "", false
	}
	s, ok = strings.CutSuffix(s, ".scope")
	if !ok || !IsHex64(s) {
		return "", false
	}
	return s, true
}

// podComponent recognises "pod<uid>" (cgroupfs) and
// "(kubelet-)?kubepods(-<qos>)?-pod<uid_>.slice" (systemd), also as the slice part
// of a "<slice>:cri-containerd:<id>" component.
func podComponent(c string) (uid string, hash bool, qos string, ok bool) {
	if i := strings.Index(c, ":cri-containerd:"); i >= 0 {
		c = c[:i]
	}
	if s, ok := strings.CutPrefix(c, "pod"); ok {
		return podUID(s)
	}
	s, ok := strings.CutSuffix(c, ".slice")
	if !ok {
		return "", false, "", false
	}
	s = strings.TrimPrefix(s, "kubelet-")
	s, ok = strings.CutPrefix(s, "kubepods-")
	if !ok {
		return "", false, "", false
	}
	for _, q := range []string{"burstable-", "besteffort-"} {
		if r, ok := strings.CutPrefix(s, q); ok {
			qos, s = strings.TrimSuffix(q, "-"), r
			break
		}
	}
	s, ok = strings.CutPrefix(s, "pod")
	if !ok {
		return "", false, "", false
	}
	uid, hash, _, ok = podUID(strings.ReplaceAll(s, "_", "-"))
	return uid, hash, qos, ok
}

// podUID accepts an 8-4-4-4-12 UID or a 32-hex static-pod config hash.
func podUID(s string) (string, bool, string, bool) {
	if len(s) == 32 && isLowerHex(s) {
		return s, true, "", true
	}
	if len(s) != 36 {
		return "", false, "", false
	}
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return "", false, "", false
			}
		} else if !isLowerHex(s[i : i+1]) {
			return "", false, "", false
		}
	}
	return s, false, "", true
}

// qosComponent recognises "kubepods-<qos>.slice" and cgroupfs "kubepods/<qos>".
func qosComponent(c, parent string) (string, bool) {
	s := strings.TrimPrefix(c, "kubelet-")
	switch s {
	case "kubepods-burstable.slice":
		return "burstable", true
	case "kubepods-besteffort.slice":
		return "besteffort", true
	}
	if parent == "kubepods" && (c == "burstable" || c == "besteffort") {
		return c, true
	}
	return "", false
}
