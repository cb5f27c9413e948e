//go:build linux

package kubee2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
	"github.com/kubectl-netstat/kubectl-netstat/kube"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// netstatBinary builds ./cmd/kubectl-netstat once per test binary and skips
// when cmd does not yet wire kube (no --kubeconfig flag).
func netstatBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kns-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kubectl-netstat")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/kubectl-netstat/kubectl-netstat/cmd/kubectl-netstat").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/kubectl-netstat: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	help, _ := exec.Command(binPath, "--help").CombinedOutput()
	if !bytes.Contains(help, []byte("--kubeconfig")) {
		t.Skip("cmd/kubectl-netstat does not register kube.Options flags yet (no --kubeconfig in --help)")
	}
	return binPath
}

// removeBinary deletes the build of netstatBinary (TestMain calls it after
// the tests: os.Exit skips deferred calls and t.Cleanup is per test).
func removeBinary() {
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
}

func runBinary(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Env = append(os.Environ(), "KUBECONFIG=/nonexistent")
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("%s %q: %v", bin, args, err)
	}
	return o.String(), e.String(), code
}

// The binary turns a missing pod into exit 1 and one line naming namespace
// and pod, plus the hint when the user typed -n NS.
func TestBinaryPodNotFound(t *testing.T) {
	c := needCluster(t)
	bin := netstatBinary(t)
	_, stderr, code := runBinary(t, bin, "--kubeconfig", c.adminKubeconfig, "--namespace", "default", "-tn", "pod/no-such-pod")
	if code != 1 {
		t.Errorf("exit code = %d, want 1 (stderr %q)", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "kubectl-netstat: ") ||
		!strings.Contains(lines[0], `"no-such-pod"`) || !strings.Contains(lines[0], `"default"`) {
		t.Errorf("stderr = %q, want one kubectl-netstat: line naming pod and namespace", stderr)
	}
	_, stderr, code = runBinary(t, bin, "--kubeconfig", c.adminKubeconfig, "-n", "kube-system", "coredns")
	if code != 1 || !strings.Contains(stderr, "--namespace kube-system") {
		t.Errorf("-n kube-system: exit %d stderr %q, want exit 1 and a --namespace hint", code, stderr)
	}
}

// The real 403 for pod creation becomes exit 1 and one line naming the
// permission and --method=exec.
func TestBinaryForbiddenAgent(t *testing.T) {
	c := needCluster(t)
	bin := netstatBinary(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	setupLimitedUser(t, cs, ns)
	runningPod(t, cs, ns, "web", "node-elsewhere", nil, map[string]string{"nginx": "containerd://" + idNginx})
	time.Sleep(time.Second) // RBAC binding propagation
	_, stderr, code := runBinary(t, bin, "--kubeconfig", c.limitedKubecfg, "--namespace", ns, "--method", "agent", "-tn", "pod/web")
	if code != 1 {
		t.Errorf("exit code = %d, want 1 (stderr %q)", code, stderr)
	}
	if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 ||
		!strings.Contains(stderr, `"create" on "pods"`) || !strings.Contains(stderr, "--method=exec") {
		t.Errorf("stderr = %q, want one line naming the permission and --method=exec", stderr)
	}
}

// Pods whose container IDs are runtime-shaped fixture containers on this
// host resolve to exactly those IDs and pod UID, which is what the local
// path matches on. With the binary wired, the local
// path reports the pod's sockets tagged with the pod.
func TestLocalPathFixturePod(t *testing.T) {
	c := needCluster(t)
	scene := fixture.New(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	fp := scene.ContainerdPod(fixture.PodSpec{Namespace: ns, Name: "web-" + scene.Tag, Containers: []string{"nginx", "envoy"}})
	api := runningPod(t, cs, ns, fp.Name, hostname(t), nil, map[string]string{
		"nginx": "containerd://" + fp.IDs["nginx"], "envoy": "containerd://" + fp.IDs["envoy"],
	})

	o := newOptions(t, c.adminKubeconfig, ns)
	o.Container = "envoy"
	refs, err := o.Resolve(context.Background(), []string{fp.Name})
	if err != nil {
		t.Fatal(err)
	}
	want := []kube.PodRef{{Namespace: ns, Name: fp.Name, UID: string(api.UID), Node: hostname(t),
		Containers: []kube.ContainerRef{{Name: "envoy", Runtime: "containerd", ID: fp.IDs["envoy"], Running: true}}}}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}

	bin := netstatBinary(t)
	// The test binary itself is the listener (see TestMain's helper mode).
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := scene.Start(fp.Procs["nginx"], "listener", self, "-test.run=^$", listenArg+"127.0.0.1:18080")
	scene.WaitListening(l, 18080)
	stdout, stderr, code := runBinary(t, bin, "--kubeconfig", c.adminKubeconfig, "--namespace", ns,
		"--host-root", scene.HostRoot, "--method", "local", "-tln", "--output", "ndjson", "pod/"+fp.Name)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var rec struct {
			LocalPort int `json:"local_port"`
			Container *struct {
				Pod *struct{ Namespace, Name string } `json:"pod"`
			} `json:"container"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("bad ndjson line %q: %v", line, err)
		}
		if rec.LocalPort != 18080 {
			continue
		}
		found = true
		if rec.Container == nil || rec.Container.Pod == nil || rec.Container.Pod.Name != fp.Name || rec.Container.Pod.Namespace != ns {
			t.Errorf("listener record lacks the pod tag %s/%s: %s", ns, fp.Name, line)
		}
	}
	if !found {
		t.Errorf("no record for the pod's listener on 127.0.0.1:18080:\n%s", stdout)
	}
}

func hostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
