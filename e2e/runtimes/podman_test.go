//go:build !windows

package runtimes

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// podman runs podman with the private containers.conf and extra global flags.
func podman(t *testing.T, global []string, args ...string) string {
	t.Helper()
	out, err := shErr([]string{"CONTAINERS_CONF=" + rtEnv["CONTAINERS_CONF"]}, "podman", append(global, args...)...)
	if err != nil {
		t.Fatalf("podman %s: %v", strings.Join(append(global, args...), " "), err)
	}
	return out
}

// podmanWant reads one container from podman inspect (and its pod from podman pod inspect).
func podmanWant(t *testing.T, global []string, name string, port int) want {
	t.Helper()
	f := strings.Split(podman(t, global, "inspect", "-f", "{{.Id}}|{{.Name}}|{{.ImageName}}|{{.State.Pid}}|{{.Pod}}|{{.IsInfra}}", name), "|")
	pid, _ := strconv.Atoi(f[3])
	w := want{Case: name, Runtime: "podman", ID: f[0], Name: f[1], Image: f[2], PID: pid, Port: port,
		Kind: "container", Owner: f[0], Target: name, Sandbox: f[5] == "true"}
	if f[4] != "" {
		p := strings.Split(podman(t, global, "pod", "inspect", "-f", "{{.Id}}|{{.Name}}|{{.InfraContainerID}}", f[4]), "|")
		w.PodUID, w.PodName, w.Owner, w.Kind = p[0], p[1], p[2], "pod"
	}
	// conmon watches from the host netns and must never be a container process.
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := strings.LastIndexByte(string(b), ')'); i > 0 {
			if fs := strings.Fields(string(b)[i+1:]); len(fs) > 2 {
				if pp, err := strconv.Atoi(fs[1]); err == nil {
					w.NotPIDs = append(w.NotPIDs, pp)
				}
			}
		}
	}
	if port != 0 {
		waitListen(t, pid, port)
	}
	return w
}

func podmanRun(t *testing.T, global []string, name string, port int, args ...string) {
	t.Helper()
	t.Cleanup(func() {
		_, _ = shErr([]string{"CONTAINERS_CONF=" + rtEnv["CONTAINERS_CONF"]}, "podman", append(global, "rm", "-f", "-t", "0", name)...)
	})
	a := append([]string{"run", "-d", "--name", name}, args...)
	podman(t, global, append(a, "localhost/"+rtEnv["KNS_RT_IMAGE"], "/bin/listen", strconv.Itoa(port))...)
}

// TestPodman: rootful, cgroupfs manager — a single container, a pod with two
// members, a CNI bridge network, a second store with the other storage
// driver, and crun (through the hybrid-cgroup wrapper).
func TestPodman(t *testing.T) {
	needEnv(t, "podman", "conmon")
	s := suffix()
	single, pod, m1, m2, cni, alt, crun := "kns-e2e-p-"+s, "kns-e2e-pod-"+s, "kns-e2e-m1-"+s, "kns-e2e-m2-"+s, "kns-e2e-cni-"+s, "kns-e2e-alt-"+s, "kns-e2e-crun-"+s

	podmanRun(t, nil, single, 8091, "--network", "none")

	t.Cleanup(func() {
		_, _ = shErr([]string{"CONTAINERS_CONF=" + rtEnv["CONTAINERS_CONF"]}, "podman", "pod", "rm", "-f", "-t", "0", pod)
	})
	podman(t, nil, "pod", "create", "--name", pod, "--network", "none")
	podmanRun(t, nil, m1, 8092, "--pod", pod)
	podmanRun(t, nil, m2, 8093, "--pod", pod)

	// A CNI bridge in a private config dir: no firewall or portmap plugin, no masquerade.
	netDir := t.TempDir()
	net := "kns-e2e-net-" + s
	conf := fmt.Sprintf(`{"cniVersion":"0.4.0","name":%q,"plugins":[{"type":"bridge","bridge":"kns%s","isGateway":false,"ipMasq":false,
"ipam":{"type":"host-local","ranges":[[{"subnet":"203.0.113.0/24"}]],"dataDir":%q}}]}`, net, s, filepath.Join(netDir, "ipam"))
	if err := os.WriteFile(filepath.Join(netDir, net+".conflist"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cniGlobal := []string{"--network-config-dir", netDir}
	t.Cleanup(func() { _, _ = shErr(nil, "ip", "link", "del", "kns"+s) })
	podmanRun(t, cniGlobal, cni, 8094, "--network", net)

	drv, _ := os.ReadFile(filepath.Join(rtEnv["KNS_RT_STATE"], "alt-driver"))
	altRoot := filepath.Join(rtEnv["KNS_RT_STATE"], "podman-alt")
	altGlobal := []string{"--root", filepath.Join(altRoot, "root"), "--runroot", filepath.Join(altRoot, "runroot"), "--storage-driver", strings.TrimSpace(string(drv))}
	podmanRun(t, altGlobal, alt, 8095, "--network", "none")

	crunGlobal := []string{"--runtime", rtEnv["KNS_RT_CRUN_WRAPPER"]}
	podmanRun(t, crunGlobal, crun, 8096, "--network", "none")

	ws := []want{podmanWant(t, nil, single, 8091)}
	pw := podmanWant(t, nil, m1, 8092)
	infra := podmanWant(t, nil, pw.Owner, 0)
	infra.Target = ""
	ws = append(ws, infra, pw, podmanWant(t, nil, m2, 8093), podmanWant(t, cniGlobal, cni, 8094),
		podmanWant(t, altGlobal, alt, 8095), podmanWant(t, crunGlobal, crun, 8096))
	// The infra is a pod's sandbox; the members' container/NAME is the pod's netns.
	record(ws, verify(t, ws))
}

// TestPodmanRootless: a user's Podman (vfs, cgroupfs; no cgroup of its own
// on cgroup v1), its state under the user's home and XDG_RUNTIME_DIR.
func TestPodmanRootless(t *testing.T) {
	needEnv(t, "podman", "newuidmap", "runuser")
	user, uid := rtEnv["KNS_RT_ROOTLESS_USER"], rtEnv["KNS_RT_ROOTLESS_UID"]
	_, err := shErr(nil, "id", user)
	need(t, err == nil, "rootless user %s missing (hack/runtimes.sh up)", user)
	home := filepath.Join(rtEnv["KNS_RT_STATE"], "home")
	env := []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + filepath.Join(rtEnv["KNS_RT_STATE"], "xdg-"+uid),
		"CONTAINERS_CONF=" + rtEnv["CONTAINERS_CONF"], "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	rl := func(args ...string) (string, error) {
		a := append([]string{"-u", user, "--", "env"}, env...)
		a = append(a, "podman", "--storage-driver", "vfs")
		return shErr(nil, "runuser", append(a, args...)...)
	}
	name := "kns-e2e-rl-" + suffix()
	t.Cleanup(func() { _, _ = rl("rm", "-f", "-t", "0", name) })
	// slirp4netns opens /dev/net/tun as the user: mode 0600 here, opened up
	// only while the container starts.
	tun, err := os.Stat("/dev/net/tun")
	need(t, err == nil, "no /dev/net/tun: %v", err)
	if err := os.Chmod("/dev/net/tun", 0o666); err != nil {
		t.Fatal(err)
	}
	hostPort := freePort(t)
	out, err := rl("run", "-d", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:8097", hostPort), "localhost/"+rtEnv["KNS_RT_IMAGE"], "/bin/listen", "8097")
	if cerr := os.Chmod("/dev/net/tun", tun.Mode().Perm()); cerr != nil {
		t.Error(cerr)
	}
	if err != nil {
		t.Fatalf("rootless podman run: %v %s", err, out)
	}
	out, err = rl("inspect", "-f", "{{.Id}}|{{.Name}}|{{.ImageName}}|{{.State.Pid}}", name)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(out, "|")
	pid, _ := strconv.Atoi(f[3])
	waitListen(t, pid, 8097)
	ws := []want{{Case: name, Runtime: "podman", ID: f[0], Name: f[1], Image: f[2], PID: pid, Port: 8097, Kind: "container", Owner: f[0], Target: name}}
	record(ws, verify(t, ws))

	// rootlessport holds the published port in the host netns (it opened it
	// before joining the container's netns): the row belongs to the container.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var socks []*sockRec
		knsJSON(t, &socks, "--all-containers", "-tln", "-o", "json")
		var got *sockRec
		for _, s := range socks {
			if s.LocalPort == hostPort && s.State == "LISTEN" && s.Netns.Inode != netnsIno(t, pid) {
				got = s
			}
		}
		// rootlessport opens the host listener before its process tree is
		// complete; CI once saw the listener a moment before the row could be
		// attributed, so the check polls like the listener wait does. A row
		// attributed to another container fails at once.
		if got != nil && got.Container != nil {
			if got.Container.ID != f[0] {
				t.Errorf("published 127.0.0.1:%d (rootlessport) attributed to %+v, want %s", hostPort, got.Container, f[0])
			}
			break
		}
		if time.Now().After(deadline) {
			if got != nil {
				t.Fatalf("published 127.0.0.1:%d (rootlessport) attributed to no container, want %s", hostPort, f[0])
			}
			t.Fatalf("no host listener on 127.0.0.1:%d (rootlessport)", hostPort)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
