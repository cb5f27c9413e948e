//go:build linux

package kubee2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	utilexec "k8s.io/utils/exec"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"

	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
)

// pullErrorImage names an image the virtual-kubelet node "fails to pull"
// with reason: its status reports that waiting reason, as a kubelet does.
func pullErrorImage(reason string) string { return "kns.invalid/pull-error/" + reason + ":1" }

func imagePullFailure(image string) (reason, msg string, ok bool) {
	rest, found := strings.CutPrefix(image, "kns.invalid/pull-error/")
	if !found {
		return "", "", false
	}
	reason, _, _ = strings.Cut(rest, ":")
	return reason, fmt.Sprintf("failed to pull and unpack image %q: not found", image), true
}

// execCalls counts exec requests served by every virtual-kubelet node in
// this test binary.
var execCalls atomic.Int64

// runInContainer serves exec on the virtual-kubelet node: the command runs
// as a local process (the node's "containers" are local processes), its
// streams go back through the kubelet API, a non-zero exit becomes the
// exit code kubectl exec reports.
func (p *procProvider) runInContainer(ctx context.Context, namespace, podName, containerName string, cmd []string, attach api.AttachIO) error {
	execCalls.Add(1)
	p.mu.Lock()
	pp := p.pods[namespace+"/"+podName]
	p.mu.Unlock()
	if pp == nil {
		return errdefs.NotFoundf("pod %s/%s not found on node", namespace, podName)
	}
	if len(cmd) == 0 {
		return errdefs.InvalidInput("no command")
	}
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.Stdout, c.Stderr = attach.Stdout(), attach.Stderr()
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return utilexec.CodeExitError{Err: err, Code: ee.ExitCode()}
	}
	return err
}

// vkPod starts a virtual-kubelet node and a pod on it that the node reports
// Running with one container "app".
func vkPod(t *testing.T) (c *cluster, cs kubernetes.Interface, ns, pod string) {
	t.Helper()
	c = needCluster(t)
	cs = adminClient(t, c)
	ns = testNamespace(t, cs)
	vn := startProcNode(t, cs, procNodeConfig{Binaries: map[string]string{}, Root: t.TempDir()})
	pod = "web-" + fixture.RandHex(4)
	a := &agentScene{c: c, cs: cs, ns: ns, node: vn}
	a.adoptedPod(t, pod, map[string]string{"app": "containerd://" + strings.Repeat("ab", 32)})
	return c, cs, ns, pod
}

// TestExecMethodOneRoundTrip: `kubectl netstat --method exec POD` makes one
// exec call for all its /proc/net files, and costs at most 2× one real
// `kubectl exec POD -- cat /proc/net/tcp` (best of 5 runs each,
// interleaved).
func TestExecMethodOneRoundTrip(t *testing.T) {
	c, _, ns, pod := vkPod(t)
	bin := netstatBinary(t)
	kubectl := filepath.Join(binDir(), "kubectl")
	if _, err := exec.LookPath(kubectl); err != nil {
		t.Skipf("no kubectl in %s (hack/kube-bins.sh builds it)", binDir())
	}
	// Warm-up, and the exec count of one run.
	before := execCalls.Load()
	out, stderr, code := runBinary(t, bin, "--kubeconfig", c.adminKubeconfig, "--namespace", ns, "--method", "exec", "-tan", pod)
	if code != 0 || !strings.HasPrefix(out, "Active Internet connections (servers and established)\n") {
		t.Fatalf("--method exec: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if n := execCalls.Load() - before; n != 1 {
		t.Errorf("--method exec made %d exec calls, want 1", n)
	}
	kargs := []string{"--kubeconfig", c.adminKubeconfig, "-n", ns, "exec", pod, "-c", "app", "--", "cat", "/proc/net/tcp"}
	if b, err := exec.Command(kubectl, kargs...).CombinedOutput(); err != nil {
		t.Fatalf("kubectl exec: %v\n%s", err, b)
	}
	var one, ours []time.Duration
	for i := 0; i < 5; i++ {
		start := time.Now()
		if b, err := exec.Command(kubectl, kargs...).CombinedOutput(); err != nil {
			t.Fatalf("kubectl exec: %v\n%s", err, b)
		}
		one = append(one, time.Since(start))
		start = time.Now()
		if _, stderr, code := runBinary(t, bin, "--kubeconfig", c.adminKubeconfig, "--namespace", ns, "--method", "exec", "-tan", pod); code != 0 {
			t.Fatalf("--method exec: exit %d: %s", code, stderr)
		}
		ours = append(ours, time.Since(start))
	}
	// Best of five on each side: load from other jobs only ever adds time, so
	// the fastest runs compare the two round trips, not the machine's noise.
	ratio := float64(slices.Min(ours)) / float64(slices.Min(one))
	t.Logf("kubectl exec cat /proc/net/tcp: best %s %v; kubectl-netstat --method exec -tan: best %s %v; ratio %.2f",
		slices.Min(one), one, slices.Min(ours), ours, ratio)
	if ratio > 2 {
		t.Errorf("--method exec costs %.2f× one kubectl exec, want ≤ 2×", ratio)
	}
}

// TestAgentImagePullErrorsEndAtOnce: each image-pull waiting reason the
// node reports ends the command at once (well before --agent-timeout) with
// one line naming --image and --method exec, and the agent pod is deleted.
func TestAgentImagePullErrorsEndAtOnce(t *testing.T) {
	c, cs, ns, pod := vkPod(t)
	bin := netstatBinary(t)
	for _, reason := range []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"} {
		start := time.Now()
		out, stderr, code := runBinary(t, bin, "--kubeconfig", c.adminKubeconfig, "--namespace", ns, "--method", "agent",
			"--agent-timeout", "5m", "--image", pullErrorImage(reason), "-tln", pod)
		d := time.Since(start)
		if code != 1 || out != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, reason) ||
			!strings.Contains(stderr, "--image") || !strings.Contains(stderr, "--method exec") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", reason, code, out, stderr)
		}
		if d > 45*time.Second {
			t.Errorf("%s: took %s, the agent timeout was 5m: the pull error did not end the wait", reason, d)
		}
		t.Logf("%s: %s: %s", reason, d.Round(time.Millisecond), strings.TrimSpace(stderr))
	}
	// No agent pod is left behind.
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for _, p := range list.Items {
			if p.Name != pod && p.DeletionTimestamp == nil {
				left = append(left, p.Name+" "+string(p.Status.Phase))
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent pods left: %v", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
