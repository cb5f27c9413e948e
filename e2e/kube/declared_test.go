//go:build linux

package kubee2e

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-netstat/kubectl-netstat/internal/fixture"
)

// TestAuditDeclared runs `audit --declared` against a fixture pod whose API
// object declares containerPort 8080 and a readiness probe on 9090 while the
// pod really listens on 18090 and 9090: 18090 is undeclared, 8080 is not
// listening, and the probe port is fine.
func TestAuditDeclared(t *testing.T) {
	c := needCluster(t)
	scene := fixture.New(t)
	cs := adminClient(t, c)
	ns := testNamespace(t, cs)
	fp := scene.ContainerdPod(fixture.PodSpec{Namespace: ns, Name: "decl-" + scene.Tag, Containers: []string{"app"}})
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fp.Name, Namespace: ns},
		Spec: corev1.PodSpec{NodeName: hostname(t), Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/app:1",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9090)}}},
		}}},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a := scene.Start(fp.Procs["app"], "listener-a", self, "-test.run=^$", listenArg+"0.0.0.0:18090")
	b := scene.Start(fp.Procs["app"], "listener-b", self, "-test.run=^$", listenArg+"0.0.0.0:9090")
	scene.WaitListening(a, 18090)
	scene.WaitListening(b, 9090)

	bin := netstatBinary(t)
	stdout, stderr, code := runBinary(t, bin, "audit", "--declared", "--kubeconfig", c.adminKubeconfig,
		"--host-root", scene.HostRoot, "--output", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings): %s\n%s", code, stderr, stdout)
	}
	var recs []struct {
		Finding, Namespace, Pod string
		Port                    int
	}
	if err := json.Unmarshal([]byte(stdout), &recs); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	got := map[string]bool{}
	for _, r := range recs {
		if r.Namespace == ns && r.Pod == fp.Name {
			got[r.Finding+":"+itoa(r.Port)] = true
		}
	}
	for _, want := range []string{"undeclared:18090", "not-listening:8080"} {
		if !got[want] {
			t.Errorf("missing finding %s; got %v\n%s", want, got, stdout)
		}
	}
	for k := range got {
		if strings.HasSuffix(k, ":9090") {
			t.Errorf("probe port 9090 reported: %s", k)
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
