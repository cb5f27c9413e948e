package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Target
		ok   bool
	}{
		{"web", Target{TargetPod, "web"}, true},
		{"pod/web", Target{TargetPod, "web"}, true},
		{"po/web", Target{TargetPod, "web"}, true},
		{"pods/web", Target{TargetPod, "web"}, true},
		{"node/n1", Target{TargetNode, "n1"}, true},
		{"no/n1", Target{TargetNode, "n1"}, true},
		{"container/abc", Target{}, false},
		{"pid/1", Target{}, false},
		{"netns/4026531840", Target{}, false},
		{"pod/", Target{TargetPod, ""}, false},
		{"pod/a/b", Target{TargetPod, "a/b"}, false},
		{"", Target{TargetPod, ""}, false},
	} {
		got, ok := ParseTarget(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSplitContainerID(t *testing.T) {
	for in, want := range map[string][2]string{
		"containerd://5694f82f":  {"containerd", "5694f82f"},
		"cri-o://17d8c9ea":       {"cri-o", "17d8c9ea"},
		"docker://7951fb54":      {"docker", "7951fb54"},
		"virtual-kubelet://abcd": {"virtual-kubelet", "abcd"},
		"":                       {"", ""},
		"bare":                   {"", "bare"},
	} {
		rt, id := splitContainerID(in)
		if rt != want[0] || id != want[1] {
			t.Errorf("splitContainerID(%q) = %q, %q; want %q, %q", in, rt, id, want[0], want[1])
		}
	}
}

// pod builds a running pod bound to node with containerd IDs "<name>-id".
func pod(ns, name, node string, labels map[string]string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID("uid-" + ns + "-" + name), Labels: labels},
		Spec:       corev1.PodSpec{NodeName: node},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "img"})
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c, ContainerID: "containerd://" + c + "-id",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		})
	}
	return p
}

func fakeOptions(objs ...*corev1.Pod) *Options {
	o := NewOptions(genericiooptions.NewTestIOStreamsDiscard())
	var ro []runtime.Object
	for _, p := range objs {
		ro = append(ro, p)
	}
	o.Client = fake.NewClientset(ro...)
	o.RESTConfig = &rest.Config{Host: "https://fake.invalid"}
	ns := "default"
	o.ConfigFlags.Namespace = &ns
	return o
}

func TestResolveFake(t *testing.T) {
	pending := pod("default", "pending", "", nil, "app")
	pending.Status.Phase = corev1.PodPending
	done := pod("default", "done", "n1", map[string]string{"app": "web"}, "app")
	done.Status.Phase = corev1.PodSucceeded
	sidecar := pod("default", "mesh", "n2", nil, "app")
	sidecar.Spec.InitContainers = []corev1.Container{{Name: "proxy"}, {Name: "setup"}}
	sidecar.Status.InitContainerStatuses = []corev1.ContainerStatus{
		{Name: "proxy", ContainerID: "cri-o://proxy-id", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
		{Name: "setup", ContainerID: "cri-o://setup-id", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}},
	}
	objs := []*corev1.Pod{
		pod("default", "web-1", "n1", map[string]string{"app": "web"}, "nginx", "envoy"),
		pod("default", "web-2", "n2", map[string]string{"app": "web"}, "nginx"),
		pod("other", "web-3", "n1", map[string]string{"app": "web"}, "nginx"),
		pod("other", "db", "n1", nil, "pg"),
		pending, done, sidecar,
	}
	type names []string
	for _, tc := range []struct {
		name      string
		targets   []string
		set       func(o *Options)
		want      names
		wantCtrs  map[string][]string
		wantErr   error
		errSubstr string
	}{
		{name: "nothing", want: nil},
		{name: "pod", targets: []string{"web-1"}, want: names{"default/web-1"},
			wantCtrs: map[string][]string{"default/web-1": {"nginx", "envoy"}}},
		{name: "pod prefix and dup", targets: []string{"pod/web-1", "web-1"}, want: names{"default/web-1"}},
		{name: "namespace", targets: []string{"db"}, set: func(o *Options) { ns := "other"; o.ConfigFlags.Namespace = &ns }, want: names{"other/db"}},
		{name: "missing", targets: []string{"nope"}, wantErr: ErrNotFound, errSubstr: `pod "nope" not found in namespace "default"`},
		{name: "missing with hint", targets: []string{"kube-system"}, set: func(o *Options) { o.RawArgs = []string{"-n", "kube-system", "coredns"} },
			wantErr: ErrNotFound, errSubstr: "--namespace kube-system"},
		{name: "pending", targets: []string{"pending"}, wantErr: ErrNotRunning, errSubstr: "pod default/pending is Pending and not scheduled"},
		{name: "succeeded", targets: []string{"done"}, wantErr: ErrNotRunning, errSubstr: "pod default/done is Succeeded, not Running"},
		{name: "container", targets: []string{"web-1"}, set: func(o *Options) { o.Container = "envoy" },
			want: names{"default/web-1"}, wantCtrs: map[string][]string{"default/web-1": {"envoy"}}},
		{name: "container missing", targets: []string{"web-1"}, set: func(o *Options) { o.Container = "redis" },
			wantErr: ErrContainerNotFound, errSubstr: `container "redis" not found in pod default/web-1 (containers: nginx, envoy)`},
		{name: "sidecar init container", targets: []string{"mesh"}, want: names{"default/mesh"},
			wantCtrs: map[string][]string{"default/mesh": {"app", "proxy"}}},
		{name: "selector", set: func(o *Options) { o.Selector = "app=web" }, want: names{"default/web-1", "default/web-2"}},
		{name: "selector all namespaces", set: func(o *Options) { o.Selector = "app=web"; o.AllNamespaces = true },
			want: names{"default/web-1", "default/web-2", "other/web-3"}},
		{name: "selector container narrows", set: func(o *Options) { o.Selector = "app=web"; o.Container = "envoy" },
			want: names{"default/web-1"}},
		{name: "selector none", set: func(o *Options) { o.Selector = "app=none" }, wantErr: ErrNotFound, errSubstr: `no running pods match selector "app=none" in namespace "default"`},
		{name: "all namespaces by name", targets: []string{"web-3"}, set: func(o *Options) { o.AllNamespaces = true }, want: names{"other/web-3"}},
		{name: "bad target", targets: []string{"container/abc"}, wantErr: ErrUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fakeOptions(objs...)
			if tc.set != nil {
				tc.set(o)
			}
			refs, err := o.Resolve(context.Background(), tc.targets)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("err = %v, want %v containing %q", err, tc.wantErr, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got names
			for _, r := range refs {
				got = append(got, r.String())
				if want, ok := tc.wantCtrs[r.String()]; ok {
					var ctrs []string
					for _, c := range r.Containers {
						ctrs = append(ctrs, c.Name)
						if c.ID != c.Name+"-id" {
							t.Errorf("%s container %s ID = %q", r, c.Name, c.ID)
						}
					}
					if diff := cmp.Diff(want, ctrs); diff != "" {
						t.Errorf("%s containers (-want +got):\n%s", r, diff)
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pods (-want +got):\n%s", diff)
			}
		})
	}
}
