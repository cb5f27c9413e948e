//go:build linux

package inspect_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// fxRow is the golden view of one attributed process.
type fxRow struct {
	Kind       string
	Runtime    string
	ID         string
	Name       string
	Pod        string
	Sandbox    bool
	HostNet    bool
	Confidence string
}

func fxRowOf(ns *inspect.Netns, c *inspect.Container) fxRow {
	r := fxRow{Kind: ns.Kind.String()}
	if c == nil {
		return r
	}
	r.Runtime, r.ID, r.Name, r.Sandbox, r.HostNet, r.Confidence = c.Runtime.String(), c.ID, c.Name, c.Sandbox, c.HostNetwork, c.Confidence.String()
	if c.Pod != nil {
		r.Pod = c.Pod.Namespace + "/" + c.Pod.Name + "/" + c.Pod.UID
	}
	return r
}

// TestDiscoverScene builds every runtime-shaped fixture of internal/fixture
// that this machine can host and checks the attribution of each process and namespace.
func TestDiscoverScene(t *testing.T) {
	sc := fixture.New(t)
	web := sc.ContainerdPod(fixture.PodSpec{Namespace: "shop", Name: "web", Containers: []string{"nginx", "app"}})
	api := sc.CRIOPod(fixture.PodSpec{Namespace: "prod", Name: "api", Containers: []string{"app"}, QoS: "burstable"})
	hn := sc.ContainerdPod(fixture.PodSpec{Namespace: "kube-system", Name: "hn", Containers: []string{"agent"}, HostNetwork: true})
	d1 := sc.DockerContainer("web1", fixture.DockerOpts{})
	d2 := sc.DockerContainer("side", fixture.DockerOpts{NetworkMode: "container:web1", Systemd: true})
	dh := sc.DockerContainer("hostnet", fixture.DockerOpts{NetworkMode: "host"})
	pm := sc.PodmanContainer("cache")
	lonely := sc.BindOnlyNetns("lonely")
	bare := sc.Bare("bare")
	inner := sc.OwnPidns("pidns")
	dangling := sc.DanglingNetns("gone-" + sc.Tag)
	bad := sc.MalformedDocker()
	huge := sc.HugeContainerdBundle()

	fs, err := inspect.NewFS("/proc", sc.HostRoot)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := fs.Discover(inspect.DiscoverOptions{Sockets: true})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Host == nil || inv.Host.Kind != inspect.NetnsHost {
		t.Fatalf("host netns = %+v", inv.Host)
	}

	// got returns the fxRow for a scene process: its netns and its container.
	got := func(name string) (fxRow, *inspect.Netns) {
		t.Helper()
		pid := sc.Pid(name)
		e := inv.Procs.Entry(pid)
		if e == nil {
			t.Fatalf("%s (pid %d) not scanned", name, pid)
		}
		ns := inv.NetnsOf(e.NetnsIno)
		if ns == nil {
			t.Fatalf("%s: netns %d not in inventory", name, e.NetnsIno)
		}
		return fxRowOf(ns, e.Proc.Container), ns
	}
	pod := func(p *fixture.Pod) string { return p.Namespace + "/" + p.Name + "/" + p.UID }

	for _, tc := range []struct {
		proc string
		want fxRow
	}{
		{"web/pause", fxRow{"pod", "containerd", web.SandboxID, "", pod(web), true, false, "state-file"}},
		{"web/nginx", fxRow{"pod", "containerd", web.IDs["nginx"], "nginx", pod(web), false, false, "state-file"}},
		{"web/app", fxRow{"pod", "containerd", web.IDs["app"], "app", pod(web), false, false, "state-file"}},
		{"api/app", fxRow{"pod", "cri-o", api.IDs["app"], "app", pod(api), false, false, "state-file"}},
		{"api/app/conmon", fxRow{Kind: "host"}},
		{"hn/pause", fxRow{"host", "containerd", hn.SandboxID, "", pod(hn), true, true, "state-file"}},
		{"hn/agent", fxRow{"host", "containerd", hn.IDs["agent"], "agent", pod(hn), false, true, "state-file"}},
		{"web1", fxRow{"container", "docker", d1.ID, "web1", "", false, false, "state-file"}},
		{"side", fxRow{"container", "docker", d2.ID, "side", "", false, false, "state-file"}},
		{"hostnet", fxRow{"host", "docker", dh.ID, "hostnet", "", false, true, "state-file"}},
		{"cache", fxRow{"container", "podman", pm.ID, "cache", "", false, false, "state-file"}},
		{"cache/conmon", fxRow{Kind: "host"}},
		{"bare", fxRow{Kind: "unknown"}},
		{"pidns", fxRow{Kind: "unknown"}},
	} {
		t.Run(strings.ReplaceAll(tc.proc, "/", "_"), func(t *testing.T) {
			r, _ := got(tc.proc)
			if d := cmp.Diff(tc.want, r); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}

	// Owners and names of the namespaces.
	_, webNS := got("web/nginx")
	if webNS.Attributed == nil || webNS.Attributed.ID != web.SandboxID || !fxContains(webNS.Names, web.NetnsName) || len(webNS.Containers) != 3 {
		t.Errorf("web netns: owner %+v names %v containers %d", webNS.Attributed, webNS.Names, len(webNS.Containers))
	}
	_, apiNS := got("api/app")
	if apiNS.Attributed == nil || apiNS.Attributed.ID != api.SandboxID || !apiNS.Attributed.Sandbox || apiNS.Attributed.Runtime != inspect.RuntimeCRIO ||
		len(apiNS.Attributed.PIDs) != 0 || !fxContains(apiNS.Names, api.NetnsName) {
		t.Errorf("CRI-O netns attributed to %+v, names %v; want process-less sandbox %s", apiNS.Attributed, apiNS.Names, api.SandboxID)
	}
	_, dNS := got("side")
	if dNS.Attributed == nil || dNS.Attributed.ID != d1.ID || !fxContains(dNS.Names, d1.NetnsName) {
		t.Errorf("--net=container: owner = %+v names %v, want web1", dNS.Attributed, dNS.Names)
	}
	_, pNS := got("cache")
	if !fxContains(pNS.Names, pm.NetnsName) || pNS.Attributed == nil || pNS.Attributed.ID != pm.ID {
		t.Errorf("podman netns = %+v", pNS)
	}
	if e := inv.Procs.Entry(inner); e == nil || len(e.NSpid) != 2 || e.NSpid[1] != 1 {
		t.Errorf("pidns NSpid = %+v", e)
	}
	var lonelyNS *inspect.Netns
	for _, ns := range inv.Netns {
		if fxContains(ns.Names, lonely) {
			lonelyNS = ns
		}
	}
	if lonelyNS == nil || lonelyNS.Kind != inspect.NetnsNamed || len(lonelyNS.PIDs) != 0 {
		t.Fatalf("bind-mount-only netns = %+v", lonelyNS)
	}
	_ = bare

	// Every namespace's Path must open it.
	for _, ns := range []*inspect.Netns{webNS, apiNS, dNS, pNS, lonelyNS, inv.Host} {
		h, err := nsenter.Open(ns.Path)
		if err != nil {
			t.Errorf("netns %d: Open(%s): %v", ns.Inode, ns.Path, err)
			continue
		}
		_, ino, _ := nsenter.ID(h)
		h.Close()
		if ino != ns.Inode {
			t.Errorf("netns %d: Path %s opens %d", ns.Inode, ns.Path, ino)
		}
	}

	// Bad input became warnings, not errors.
	for _, w := range []string{dangling, bad, huge} {
		found := false
		var all []string
		for _, x := range inv.Warnings {
			found = found || strings.Contains(x.Error(), w)
			all = append(all, x.Error())
		}
		if !found {
			t.Errorf("no warning mentions %s; warnings:\n%s", w, strings.Join(all, "\n"))
		}
	}

	// Targets.
	for _, tc := range []struct {
		target string
		want   *inspect.Netns
		err    error
	}{
		{"container/nginx", webNS, nil},
		{"container/" + d1.ID[:10], dNS, nil},
		{"container/" + api.IDs["app"], apiNS, nil},
		{"container/app", nil, inspect.ErrAmbiguous},
		{"container/nope-" + sc.Tag, nil, inspect.ErrNotFound},
		{"web", webNS, nil},
		{"pod/shop/web", webNS, nil},
		{"pod/api", apiNS, nil},
		{"pod/other/web", nil, inspect.ErrNotFound},
		{"nope-" + sc.Tag, nil, inspect.ErrNotFound},
		{"pid/" + fxItoa(sc.Pid("cache")), pNS, nil},
		{"pid/0", nil, inspect.ErrNotFound},
		{"netns/" + lonely, lonelyNS, nil},
		{"netns/" + fxItoa(int(apiNS.Inode)), apiNS, nil},
		{"netns/" + sc.NetnsPath("web1"), dNS, nil},
		{"bogus/x", nil, inspect.ErrNotFound},
	} {
		t.Run("resolve "+tc.target, func(t *testing.T) {
			got, err := inv.Resolve(tc.target)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if tc.err == inspect.ErrAmbiguous && !strings.Contains(err.Error(), web.IDs["app"][:12]) {
					t.Errorf("ambiguity error does not name the candidates: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("Resolve = %v, want netns %d", got, tc.want.Inode)
			}
		})
	}

	// ContainerOf: a process with no container of its own in a container netns
	// is attributed to the container its netns is attributed to.
	extra := sc.Start("web1", "web1/exec", "sleep", "600")
	inv2, err := fs.Discover(inspect.DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e := inv2.Procs.Entry(extra)
	if c := inv2.ContainerOf(e.Proc); c == nil || c.ID != d1.ID {
		t.Errorf("ContainerOf(exec in web1 netns) = %+v, want web1", c)
	}
}

func fxContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func fxItoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}

// TestDiscoverSceneEdges covers the cgroup-driver variants, v1-only cgroups,
// and namespaces held only by a private-mount-namespace bind or by an fd.
func TestDiscoverSceneEdges(t *testing.T) {
	sc := fixture.New(t)
	cfs := sc.ContainerdPod(fixture.PodSpec{Name: "cfs", Containers: []string{"c"}, CgroupDriver: "cgroupfs", QoS: "guaranteed"})
	mis := sc.ContainerdPod(fixture.PodSpec{Name: "mis", Containers: []string{"c"}, CgroupDriver: "mismatch", QoS: "burstable"})
	v1 := sc.DockerContainer("v1only", fixture.DockerOpts{V1Only: true})
	priv := sc.PrivateMountNetns("priv-" + sc.Tag)
	holder := sc.FdHeldNetns("fdheld")
	sc.ContainerdStandalone("default", "my-redis-"+sc.Tag)

	fs, err := inspect.NewFS("/proc", sc.HostRoot)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := fs.Discover(inspect.DiscoverOptions{Sockets: true})
	if err != nil {
		t.Fatal(err)
	}
	ctr := func(proc string) *inspect.Container {
		t.Helper()
		e := inv.Procs.Entry(sc.Pid(proc))
		if e == nil {
			t.Fatalf("%s not scanned", proc)
		}
		return e.Proc.Container
	}
	for _, tc := range []struct {
		proc, id, name string
		rt             inspect.Runtime
	}{
		{"cfs/c", cfs.IDs["c"], "c", inspect.RuntimeContainerd}, // ambiguous path, runtime from state
		{"mis/c", mis.IDs["c"], "c", inspect.RuntimeContainerd},
		{"v1only", v1.ID, "v1only", inspect.RuntimeDocker},
		{"my-redis-" + sc.Tag, "my-redis-" + sc.Tag, "", inspect.RuntimeContainerd},
	} {
		c := ctr(tc.proc)
		if c == nil || c.ID != tc.id || c.Name != tc.name || c.Runtime != tc.rt {
			t.Errorf("%s: container %+v, want %s %s (%s)", tc.proc, c, tc.rt, tc.name, tc.id)
		}
	}
	if m := inv.CgroupOf(ctr("cfs/c")); m == nil || !m.Ambiguous || m.QoS != "guaranteed" || m.PodUID != cfs.UID {
		t.Errorf("cgroupfs match = %+v", m)
	}

	var privNS *inspect.Netns
	for _, ns := range inv.Netns {
		if fxContains(ns.Names, priv) {
			privNS = ns
		}
	}
	if privNS == nil {
		t.Fatalf("netns bound in a private mount namespace at %s not found", priv)
	}
	if privNS.Kind != inspect.NetnsNamed || len(privNS.PIDs) != 0 || !strings.Contains(privNS.Path, "/root/") {
		t.Errorf("private-mount netns = %+v, want named, no pids, opened via /proc/PID/root", privNS)
	}
	for _, w := range inv.Warnings {
		if strings.Contains(w.Error(), priv) {
			t.Errorf("private-mount bind reported as dangling: %s", w)
		}
	}

	he := inv.Procs.Entry(holder)
	if he == nil || len(he.NetnsFds) != 1 {
		t.Fatalf("fd holder entry = %+v", he)
	}
	fdNS := inv.NetnsOf(he.NetnsFds[0].Inode)
	if fdNS == nil || len(fdNS.PIDs) != 0 || fdNS.Kind != inspect.NetnsUnknown || !strings.HasSuffix(fdNS.Path, "/fd/3") {
		t.Errorf("fd-held netns = %+v", fdNS)
	}
	for _, ns := range []*inspect.Netns{privNS, fdNS} {
		if ns == nil {
			continue
		}
		h, err := nsenter.Open(ns.Path)
		if err != nil {
			t.Errorf("Open(%s): %v", ns.Path, err)
			continue
		}
		_, ino, _ := nsenter.ID(h)
		h.Close()
		if ino != ns.Inode {
			t.Errorf("%s opens %d, want %d", ns.Path, ino, ns.Inode)
		}
	}
}

// TestDiscoverHelperCgroupns runs inside `unshare --cgroup` for
// TestDiscoverCgroupnsMismatch and prints Discover's warnings.
func TestDiscoverHelperCgroupns(t *testing.T) {
	if os.Getenv("NETSTAT_DISCOVER_HELPER") != "1" {
		t.Skip("helper process only")
	}
	fs, _ := inspect.NewFS("/proc", "/")
	inv, err := fs.Discover(inspect.DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range inv.Warnings {
		os.Stdout.WriteString("WARNING " + w.Error() + "\n")
	}
}

func TestDiscoverCgroupnsMismatch(t *testing.T) {
	sc := fixture.New(t)
	// Put the reader in a sub-cgroup first, so its new cgroupns root differs from the host's.
	cmd := exec.Command("sh", "-c", `echo $$ > "$1/cgroup.procs" && exec unshare --cgroup "$2" -test.run '^TestDiscoverHelperCgroupns$' -test.v`, "sh", sc.CgroupRoot, os.Args[0])
	cmd.Env = append(os.Environ(), "NETSTAT_DISCOVER_HELPER=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "WARNING this process is in a private cgroup namespace") {
		t.Errorf("no cgroupns warning:\n%s", out)
	}
	// And none when run in the host cgroup namespace.
	fs, _ := inspect.NewFS("/proc", sc.HostRoot)
	inv, err := fs.Discover(inspect.DiscoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range inv.Warnings {
		if w.Kind == inspect.WarnHost && strings.Contains(w.Error(), "cgroup namespace") {
			t.Errorf("cgroupns warning in the host cgroupns: %s", w)
		}
	}
}
