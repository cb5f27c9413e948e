//go:build linux

package kubee2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-netstat/kubectl-netstat/kube"
)

var nsSeq atomic.Int64

// newOptions returns kube.Options reading kubeconfig the way the binary does.
func newOptions(t *testing.T, kubeconfig, namespace string) *kube.Options {
	t.Helper()
	o := kube.NewOptions(genericiooptions.NewTestIOStreamsDiscard())
	o.ConfigFlags.KubeConfig = &kubeconfig
	if namespace != "" {
		o.ConfigFlags.Namespace = &namespace
	}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	return o
}

func adminClient(t *testing.T, c *cluster) kubernetes.Interface {
	t.Helper()
	return newOptions(t, c.adminKubeconfig, "").Client
}

// testNamespace creates a namespace unique to the test and deletes it after.
func testNamespace(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	name := fmt.Sprintf("kns-e2e-%d-%d", time.Now().UnixNano()%1e6, nsSeq.Add(1))
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return name
}

// runningPod creates a pod bound to node and writes a Running status with
// runtime-shaped container IDs, as a kubelet would.
func runningPod(t *testing.T, cs kubernetes.Interface, ns, name, node string, labels map[string]string, ctrs map[string]string) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: node},
	}
	for _, n := range sortedKeys(ctrs) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n, Image: "registry.example/" + n + ":1"})
	}
	p, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Phase = corev1.PodRunning
	for _, n := range sortedKeys(ctrs) {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: n, Image: "registry.example/" + n + ":1", ImageID: "sha256:0", ContainerID: ctrs[n], Ready: true,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		})
	}
	p, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sortedKeys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	for i := range k {
		for j := i + 1; j < len(k); j++ {
			if k[j] < k[i] {
				k[i], k[j] = k[j], k[i]
			}
		}
	}
	return k
}

const (
	idNginx = "5694f82f44168cc048e014ae14d1b0c8ef673bec49f329dc169911ea638f63c2"
	idEnvoy = "bacb920470900725e0aa7d914fee5eb0854315448b024b6b8420ad8429c607ba"
	idDB    = "17d8c9eacc629f9945f304d89e9708c0c619649a484a215b240628319548a09f"
)

func TestResolve(t *testing.T) {
	c := needCluster(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	web := runningPod(t, cs, ns, "web", "node-a", map[string]string{"app": "web"},
		map[string]string{"nginx": "containerd://" + idNginx, "envoy": "containerd://" + idEnvoy})
	runningPod(t, cs, ns, "db", "node-b", map[string]string{"app": "db"}, map[string]string{"pg": "cri-o://" + idDB})
	// A pod that exists but has not been scheduled.
	if _, err := cs.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "pending", Namespace: ns, Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("pod by name", func(t *testing.T) {
		refs, err := newOptions(t, c.adminKubeconfig, ns).Resolve(ctx, []string{"pod/web"})
		if err != nil {
			t.Fatal(err)
		}
		want := []kube.PodRef{{Namespace: ns, Name: "web", UID: string(web.UID), Node: "node-a", Containers: []kube.ContainerRef{
			{Name: "envoy", Runtime: "containerd", ID: idEnvoy, Running: true},
			{Name: "nginx", Runtime: "containerd", ID: idNginx, Running: true},
		}}}
		if diff := cmp.Diff(want, refs); diff != "" {
			t.Errorf("Resolve (-want +got):\n%s", diff)
		}
	})
	t.Run("container narrows", func(t *testing.T) {
		o := newOptions(t, c.adminKubeconfig, ns)
		o.Container = "nginx"
		refs, err := o.Resolve(ctx, []string{"web"})
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 1 || len(refs[0].Containers) != 1 || refs[0].Containers[0].ID != idNginx {
			t.Errorf("Resolve --container nginx = %+v", refs)
		}
	})
	t.Run("selector skips pending", func(t *testing.T) {
		o := newOptions(t, c.adminKubeconfig, ns)
		o.Selector = "app in (web,db)"
		refs, err := o.Resolve(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range refs {
			got = append(got, r.String()+"@"+r.Node)
		}
		if diff := cmp.Diff([]string{ns + "/db@node-b", ns + "/web@node-a"}, got); diff != "" {
			t.Errorf("selector (-want +got):\n%s", diff)
		}
	})
	t.Run("node target", func(t *testing.T) {
		o := newOptions(t, c.adminKubeconfig, ns)
		refs, err := o.Resolve(ctx, []string{"node/node-b"})
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 1 || refs[0].Name != "db" || refs[0].Containers[0].Runtime != "cri-o" {
			t.Errorf("node/node-b = %+v", refs)
		}
	})
	t.Run("all namespaces by name", func(t *testing.T) {
		o := newOptions(t, c.adminKubeconfig, "")
		o.AllNamespaces = true
		refs, err := o.Resolve(ctx, []string{"db"})
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 1 || refs[0].Namespace != ns {
			t.Errorf("-A db = %+v", refs)
		}
	})
	for _, tc := range []struct {
		name      string
		target    string
		container string
		rawArgs   []string
		want      error
		msg       string
	}{
		{"missing pod", "nope", "", nil, kube.ErrNotFound, fmt.Sprintf(`pod "nope" not found in namespace %q`, ns)},
		{"missing pod hint", "kube-system", "", []string{"-n", "kube-system", "coredns"}, kube.ErrNotFound, "hint: -n is netstat's --numeric; for a namespace use --namespace kube-system"},
		{"container hint", "envoy", "", []string{"web", "-c", "envoy"}, kube.ErrNotFound, "--container envoy"},
		{"not running", "pending", "", nil, kube.ErrNotRunning, fmt.Sprintf("pod %s/pending is Pending and not scheduled", ns)},
		{"container missing", "web", "redis", nil, kube.ErrContainerNotFound, fmt.Sprintf(`container "redis" not found in pod %s/web (containers: envoy, nginx)`, ns)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOptions(t, c.adminKubeconfig, ns)
			o.Container, o.RawArgs = tc.container, tc.rawArgs
			_, err := o.Resolve(ctx, []string{tc.target})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v\nwant %v containing %q", err, tc.want, tc.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestUnreachableIsBounded(t *testing.T) {
	c := needCluster(t)
	o := newOptions(t, c.deadPortKubecfg, "default")
	start := time.Now()
	_, err := o.Resolve(context.Background(), []string{"web"})
	if !errors.Is(err, kube.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s to report an unreachable API server", d)
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %q, want the cause", err)
	}
}

// watchAgents reports every agent pod created in ns.
func watchAgents(t *testing.T, cs kubernetes.Interface, ns string) <-chan *corev1.Pod {
	t.Helper()
	w, err := cs.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.LabelManagedByValue})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	ch := make(chan *corev1.Pod, 4)
	go func() {
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type == watch.Added {
				ch <- p
			}
		}
	}()
	return ch
}

func assertGone(t *testing.T, cs kubernetes.Interface, p *corev1.Pod) {
	t.Helper()
	_, err := cs.CoreV1().Pods(p.Namespace).Get(context.Background(), p.Name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("agent pod %s/%s still exists after RunAgent returned (get: %v)", p.Namespace, p.Name, err)
	}
}

func TestAgentPodObjectAndDeleteOnInterrupt(t *testing.T) {
	c := needCluster(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	created := watchAgents(t, cs, ns)

	o := newOptions(t, c.adminKubeconfig, ns)
	o.Image = "registry.example/kubectl-netstat:e2e"
	o.AgentTimeout = 45 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- o.RunAgent(ctx, "node-remote", []string{"-tlnp"}, io.Discard) }()

	var p *corev1.Pod
	select {
	case p = <-created:
	case err := <-done:
		t.Fatalf("RunAgent returned before creating a pod: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no agent pod created")
	}
	s := p.Spec
	ctr := s.Containers[0]
	got := map[string]any{
		"node": s.NodeName, "hostPID": s.HostPID, "privileged": *ctr.SecurityContext.Privileged,
		"restart": string(s.RestartPolicy), "deadline": *s.ActiveDeadlineSeconds,
		"command": append(append([]string{}, ctr.Command...), ctr.Args...), "image": ctr.Image,
		"mount":    fmt.Sprintf("%s ro=%v", ctr.VolumeMounts[0].MountPath, ctr.VolumeMounts[0].ReadOnly),
		"hostPath": s.Volumes[0].HostPath.Path, "managed-by": p.Labels[kube.LabelManagedBy],
		"tolerate-all": len(s.Tolerations) == 1 && s.Tolerations[0].Operator == corev1.TolerationOpExists && s.Tolerations[0].Key == "",
	}
	want := map[string]any{
		"node": "node-remote", "hostPID": true, "privileged": true, "restart": "Never", "deadline": int64(45),
		"command": []string{"/kubectl-netstat", "--host-root=/host", "--output=ndjson", "-tlnp"},
		"image":   "registry.example/kubectl-netstat:e2e", "mount": "/host ro=true", "hostPath": "/",
		"managed-by": "kubectl-netstat", "tolerate-all": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("agent pod as stored by the API server (-want +got):\n%s", diff)
	}

	// No kubelet runs node-remote, so the agent waits to start: Ctrl-C now.
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunAgent after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunAgent did not return after cancel")
	}
	assertGone(t, cs, p)
}

func TestAgentStartTimeoutDeletes(t *testing.T) {
	c := needCluster(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	created := watchAgents(t, cs, ns)
	o := newOptions(t, c.adminKubeconfig, ns)
	o.AgentTimeout = 2 * time.Second
	err := o.RunAgent(context.Background(), "node-gone", nil, io.Discard)
	if !errors.Is(err, kube.ErrAgent) || !strings.Contains(err.Error(), `did not start on node "node-gone" within 2s`) {
		t.Fatalf("err = %v, want a start timeout naming the node", err)
	}
	select {
	case p := <-created:
		assertGone(t, cs, p)
	case <-time.After(5 * time.Second):
		t.Fatal("never saw the agent pod")
	}
}

// The image pull failure a kubelet would report ends the wait at once, and
// the pod is still deleted.
func TestAgentImagePullErrorDeletes(t *testing.T) {
	c := needCluster(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	created := watchAgents(t, cs, ns)
	o := newOptions(t, c.adminKubeconfig, ns)
	o.AgentTimeout = 60 * time.Second
	done := make(chan error, 1)
	go func() { done <- o.RunAgent(context.Background(), "node-x", nil, io.Discard) }()
	var p *corev1.Pod
	select {
	case p = <-created:
	case <-time.After(20 * time.Second):
		t.Fatal("no agent pod")
	}
	// Play kubelet: report ErrImagePull.
	p.Status.Phase = corev1.PodPending
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: kube.AgentContainer, Image: p.Spec.Containers[0].Image,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "manifest unknown"}}}}
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, kube.ErrAgent) || !strings.Contains(err.Error(), "ErrImagePull: manifest unknown") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunAgent kept waiting after ErrImagePull")
	}
	assertGone(t, cs, p)
}

// setupLimitedUser binds the limited token's user to a role that may read
// pods and exec, but not create pods, in ns.
func setupLimitedUser(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "kns-exec-only", Namespace: ns},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create", "get"}},
		},
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kns-exec-only", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: limitedUser}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestForbiddenAgentPod(t *testing.T) {
	c := needCluster(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	setupLimitedUser(t, cs, ns)
	runningPod(t, cs, ns, "web", "node-a", nil, map[string]string{"nginx": "containerd://" + idNginx})

	o := newOptions(t, c.limitedKubecfg, ns)
	// The limited user may resolve pods ...
	var refs []kube.PodRef
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for { // RBAC caches settle within a moment of the binding's creation
		refs, err = o.Resolve(context.Background(), []string{"web"})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || len(refs) != 1 {
		t.Fatalf("limited Resolve = %v, %v", refs, err)
	}
	// ... but not create the agent pod: the real 403 becomes one line.
	err = o.RunAgent(context.Background(), "node-a", []string{"-t"}, io.Discard)
	if !errors.Is(err, kube.ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
	t.Logf("error: %v", err)
	for _, want := range []string{`"create" on "pods"`, fmt.Sprintf("namespace %q", ns), "--method=exec", limitedUser} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	// A user without any pod permission in another namespace gets the get refusal.
	o2 := newOptions(t, c.limitedKubecfg, "default")
	if _, err := o2.Resolve(context.Background(), []string{"web"}); !errors.Is(err, kube.ErrForbidden) || !strings.Contains(err.Error(), `"get" on "pods"`) {
		t.Errorf("Resolve without get permission = %v", err)
	}
}

// Exec needs a kubelet; without one the API server's refusal must come back
// as a bounded, one-line ErrExec, not a hang.
func TestExecWithoutKubeletIsBounded(t *testing.T) {
	c := needCluster(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	runningPod(t, cs, ns, "web", "node-nowhere", nil, map[string]string{"nginx": "containerd://" + idNginx})
	o := newOptions(t, c.adminKubeconfig, ns)
	refs, err := o.Resolve(context.Background(), []string{"web"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = o.ExecProcNet(context.Background(), refs[0], "nginx", []string{"/proc/net/tcp"})
	if !errors.Is(err, kube.ErrExec) {
		t.Fatalf("err = %v, want ErrExec", err)
	}
	t.Logf("error: %v", err)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("exec took %s to fail", d)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}
