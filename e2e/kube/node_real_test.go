//go:build linux

package kubee2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRealNode runs the CLI against pods on a real kubelet + containerd
// node: every method's output equals net-tools netstat run in the pod's
// netns, local and agent byte for byte, and the real kubectl drives the
// binary as a plugin. What one node cannot show (several nodes, unreachable
// ones) stays with the virtual-kubelet tests.
func TestRealNode(t *testing.T) {
	c := needCluster(t)
	suite := time.Now()
	bin := netstatBinary(t)
	n := startRealNode(t, c)
	ns := testNamespace(t, n.cs)

	web := n.runPod(ns, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "app", Command: []string{"/listen", "-udp", "0.0.0.0:8080", "127.0.0.1:9000"},
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}, {Name: "admin", ContainerPort: 7070}}},
		{Name: "sidecar", Command: []string{"/listen", "127.0.0.1:15000", "0.0.0.0:15090"}},
	}}})
	lo := n.runPod(ns, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "lo"}, Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "app", Command: []string{"/listen", "-udp", "127.0.0.1:7000"}},
	}}})
	t.Logf("pods running %s after the suite started", time.Since(suite).Round(time.Millisecond))
	kc := []string{"--kubeconfig", c.adminKubeconfig, "--namespace", ns}

	// netstat is net-tools' netstat in the pod's network namespace.
	netstat := func(t *testing.T, p *corev1.Pod, args ...string) string {
		t.Helper()
		pid := n.podPid(p, p.Spec.Containers[0].Name)
		return nodeRun(t, "nsenter", append([]string{"--net=/proc/" + strconv.Itoa(pid) + "/ns/net", "netstat"}, args...)...)
	}
	methods := func(t *testing.T, p *corev1.Pod) {
		for _, tc := range []struct {
			method string
			flags  string
		}{{"local", "-tulnp"}, {"agent", "-tulnp"}, {"exec", "-tuln"}} {
			t.Run(tc.method, func(t *testing.T) {
				want := netstat(t, p, tc.flags)
				// Sockets come and go only with the pod's own processes: a
				// mismatch is retried once in case a listener was still binding.
				var got string
				for try := 0; try < 2; try++ {
					start := time.Now()
					stdout, stderr, code := runBinary(t, bin, append(kc, "--method", tc.method, "--image", nodeAgentImage, tc.flags, "pod/"+p.Name)...)
					if code != 0 {
						t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, stderr, stdout)
					}
					got = stdout
					t.Logf("--method %s %s pod/%s: %s", tc.method, tc.flags, p.Name, time.Since(start).Round(time.Millisecond))
					if got == want {
						break
					}
					want = netstat(t, p, tc.flags)
				}
				if got != want {
					t.Errorf("--method %s differs from netstat %s in the pod's netns\n--- netstat\n%s--- kubectl-netstat\n%s", tc.method, tc.flags, want, got)
				}
			})
		}
		t.Run("local equals agent", func(t *testing.T) {
			local, _, _ := runBinary(t, bin, append(kc, "--method", "local", "-tulnp", "pod/"+p.Name)...)
			agent, stderr, code := runBinary(t, bin, append(kc, "--method", "agent", "--image", nodeAgentImage, "-tulnp", "pod/"+p.Name)...)
			if code != 0 || local != agent {
				t.Errorf("local and agent differ (agent exit %d, %s)\n--- local\n%s--- agent\n%s", code, stderr, local, agent)
			}
		})
	}
	t.Run("two-container pod", func(t *testing.T) { methods(t, web) })
	t.Run("loopback-only pod", func(t *testing.T) { methods(t, lo) })

	// Two pods: each namespace is headed by its "# netns" line, by either method.
	t.Run("two pods local equals agent", func(t *testing.T) {
		args := append(kc, "-tulnp", "pod/web", "pod/lo")
		local, stderr, code := runBinary(t, bin, append(args, "--method", "local")...)
		if code != 0 || strings.Count(local, "# netns ") != 2 {
			t.Fatalf("local: exit %d %s, want two # netns lines:\n%s", code, stderr, local)
		}
		agent, stderr, code := runBinary(t, bin, append(args, "--method", "agent", "--image", nodeAgentImage)...)
		if code != 0 || local != agent {
			t.Errorf("local and agent differ (agent exit %d, %s)\n--- local\n%s--- agent\n%s", code, stderr, local, agent)
		}
	})

	// --container keeps the sockets of that container's processes.
	t.Run("container", func(t *testing.T) {
		pid := strconv.Itoa(n.podPid(web, "sidecar"))
		var want strings.Builder
		for i, line := range strings.SplitAfter(netstat(t, web, "-tulnp"), "\n") {
			f := strings.Fields(line)
			if i < 2 || (len(f) > 0 && strings.HasPrefix(f[len(f)-1], pid+"/")) {
				want.WriteString(line)
			}
		}
		got, stderr, code := runBinary(t, bin, append(kc, "--method", "local", "--container", "sidecar", "-tulnp", "pod/web")...)
		if code != 0 || got != want.String() {
			t.Errorf("--container sidecar: exit %d %s\n--- want\n%s--- got\n%s", code, stderr, want.String(), got)
		}
		if !strings.Contains(got, "127.0.0.1:15000") || strings.Contains(got, ":8080") {
			t.Errorf("--container sidecar shows the wrong sockets:\n%s", got)
		}
	})

	t.Run("audit declared", func(t *testing.T) {
		stdout, stderr, code := runBinary(t, bin, "audit", "--declared", "--kubeconfig", c.adminKubeconfig, "--output", "json")
		if code != 1 {
			t.Fatalf("exit %d, want 1 (findings): %s\n%s", code, stderr, stdout)
		}
		var recs []struct {
			Finding, Namespace, Pod, Container, Proto string
			Port                                      int
		}
		if err := json.Unmarshal([]byte(stdout), &recs); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		var got []string
		for _, r := range recs {
			if r.Namespace == ns {
				got = append(got, fmt.Sprintf("%s/%s %s %s/%d", r.Pod, r.Container, r.Finding, r.Proto, r.Port))
			}
		}
		// containerPorts are TCP: 8080/udp is undeclared, as is 15090 (all
		// addresses); 7070 is declared and closed; loopback ports are never findings.
		want := []string{"web/sidecar undeclared TCP/15090", "web/app undeclared UDP/8080", "web/app not-listening TCP/7070"}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("findings for %s = %q, want %q\n%s", ns, got, want, stdout)
		}
	})

	t.Run("audit all nodes", func(t *testing.T) {
		pol := filepath.Join(t.TempDir(), "policy.yaml")
		nodeWriteFile(t, pol, "default: allow\nrules:\n  - action: deny\n    match:\n      pod: web\n      port: \"15090\"\n")
		stdout, stderr, code := runBinary(t, bin, append(kc, "audit", "--all-nodes", "--image", nodeAgentImage, "--policy", pol, "--output", "json")...)
		if code != 1 {
			t.Fatalf("exit %d, want 1 (one violation)\nstderr: %s\nstdout: %s", code, stderr, stdout)
		}
		var recs []struct {
			Node    string `json:"node"`
			Port    int    `json:"port"`
			Verdict *struct {
				Allowed bool `json:"allowed"`
			} `json:"verdict"`
			Container *struct {
				Name string                            `json:"name"`
				Pod  *struct{ Namespace, Name string } `json:"pod"`
			} `json:"container"`
		}
		if err := json.Unmarshal([]byte(stdout), &recs); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		var denied []string
		ports := map[int]bool{}
		for _, r := range recs {
			if r.Node != nodeName || r.Container == nil || r.Container.Pod == nil || r.Container.Pod.Namespace != ns {
				continue
			}
			ports[r.Port] = true
			if r.Verdict != nil && !r.Verdict.Allowed {
				denied = append(denied, fmt.Sprintf("%s/%s:%d", r.Container.Pod.Name, r.Container.Name, r.Port))
			}
		}
		if fmt.Sprint(denied) != "[web/sidecar:15090]" {
			t.Errorf("violations %v, want [web/sidecar:15090]\n%s", denied, stdout)
		}
		for _, p := range []int{8080, 9000, 15000, 15090, 7000} {
			if !ports[p] {
				t.Errorf("node %s audit lacks port %d of the test pods:\n%s", nodeName, p, stdout)
			}
		}
	})

	// The sandbox (pause) containers carry their image, as ctr knows it.
	t.Run("containers image", func(t *testing.T) {
		stdout, stderr, code := runBinary(t, bin, "containers", "--output", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var recs []struct {
			ID, Name, Image string
			Sandbox         bool
			Pod             *struct{ Namespace, Name string }
		}
		if err := json.Unmarshal([]byte(stdout), &recs); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		infos, err := n.ctr("containers", "ls")
		if err != nil {
			t.Fatal(err)
		}
		// CONTAINER IMAGE RUNTIME
		ctrImage := map[string]string{}
		for _, line := range strings.Split(infos, "\n") {
			if f := strings.Fields(line); len(f) == 3 {
				ctrImage[f[0]] = f[1]
			}
		}
		seen := 0
		for _, r := range recs {
			// Agent pods of the earlier subtests may still be going away.
			if r.Pod == nil || r.Pod.Namespace != ns || strings.HasPrefix(r.Pod.Name, "kubectl-netstat-agent-") {
				continue
			}
			seen++
			want := n.workload
			if r.Sandbox {
				want = nodePauseImage
			}
			if r.Image != want {
				t.Errorf("container %.12s (%s, sandbox %v) image %q, want %q", r.ID, r.Name, r.Sandbox, r.Image, want)
			}
			if ctrImage[r.ID] != r.Image {
				t.Errorf("ctr says container %.12s has image %q, kubectl-netstat %q", r.ID, ctrImage[r.ID], r.Image)
			}
		}
		for _, r := range recs {
			if r.Sandbox && r.Pod != nil && r.Pod.Namespace == ns {
				b, _ := os.ReadFile(filepath.Join(k3sState, "io.containerd.runtime.v2.task", "k8s.io", r.ID, "config.json"))
				t.Logf("sandbox %.12s: image annotation in its bundle: %v", r.ID, strings.Contains(string(b), "io.kubernetes.cri.podsandbox.image-name"))
			}
		}
		// web: sandbox, app, sidecar; lo: sandbox, app.
		if seen != 5 {
			t.Errorf("%d containers of namespace %s, want 5:\n%s", seen, ns, stdout)
		}
	})

	// The real kubectl finds the binary on PATH as a plugin and runs it.
	t.Run("kubectl plugin", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Symlink(bin, filepath.Join(dir, "kubectl-netstat")); err != nil {
			t.Fatal(err)
		}
		env := append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "KUBECONFIG="+c.adminKubeconfig)
		kubectl := func(args ...string) (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, n.kubectl, args...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		out, err := kubectl("plugin", "list")
		if err != nil || !strings.Contains(out, filepath.Join(dir, "kubectl-netstat")) {
			t.Errorf("kubectl plugin list: %v\n%s", err, out)
		}
		// -n stays netstat's --numeric under kubectl too: the namespace is --namespace.
		got, err := kubectl("netstat", "--namespace", ns, "--method", "local", "-tulnp", "web")
		if want := netstat(t, web, "-tulnp"); err != nil || got != want {
			t.Errorf("kubectl netstat --namespace %s -tulnp web: %v\n--- netstat\n%s--- kubectl netstat\n%s", ns, err, want, got)
		}
	})
	// A real pod-to-pod connection on the node's pod network: busybox nc in
	// lo's netns connects to web's pod IP on the macvlan bridge. lo's
	// socket names web by the API (with the containerPort's name), by the
	// agent and without a kubeconfig from the node's CNI results (no port
	// names there).
	t.Run("peer names", func(t *testing.T) {
		webIP := web.Status.PodIP
		if webIP == "" {
			t.Fatal("pod web has no pod IP")
		}
		// hack/listen closes what it accepts: busybox nc -l in web's netns
		// holds the connection on the declared port 7070 (audit declared,
		// above, saw it closed), its stdin and the client's kept open.
		nsnc := func(pod *corev1.Pod, args ...string) func() string {
			cmd := exec.Command("nsenter", append([]string{"--net=/proc/" + strconv.Itoa(n.podPid(pod, pod.Spec.Containers[0].Name)) + "/ns/net", "/bin/busybox", "nc"}, args...)...)
			out, err := os.CreateTemp(t.TempDir(), "nc")
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			cmd.Stdout, cmd.Stderr = out, out
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
			return func() string { b, _ := os.ReadFile(out.Name()); return string(b) }
		}
		srvOut := nsnc(web, "-l", "-p", "7070")
		for try := 0; !strings.Contains(netstat(t, web, "-tln"), ":7070 "); try++ {
			if try == 50 {
				t.Fatalf("nc -l -p 7070 in web's netns does not listen: %q", srvOut())
			}
			time.Sleep(100 * time.Millisecond)
		}
		ncOut := nsnc(lo, webIP, "7070")
		conn := webIP + ":7070"
		var plain string
		for try := 0; ; try++ {
			plain = netstat(t, lo, "-tn")
			if strings.Contains(plain, conn+" ") && strings.Contains(plain, "ESTABLISHED") {
				break
			}
			if try == 50 {
				t.Fatalf("no connection to %s in lo's netns (nc: %q):\n%s", conn, ncOut(), plain)
			}
			time.Sleep(100 * time.Millisecond)
		}
		peerOf := func(t *testing.T, name string, args ...string) string {
			t.Helper()
			stdout, stderr, code := runBinary(t, bin, append(args, "-tan", "--output", "json")...)
			if code != 0 {
				t.Fatalf("%q: exit %d: %s\n%s", args, code, stderr, stdout)
			}
			for _, r := range decodeSockets(t, stdout) {
				if r.ForeignAddress == webIP && r.ForeignPort == 7070 && r.State == "ESTABLISHED" {
					fp, _ := json.Marshal(r.ForeignPeer)
					lp, _ := json.Marshal(r.LocalPeer)
					t.Logf("%s: %s:%d -> %s:%d local_peer %s foreign_peer %s", name, r.LocalAddress, r.LocalPort, r.ForeignAddress, r.ForeignPort, lp, fp)
					return r.ForeignPeer.String()
				}
			}
			t.Fatalf("%q: no ESTABLISHED socket to %s:\n%s", args, conn, stdout)
			return ""
		}
		for _, tc := range []struct {
			name, want string
			args       []string
		}{
			{"api local", "pod " + ns + "/web admin", append(kc, "--method", "local", "pod/lo")},
			// The agent names peers itself, from the node's CNI results: no port names.
			{"api agent", "pod " + ns + "/web", append(kc, "--method", "agent", "--image", nodeAgentImage, "pod/lo")},
			{"cni results", "pod " + ns + "/web", []string{"pod/" + ns + "/lo"}},
		} {
			if got := peerOf(t, tc.name, tc.args...); got != tc.want {
				t.Errorf("%s: foreign_peer of the connection to %s = %q, want %q", tc.name, conn, got, tc.want)
			}
		}

		// Text: -n unchanged by --resolve=k8s; without -n the Foreign
		// Address is NAMESPACE/POD:PORT, cut to netstat's 23 bytes
		// (whole under -W).
		text := func(args ...string) string {
			t.Helper()
			stdout, stderr, code := runBinary(t, bin, append(append(kc, "--method", "local", "pod/lo"), args...)...)
			if code != 0 {
				t.Fatalf("%q: exit %d: %s", args, code, stderr)
			}
			return stdout
		}
		if got := text("-tn", "--resolve=k8s"); got != plain {
			t.Errorf("-tn --resolve=k8s differs from netstat -tn in lo's netns\n--- netstat\n%s--- kubectl-netstat\n%s", plain, got)
		}
		whole := ns + "/web:7070"
		wide := text("-tW", "--numeric-ports", "--resolve=k8s")
		t.Logf("-tW --numeric-ports --resolve=k8s:\n%s", wide)
		if !strings.Contains(wide, " "+whole+" ") {
			t.Errorf("-tW --resolve=k8s lacks %q:\n%s", whole, wide)
		}
		cut := text("-t", "--numeric-ports", "--resolve=k8s")
		t.Logf("-t --numeric-ports --resolve=k8s:\n%s", cut)
		want := whole
		if len(want) > 23 {
			want = whole[:23-len(":7070")] + ":7070"
		}
		found := false
		for _, line := range strings.Split(cut, "\n") {
			if f := strings.Fields(line); len(f) >= 6 && f[0] == "tcp" && f[5] == "ESTABLISHED" {
				found = found || f[4] == want
				if len(f[3]) > 23 || len(f[4]) > 23 {
					t.Errorf("address longer than netstat's 23 bytes without -W: %q", line)
				}
			}
		}
		if !found {
			t.Errorf("-t --resolve=k8s has no ESTABLISHED line to %q:\n%s", want, cut)
		}
	})
	t.Logf("real-node suite: %s", time.Since(suite).Round(time.Millisecond))
}
