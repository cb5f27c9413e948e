package output

import (
	"testing"

	"github.com/kubectl-netstat/kubectl-netstat/inspect"
)

func TestPodText(t *testing.T) {
	for _, tc := range []struct {
		pod  *inspect.Pod
		want string
	}{
		{nil, "-"},
		{&inspect.Pod{UID: "0a6c1f0e"}, "-"}, // seen by cgroup only
		{&inspect.Pod{Name: "web"}, "-/web"},
		{&inspect.Pod{Namespace: "demo"}, "demo/-"},
		{&inspect.Pod{Namespace: "demo", Name: "web"}, "demo/web"},
	} {
		if got := PodText(tc.pod); got != tc.want {
			t.Errorf("PodText(%+v) = %q, want %q", tc.pod, got, tc.want)
		}
	}
}

func TestContainerPodTextAndShortID(t *testing.T) {
	pod := &inspect.Pod{Name: "kns-pod", UID: "d923c1641c2a"}
	if got := ContainerPodText(&inspect.Container{Runtime: inspect.RuntimePodman, Pod: pod}); got != "kns-pod" {
		t.Errorf("Podman pod: %q, want the bare name", got)
	}
	if got := ContainerPodText(&inspect.Container{Runtime: inspect.RuntimeContainerd, Pod: pod}); got != "-/kns-pod" {
		t.Errorf("Kubernetes pod without namespace: %q, want -/kns-pod", got)
	}
	if got := ContainerPodText(nil); got != "-" {
		t.Errorf("no container: %q", got)
	}
	hex := "7ecffbe5ac0e5a8c2c1f4e1f3a36b5bacbe5392991e3b12251e6b8aa12345678"
	for id, want := range map[string]string{hex: hex[:12], "kns-demo-runc": "kns-demo-runc", "short": "short"} {
		if got := shortID(id); got != want {
			t.Errorf("shortID(%q) = %q, want %q", id, got, want)
		}
	}
}
