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
