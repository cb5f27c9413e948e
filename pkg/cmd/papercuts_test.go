//go:build linux

package cmd

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
	"github.com/kubectl-netstat/kubectl-netstat/nsenter"
)

// noCluster makes the run a node without a kubeconfig, so pod names are
// looked up in this host's runtime state.
func noCluster(t *testing.T) {
	t.Setenv("KUBECONFIG", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
}

// oneErrLine checks the contract's single stderr line and returns it.
func oneErrLine(t *testing.T, args []string, stdout, stderr string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "kubectl-netstat: ") {
		t.Errorf("%q: stderr %q, want one line starting kubectl-netstat: ", args, stderr)
	}
	if stdout != "" {
		t.Errorf("%q: stdout %q, want nothing", args, stdout)
	}
	return lines[0]
}

func TestContradictionsAreUsageErrors(t *testing.T) {
	noCluster(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--all-containers", "container/redis", "-tln"}, "--all-containers shows every namespace on this host, container/redis names one"},
		{[]string{"--all-containers", "pid/1", "netns/2"}, "pid/1 netns/2 names one"},
		{[]string{"--all-containers", "--selector", "app=web"}, "--selector/--all-namespaces/--node choose pods"},
		{[]string{"--all-containers", "--all-namespaces"}, "give one or the other"},
		{[]string{"--all-containers", "--container", "envoy"}, "use container/envoy"},
		{[]string{"-r", "web", "--container", "envoy"}, "--container narrows socket rows"},
		{[]string{"namespaces", "web"}, "namespaces lists the whole host and takes no target"},
		{[]string{"containers", "pid/1"}, "containers lists the whole host"},
	} {
		out, errOut, code := runCmd(t, tc.args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tc.args, code, exitUsage, errOut)
		}
		if l := oneErrLine(t, tc.args, out, errOut); !strings.Contains(l, tc.want) {
			t.Errorf("%q: %q, want it to contain %q", tc.args, l, tc.want)
		}
	}
}

// TestHabitHints runs kubectl habits against an empty state root: each
// word lands as a target that is not found (exit 1), or as a usage error
// (exit 2: a bad family, a word -c cannot take, a kubectl output format, a
// malformed target), and the one line names the long flag, with no
// ": not found" tail.
func TestHabitHints(t *testing.T) {
	noCluster(t)
	root := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-n", "kube-system", "coredns"}, exitProblem, "; hint: -n is netstat's --numeric; for a namespace use --namespace kube-system"},
		{[]string{"-tln", "-l", "app=web"}, exitProblem, "for a label selector use --selector app=web"},
		// Issue 11: a word -c cannot take, a kubectl output format and a
		// malformed target are usage errors (exit 2); the hint stays.
		{[]string{"-c", "envoy"}, exitUsage, "for a container use --container envoy"},
		{[]string{"-A", "web"}, exitUsage, "unknown address family `web'; use inet, inet6 or unix; hint: -A is netstat's --protocol=FAMILY; for every namespace use --all-namespaces"},
		{[]string{"-tln", "-o", "yaml"}, exitUsage, "yaml is not an output format here: use --output json"},
		{[]string{"-s", "https://203.0.113.7:6443"}, exitUsage, "for the API server use --server https://203.0.113.7:6443"},
		{[]string{"-tln", "-v", "5"}, exitProblem, "-v is netstat's --verbose and takes no level"},
	} {
		args := append(tc.args, "--host-root", root)
		out, errOut, code := runCmd(t, args...)
		if code != tc.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", args, code, tc.code, errOut)
		}
		if tc.args[1] == "-v" {
			// -v also prints the notes about processes root cannot read.
			errOut = errOut[strings.LastIndex(strings.TrimSuffix(errOut, "\n"), "\n")+1:]
		}
		l := oneErrLine(t, args, out, errOut)
		if !strings.Contains(l, tc.want) {
			t.Errorf("%q: %q, want it to contain %q", args, l, tc.want)
		}
		if strings.Contains(l, ": not found") {
			t.Errorf("%q: %q still ends its cause with \": not found\"", args, l)
		}
	}
	// netstat's own spellings get no hint.
	for _, args := range [][]string{{"-tulpn", "pod/nope"}, {"-l", "web"}, {"-c", "5", "nope"}} {
		args = append(args, "--host-root", root)
		_, errOut, code := runCmd(t, args...)
		if code != exitProblem || strings.Contains(errOut, "hint:") {
			t.Errorf("%q: exit %d stderr %q, want exit 1 and no hint", args, code, errOut)
		}
	}
}

// TestWarningsOnlyAboutTheRequest: a dangling /run/netns entry under the
// state root is reported by host-wide views, and by a netns/ target naming
// it, but not by a pid/ target that has nothing to do with it.
func TestWarningsOnlyAboutTheRequest(t *testing.T) {
	sc := fixture.New(t)
	noCluster(t)
	dangling := sc.DanglingNetns("gone-" + sc.Tag)
	bare := sc.Bare("bare")
	self := "pid/" + strconv.Itoa(os.Getpid())

	for _, tc := range []struct {
		args []string
		warn bool
	}{
		{[]string{self, "-tln"}, false},
		{[]string{"pid/" + strconv.Itoa(bare), "-tln"}, false},
		{[]string{"netns/" + netnsInode(t, bare), "-tln"}, false},
		{[]string{self, "-tln", "-v"}, true},
		{[]string{"--all-containers", "-tln"}, true},
		{[]string{"namespaces"}, true},
		{[]string{"netns/gone-" + sc.Tag}, true},
	} {
		args := append(tc.args, "--host-root", sc.HostRoot)
		_, errOut, code := runCmd(t, args...)
		got := strings.Contains(errOut, dangling+": not a mounted network namespace")
		if got != tc.warn {
			t.Errorf("%q: exit %d, dangling warning %v, want %v; stderr:\n%s", args, code, got, tc.warn, errOut)
		}
		for _, l := range strings.Split(errOut, "\n") {
			if strings.Contains(l, "/ns/net: no such file") {
				t.Errorf("%q: a vanished namespace printed on its own: %q", args, l)
			}
		}
	}
}

// TestVanishedCounted: namespaces that vanish between discovery and reading
// are one -v line, not one warning each; a namespace asked for by name is
// still reported.
func TestVanishedCounted(t *testing.T) {
	_, err := nsenter.Open("/proc/0/ns/net") // a real ENOENT from the kernel
	if err == nil {
		t.Fatal("opened /proc/0/ns/net")
	}
	inv := &inspect.Inventory{Procs: &inspect.ProcTable{Gone: 4}}
	for _, tc := range []struct {
		verbose, named bool
		want           string
	}{
		{false, false, ""},
		{true, false, "kubectl-netstat: 4 processes and 2 network namespaces vanished during the scan (exited before they could be read)\n"},
		{false, true, "kubectl-netstat: warning: netns 7: open /proc/0/ns/net: no such file or directory\nkubectl-netstat: warning: netns 7: open /proc/0/ns/net: no such file or directory\n"},
	} {
		var b bytes.Buffer
		n := newNotes(&b, tc.verbose, true, nil)
		n.discovery(inv)
		n.openFailed(&inspect.OpenError{Netns: &inspect.Netns{Inode: 7}, Err: err}, tc.named)
		n.openFailed(&inspect.OpenError{Netns: &inspect.Netns{Inode: 7}, Err: err}, tc.named)
		n.done()
		if b.String() != tc.want {
			t.Errorf("verbose=%v named=%v: %q, want %q", tc.verbose, tc.named, b.String(), tc.want)
		}
	}
}

// TestUnknownPodFieldsAreDashes: a pod found only by its cgroup (no state
// under the root given) has a UID but no namespace or name; it prints "-",
// never a bare "/" ("pod -" when nothing but the UID is known).
func TestUnknownPodFieldsAreDashes(t *testing.T) {
	sc := fixture.New(t)
	noCluster(t)
	pod := sc.ContainerdPod(fixture.PodSpec{Namespace: "shop", Name: "web-" + sc.Tag, Containers: []string{"app"}})
	ino := netnsInode(t, sc.Pid(pod.Procs["app"]))
	redis := sc.DockerContainer("redis-"+sc.Tag, fixture.DockerOpts{})
	rino := netnsInode(t, sc.Pid(redis.Proc))
	empty := t.TempDir() // the pod's state files are under sc.HostRoot, not here
	out, errOut, code := runCmd(t, "--all-containers", "-tln", "--host-root", empty)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "# netns "+ino+" ") {
			line = l
		}
	}
	if !strings.HasPrefix(line, "# netns "+ino+" pod - (containerd)") {
		t.Errorf("pod line %q, want it to start %q", line, "# netns "+ino+" pod - (containerd)")
	}
	// A container without its state is named by its short ID.
	if want := "# netns " + rino + " container " + redis.ID[:12] + " (docker)"; !strings.Contains(out, want+"\n") && !strings.Contains(out, want+" ") {
		t.Errorf("no line %q in:\n%s", want, out)
	}
	out, _, _ = runCmd(t, "namespaces", "--host-root", empty)
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[0] == ino && f[3] != "-" {
			t.Errorf("namespaces row %q: POD %q, want -", l, f[3])
		}
	}
	// With the state root the names are back.
	out, _, _ = runCmd(t, "--all-containers", "-tln", "--host-root", sc.HostRoot)
	if !strings.Contains(out, "# netns "+ino+" pod shop/web-"+sc.Tag+" (containerd)") {
		t.Errorf("with --host-root %s the pod is not named:\n%s", sc.HostRoot, out)
	}
}
