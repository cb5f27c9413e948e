//go:build linux

package kubee2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
)

// agentScene is a fixture containerd pod with a listener, reported by a
// virtual-kubelet node (not this host's name) as the API pod of the same
// name: the CLI must go through an agent pod on that node to see it.
type agentScene struct {
	c     *cluster
	cs    kubernetes.Interface
	ns    string
	bin   string
	node  *procNode
	scene *fixture.Scene
	fp    *fixture.Pod
	port  uint16
}

func newAgentScene(t *testing.T) *agentScene {
	t.Helper()
	c := needCluster(t)
	scene := fixture.New(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	bin := netstatBinary(t)
	// The agent image's /kubectl-netstat is the binary under test and the
	// node's "/" (the agent's /host) is the fixture's host root.
	vn := startProcNode(t, cs, procNodeConfig{Binaries: map[string]string{kube.AgentBinary: bin}, Root: scene.HostRoot})
	fp := scene.ContainerdPod(fixture.PodSpec{Namespace: ns, Name: "web-" + scene.Tag, Containers: []string{"nginx"}})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const port = 18081
	l := scene.Start(fp.Procs["nginx"], "listener", self, "-test.run=^$", fmt.Sprintf("%s127.0.0.1:%d", listenArg, port))
	scene.WaitListening(l, port)
	// Started by nsenter, the listener shares nginx's netns but not yet its
	// cgroup, which is what makes a process part of a container.
	sameCgroup(t, scene, scene.Pid(fp.Procs["nginx"]), l)
	a := &agentScene{c: c, cs: cs, ns: ns, bin: bin, node: vn, scene: scene, fp: fp, port: port}
	a.adoptedPod(t, fp.Name, map[string]string{"nginx": "containerd://" + fp.IDs["nginx"]})
	return a
}

// adoptedPod creates pod name bound to the virtual node, which reports it
// Running with ids, and waits until the API server shows that status.
func (a *agentScene) adoptedPod(t *testing.T, name string, ids map[string]string) {
	t.Helper()
	a.node.Adopt(a.ns, name, ids)
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: a.ns}, Spec: corev1.PodSpec{NodeName: a.node.Name}}
	for _, n := range sortedKeys(ids) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n, Image: "registry.example/" + n + ":1"})
	}
	ctx := context.Background()
	if _, err := a.cs.CoreV1().Pods(a.ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := a.cs.CoreV1().Pods(a.ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && got.Status.Phase == corev1.PodRunning && len(got.Status.ContainerStatuses) == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod %s/%s not reported Running by node %s: %v %+v", a.ns, name, a.node.Name, err, got.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runAgent runs the binary with --method agent and returns what it printed,
// the agent pod the API server saw and the node's record of its process.
func (a *agentScene) runAgent(t *testing.T, pod string, args ...string) (stdout, stderr string, code int, agent *corev1.Pod, run *procRun) {
	t.Helper()
	created := watchAgents(t, a.cs, a.ns)
	argv := append([]string{"--kubeconfig", a.c.adminKubeconfig, "--namespace", a.ns, "--method", "agent"}, args...)
	stdout, stderr, code = runBinary(t, a.bin, append(argv, "pod/"+pod)...)
	select {
	case agent = <-created:
	case <-time.After(5 * time.Second):
		t.Fatalf("no agent pod was created (exit %d, stderr %q)", code, stderr)
	}
	if agent.Spec.NodeName != a.node.Name {
		t.Errorf("agent pod on node %q, want the pod's node %q", agent.Spec.NodeName, a.node.Name)
	}
	assertGone(t, a.cs, agent)
	for _, r := range a.node.Runs() {
		if r.Namespace == agent.Namespace && r.Pod == agent.Name {
			run = &r
		}
	}
	if run == nil {
		t.Fatalf("node %s never ran agent pod %s (exit %d, stderr %q)", a.node.Name, agent.Name, code, stderr)
	}
	return stdout, stderr, code, agent, run
}

// TestAgentPathEndToEnd: the pod lives on another node, so the CLI creates
// an agent pod there; the node really runs the binary against its host
// state, the apiserver proxies the log from the node's kubelet API, and the
// CLI prints the netstat text of the fixture pod's listener and deletes the
// agent pod.
func TestAgentPathEndToEnd(t *testing.T) {
	a := newAgentScene(t)
	id := a.fp.IDs["nginx"]

	t.Run("text", func(t *testing.T) {
		stdout, stderr, code, _, run := a.runAgent(t, a.fp.Name, "-tln")
		if code != 0 {
			t.Fatalf("exit %d, want 0\nstderr: %s\nstdout: %s", code, stderr, stdout)
		}
		if run.Exit != 0 {
			t.Errorf("agent process exit %d, want 0", run.Exit)
		}
		for _, want := range []string{"--host-root=" + a.scene.HostRoot, "container/" + id} {
			if !slices.Contains(run.Argv, want) {
				t.Errorf("agent argv %q lacks %q", run.Argv, want)
			}
		}
		if !strings.Contains(stdout, "Active Internet connections (only servers)\n") ||
			!strings.Contains(stdout, "Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n") {
			t.Errorf("stdout lacks netstat's -tln header:\n%s", stdout)
		}
		want := []string{"tcp", "0", "0", fmt.Sprintf("127.0.0.1:%d", a.port), "0.0.0.0:*", "LISTEN"}
		found := false
		for _, line := range strings.Split(stdout, "\n") {
			found = found || slices.Equal(strings.Fields(line), want)
		}
		if !found {
			t.Errorf("stdout has no row %q:\n%s", strings.Join(want, " "), stdout)
		}
		if stderr != "" {
			t.Errorf("stderr = %q, want nothing", stderr)
		}
		t.Logf("kubectl-netstat --method agent -tln pod/%s:\n%s", a.fp.Name, stdout)
	})

	t.Run("json", func(t *testing.T) {
		stdout, stderr, code, _, _ := a.runAgent(t, a.fp.Name, "-tln", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d, want 0\nstderr: %s\nstdout: %s", code, stderr, stdout)
		}
		var recs []struct {
			Proto        string `json:"proto"`
			LocalAddress string `json:"local_address"`
			LocalPort    int    `json:"local_port"`
			State        string `json:"state"`
			Container    *struct {
				ID  string                            `json:"id"`
				Pod *struct{ Namespace, Name string } `json:"pod"`
			} `json:"container"`
		}
		if err := json.Unmarshal([]byte(stdout), &recs); err != nil {
			t.Fatalf("-o json is not a JSON array of records: %v\n%s", err, stdout)
		}
		found := false
		for _, r := range recs {
			if r.LocalPort != int(a.port) {
				continue
			}
			found = true
			if r.LocalAddress != "127.0.0.1" || r.State != "LISTEN" || r.Proto != "tcp" {
				t.Errorf("listener record = %+v", r)
			}
			if r.Container == nil || r.Container.ID != id || r.Container.Pod == nil ||
				r.Container.Pod.Name != a.fp.Name || r.Container.Pod.Namespace != a.ns {
				t.Errorf("listener record lacks container %s of pod %s/%s: %s", id[:12], a.ns, a.fp.Name, stdout)
			}
		}
		if !found {
			t.Errorf("no record for 127.0.0.1:%d in %d records:\n%s", a.port, len(recs), stdout)
		}
	})

	// A pod whose container the node does not have: the agent itself fails,
	// and its own message comes back through the pod log and status.
	t.Run("agent fails", func(t *testing.T) {
		ghost := fixture.RandHex(32)
		a.adoptedPod(t, "ghost", map[string]string{"app": "containerd://" + ghost})
		stdout, stderr, code, _, run := a.runAgent(t, "ghost", "-tln")
		if code != 1 {
			t.Errorf("exit %d, want 1\nstderr: %s\nstdout: %s", code, stderr, stdout)
		}
		if run.Exit == 0 {
			t.Errorf("agent process exit 0, want a failure")
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if len(lines) != 1 || !strings.Contains(stderr, fmt.Sprintf("agent on node %q exited with code %d", a.node.Name, run.Exit)) ||
			!strings.Contains(stderr, ghost[:12]) {
			t.Errorf("stderr = %q, want one line naming the node, the exit code and the agent's message about %s", stderr, ghost[:12])
		}
		t.Logf("stderr: %s", stderr)
	})
}

// sameCgroup moves pid into the fixture cgroup of from.
func sameCgroup(t *testing.T, scene *fixture.Scene, from, pid int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", from))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			rel, ok := strings.CutPrefix(p, scene.CgroupPath+"/")
			if !ok {
				t.Fatalf("pid %d is in cgroup %q, outside the scene's %q", from, p, scene.CgroupPath)
			}
			scene.Cgroup(rel, pid)
			return
		}
	}
	t.Fatalf("pid %d has no cgroup v2 line: %q", from, b)
}
